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
      "  demo --out DIR [--model M]            the ten control demos + a measured report\n"
      "  params [--model M]                    every parameter id, range and default\n"
      "  perform [--model M] [--audio-api jack|alsa|pulse] [--input DEV] [--output DEV]\n"
      "          [--rate R] [--buffer N] [--device D] [--set id=value ...] [--headless]\n"
      "          [--duration S] [--report FILE.json] [--record DIR] [--no-connect]\n"
      "          [--mod ROUTE ...] [--anchor-a F] [--anchor-b F] [--pattern F [--pattern-bpm B]]\n"
      "                                       play live: mic -> model -> speakers\n"
      "  devices [--audio-api A]               audio devices and MIDI ports\n\n"
      "--model defaults to the bundled drum model (models/musicmill_drums.ts).\n"
      "--device cpu|cuda|mps|auto (default cpu).\n");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const mm::Args args = mm::parseArgs(
        argc, argv,
        {"model", "in", "out", "set", "block", "device", "threads", "seed", "report",
         "duration", "buffer", "rate", "input", "output", "audio-api", "record", "safety-ms", "seconds", "pattern", "pattern-bpm", "anchor-a", "anchor-b", "mod", "onset-method", "onset-hop", "onset-threshold"});
    if (args.command.empty() || args.command == "help" || args.has("help")) {
      usage();
      return args.command.empty() && !args.has("help") ? 2 : 0;
    }
    if (args.command == "inspect") return mm::runInspect(args, argv[0]);
    if (args.command == "render") return mm::runRender(args, argv[0]);
    if (args.command == "params") return mm::runParams(args, argv[0]);
    if (args.command == "devices") return mm::runDevices(args);
    if (args.command == "perform") return mm::runPerform(args, argv[0]);
    if (args.command == "demo") return mm::runDemo(args, argv[0]);
    std::cerr << "musicmill: unknown command '" << args.command << "'. Run `musicmill help`.\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "musicmill: " << e.what() << "\n";
    return 2;
  }
}
