// musicmill: the thin command-line front of MusicMill Live. All work happens in the
// libraries (engine, input, mappings, sets, perform).
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>

#include "Commands.h"

namespace {

void usage() {
  std::printf(
      "MusicMill Live: a voice in, a RAVE neural audio model in the middle, drums out.\n\n"
      "usage: musicmill COMMAND [options]\n\n"
      "  inspect [MODEL] [--json]             what a model file offers (rate, ratio, latent...)\n"
      "  render --in IN --out OUT.wav          run a file through the model offline\n"
      "         [--model M] [--set id=value ...] [--block FRAMES] [--device D] [--seed N]\n"
      "         [--model-b M2]                 blend a second model (blend.output, blend.latent, b.*)\n"
      "  demo --out DIR [--model M]            the ten control demos + a measured report\n"
      "  params [--model M]                    every parameter id, range and default\n"
      "  perform [--model M] [--audio-api jack|alsa|pulse] [--input DEV] [--output DEV]\n"
      "          [--rate R] [--buffer N] [--device D] [--set id=value ...] [--headless]\n"
      "          [--model-b M2]                 a second model sounding with the first (see README)\n"
      "          [--duration S] [--report FILE.json] [--record DIR] [--no-connect]\n"
      "                                       play live: mic -> model -> speakers\n"
      "          [--safety-ms MS] [--fixed-latency] [--no-realtime-worker]\n"
      "                                       latency: extra compute margin; keep the start\n"
      "                                       latency even after a late frame (default: settle\n"
      "                                       up to 2 blocks higher); worker at normal priority\n"
      "          [--windowed] [--screenshot FILE.png [--frames N]]\n"
      "                                       the fullscreen UI opens when a display is there\n"
      "                                       (--headless skips it); --windowed opts out of\n"
      "                                       fullscreen; --screenshot renders N frames\n"
      "                                       (default 30), saves a PNG and exits normally\n"
      "          test hooks: [--ui-script FILE] [--ui-log FILE.json]   (see perform/ui/UiScript.h)\n"
      "          [--set-list GIG.toml] [--preset FILE ...] [--restore] [--ramp-ms MS]\n"
      "          [--autosave-dir DIR] [--autosave-seconds S] [--no-autosave]\n"
      "                                       gigs: preload a set list (models warmed up),\n"
      "                                       start from a preset, restore the autosaved state\n"
      "                                       (--set GIG.toml works too: a --set without '='\n"
      "                                       names the set list; --set id=value a parameter)\n"
      "          [--midi-in PORT|all|virtual ...] [--mapping MAP.toml ...] [--midi-api jack|alsa]\n"
      "          [--midi-clock follow|ignore] [--clock-out PORT|virtual]\n"
      "          [--osc-port N] [--osc-bind ADDRESS]\n"
      "                                       MIDI controllers and OSC (mappings/README.md)\n"
      "  learn PARAM|ACTION [--mapping MAP.toml] [--midi-in PORT] [--midi-api A] [--timeout S]\n"
      "                                       bind the next MIDI control moved (saved to MAP)\n"
      "  render ... --midi PERFORMANCE.mid --mapping MAP.toml\n"
      "                                       apply a recorded MIDI performance offline\n"
      "  render ... --set id=value@SECONDS    a parameter change at that time of the file\n"
      "  render ... --triggers PROFILE.toml [--trigger-midi HITS.mid]\n"
      "                                       beatbox triggers offline, as live; their notes to a file\n"
      "  perform ... [--triggers PROFILE.toml] [--trigger-midi-out PORT|virtual] [--listen-ms MS]\n"
      "                                       beatbox triggers: each voice hit classified as one\n"
      "                                       of the performer's sounds -> MIDI note + latent hit\n"
      "  triggers learn --out PROFILE.toml --class NAME[:NOTE]=TAKE.wav ... [--from P] [--listen-ms MS]\n"
      "  triggers classify --profile PROFILE.toml --in VOICE.wav\n"
      "  triggers show --profile PROFILE.toml   learn, test and inspect beatbox trigger profiles\n"
      "  devices [--audio-api A]               audio devices and MIDI ports\n\n"
      "--model defaults to the bundled drum model (models/musicmill_drums.ts).\n"
      "--device cpu|cuda|mps|auto (default cpu).\n");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    mm::Args args = mm::parseArgs(
        argc, argv,
        {"model", "model-b", "in", "out", "set", "block", "device", "threads", "seed", "report",
         "duration", "buffer", "rate", "input", "output", "audio-api", "record", "safety-ms", "seconds", "pattern", "pattern-bpm", "anchor-a", "anchor-b", "mod", "onset-method", "onset-hop", "onset-threshold",
         "screenshot", "frames", "ui-script", "ui-log",
         "set-list", "preset", "autosave-dir", "autosave-seconds", "ramp-ms",
         "midi-in", "mapping", "midi-api", "midi-clock", "clock-out", "osc-port", "osc-bind", "midi", "timeout",
         "value", "triggers", "trigger-midi-out", "trigger-midi", "listen-ms", "class", "profile", "from"});
    if (args.command == "perform") {
      // `perform --set GIG.toml`: a --set without '=' names a set list (issue text and
      // MainStage habit); --set id=value stays a parameter assignment.
      auto it = args.options.find("set");
      if (it != args.options.end()) {
        std::vector<std::string> assignments;
        for (const std::string& v : it->second) {
          if (v.find('=') == std::string::npos && !args.get("set-list")) args.options["set-list"] = {v};
          else assignments.push_back(v);
        }
        it = args.options.find("set");
        it->second = assignments;
      }
    }
    if (args.command.empty() || args.command == "help" || args.has("help")) {
      usage();
      return args.command.empty() && !args.has("help") ? 2 : 0;
    }
    if (args.command == "inspect") return mm::runInspect(args, argv[0]);
    if (args.command == "render") return mm::runRender(args, argv[0]);
    if (args.command == "params") return mm::runParams(args, argv[0]);
    if (args.command == "devices") return mm::runDevices(args);
    if (args.command == "perform") return mm::runPerform(args, argv[0]);
    if (args.command == "learn") return mm::runLearn(args, argv[0]);
    if (args.command == "demo") return mm::runDemo(args, argv[0]);
    if (args.command == "triggers") return mm::runTriggers(args);
    std::cerr << "musicmill: unknown command '" << args.command << "'. Run `musicmill help`.\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "musicmill: " << e.what() << "\n";
    return 2;
  }
}
