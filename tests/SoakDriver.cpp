#include "SoakDriver.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <thread>

#include "AudioFile.h"
#include "JackHarness.h"
#include "Json.h"
#include "SoakClient.h"
#include "SoakProcesses.h"
#include "SoakShow.h"
#include "TestSupport.h"

namespace mmtest {

namespace {

using namespace soak;

void writeFile(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
}

}  // namespace

SoakResult runSoak(const SoakOptions& o) {
  SoakResult r;
  auto say = [&](const std::string& m) {
    if (o.progress) o.progress(m);
  };
  const std::string dir = o.workDir.empty() ? tempDir() : o.workDir;
  const std::string drums = o.model.empty() ? sourcePath("models/musicmill_drums.ts") : o.model;
  writeFile(dir + "/soak_map.toml", mappingText());
  writeFile(dir + "/soak_gig.toml", setListText(drums));
  const std::string report = dir + "/soak_report.json", log = dir + "/soak_musicmill.log";
  std::remove(report.c_str());

  std::vector<float> voice;
  try {
    voice = mm::downmix(mm::readAudioFile(sourcePath("models/demo/beatbox_demo.wav")));
  } catch (const std::exception& e) {
    r.failure = std::string("cannot read the demo voice: ") + e.what();
    return r;
  }

  std::unique_ptr<CpuHog> hog;
  if (o.cpuHog) hog = std::make_unique<CpuHog>();
  JackServer server(o.rate, o.period);
  if (!server.ok()) {
    r.failure = "the JACK dummy server did not start:\n" + server.log();
    return r;
  }
  SoakClient client(voice, o.midiPerCycle, static_cast<size_t>(o.seconds) + 120);
  if (!client.ok()) {
    r.failure = "the driver's JACK client did not open";
    return r;
  }
  const int oscPort = freePort();
  const auto tLaunch = Clock::now();
  Instrument mm("perform --headless --audio-api jack --no-connect --no-autosave --model " + drums + " --set-list " +
                    dir + "/soak_gig.toml --mapping " + dir + "/soak_map.toml --midi-api jack --midi-in soakctl" +
                    " --osc-port " + std::to_string(oscPort) + " --report " + report,
                log);
  // Up: it printed "playing", its ports exist, and its MIDI input found our port.
  bool up = false;
  while (since(tLaunch) < 180) {
    if (!mm.running()) break;
    if (mm.log().find("musicmill: playing") != std::string::npos && client.portExists("musicmill:outport 0")) {
      up = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!up) {
    r.failure = "the instrument did not start playing:\n" + mm.log();
    r.log = mm.log();
    return r;
  }
  const uint64_t cycles0 = client.cycles(), xruns0 = client.xruns();
  const auto tPlay = Clock::now();
  client.setListening(true);
  client.connect(client.name("voice"), "musicmill:inport 0");
  client.connect("musicmill:outport 0", client.name("hear0"));
  if (client.portExists("musicmill:outport 1")) client.connect("musicmill:outport 1", client.name("hear1"));
  say("instrument up after " + std::to_string(static_cast<int>(since(tLaunch))) + " s (pid " +
      std::to_string(mm.pid()) + ")");
  while (!client.midiConnected() && since(tPlay) < 15 && mm.running())
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (!client.midiConnected()) {
    r.failure = "the instrument's MIDI input never connected to soakctl:midi";
    r.log = mm.log();
    return r;
  }
  r.started = true;
  Osc osc(oscPort);

  // The soak.
  client.setStorm(true);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> unit(0.f, 1.f);
  const int nOscParams = static_cast<int>(oscParams().size());
  r.aliveThroughout = true;
  double nextSample = 0, nextSwitch = o.switchSeconds, nextProgress = o.seconds > 120 ? 60 : 10;
  uint64_t oscDue = 0;
  int switchIndex = 0, part = 0;
  while (true) {
    const double t = since(tPlay);
    if (t >= o.seconds) break;
    if (!mm.running()) {
      r.aliveThroughout = false;
      break;
    }
    if (t >= nextSample) {
      nextSample += 1.0;
      const long kb = mm.rssKb();
      if (kb > 0) {
        r.rssKb.push_back(kb);
        if (r.rssFirstKb == 0) r.rssFirstKb = kb;
        if (t >= o.warmupSeconds) {
          if (r.rssStartKb == 0) r.rssStartKb = kb;
          r.rssMaxKb = std::max(r.rssMaxKb, kb);
        }
        r.rssEndKb = kb;
      }
    }
    // Random parameter changes over OSC, spread evenly.
    for (const uint64_t due = static_cast<uint64_t>(t * o.oscPerSecond); oscDue < due; ++oscDue) {
      if (oscDue % 10 == 9) {
        lo_message m = lo_message_new();
        for (int d = 0; d < 8; ++d) lo_message_add_float(m, -2.f + 4.f * unit(rng));
        osc.send("/musicmill/latent", m);
      } else {
        lo_message m = lo_message_new();
        lo_message_add_float(m, unit(rng));
        osc.send(std::string("/musicmill/norm/") + oscParams()[rng() % nOscParams], m);
      }
      ++r.oscParamChanges;
    }
    // A preset switch every `switchSeconds`, three ways in turn. Program changes go to the
    // next part, whose model differs from the one playing: each is a model switch.
    if (t >= nextSwitch) {
      nextSwitch += o.switchSeconds;
      switch (switchIndex++ % 3) {
        case 0:
          part = (part + 1) % kParts;
          client.queue({0xCF, static_cast<uint8_t>(kFirstProgram + part)});
          ++r.programChanges;
          ++r.modelSwitches;
          break;
        case 1: {
          const uint8_t note = static_cast<uint8_t>(60 + (switchIndex / 3) % 4);
          client.queue({0x9F, note, 100});
          client.queue({0x8F, note, 0});
          ++r.presetNotes;
          break;
        }
        default: {
          part = (part + 1) % kParts;
          lo_message m = lo_message_new();
          lo_message_add_int32(m, kFirstProgram + part);
          osc.send("/musicmill/program", m);
          ++r.oscPrograms;
          ++r.modelSwitches;
          break;
        }
      }
      ++r.presetSwitches;
    }
    osc.poll();
    if (t >= nextProgress) {
      nextProgress += o.seconds > 120 ? 60 : 10;
      char b[256];
      std::snprintf(b, sizeof b, "t=%.0f s: RSS %.1f MB, MIDI sent %llu, switches %llu, OSC %llu, driver xruns %llu",
                    t, r.rssEndKb / 1024.0, static_cast<unsigned long long>(client.stormSent()),
                    static_cast<unsigned long long>(r.presetSwitches),
                    static_cast<unsigned long long>(r.oscParamChanges),
                    static_cast<unsigned long long>(client.xruns()));
      say(b);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  client.setStorm(false);
  r.playedSeconds = since(tPlay);

  // The fence: a CC the storm never sent must reach its parameter (read back over OSC).
  if (mm.running()) {
    const auto t0 = Clock::now();
    int tries = 0;
    while (!r.fenceSeen && since(t0) < 10 && mm.running()) {
      if (tries++ % 10 == 0) client.queue({0xB0, 7, 100});
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      lo_message m = lo_message_new();
      lo_message_add_string(m, "mix.dry_wet");
      osc.send("/musicmill/get", m);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      osc.poll();
      r.fenceSeen = osc.valueId == "mix.dry_wet" && std::fabs(osc.value - 100.0 / 127) < 1e-3;
    }
    const long kb = mm.rssKb();
    if (kb > 0) r.rssEndKb = kb;
    r.rssMaxKb = std::max(r.rssMaxKb, r.rssEndKb);
  }
  r.midiSent = client.stormSent() + client.controlSent();
  r.midiWriteFailures = client.writeFailures();
  osc.poll();
  r.oscErrors = osc.errors;

  // Graph cycles and xruns over the same span as the instrument's callbacks (up to SIGINT;
  // its stream stops right after it).
  client.setListening(false);
  r.graphCycles = client.cycles() - cycles0;
  r.driverXruns = client.xruns() - xruns0;
  bool inTime = false;
  r.exitStatus = mm.interrupt(20, inTime);
  r.exitedCleanly = r.aliveThroughout && inTime && r.exitStatus == 0;
  r.windowDb = client.windowsDb();
  for (size_t w = static_cast<size_t>(o.warmupSeconds); w < r.windowDb.size(); ++w)
    if (r.windowDb[w] < -60.f) ++r.silentWindows;
  if (r.rssMaxKb == 0) r.rssMaxKb = r.rssStartKb = r.rssEndKb;

  r.log = mm.log();
  r.navAcknowledged = countLines(r.log, "MIDI: program change") + countLines(r.log, "MIDI: preset") +
                      countLines(r.log, "OSC: program change");
  r.midiDropped = sumDropped(r.log);
  r.report = readFile(report);
  if (!r.report.empty()) {
    r.xruns = jsonNumber(r.report, "xruns");
    r.lateFrames = jsonNumber(r.report, "late_frames");
    r.callbacks = jsonNumber(r.report, "callbacks");
    r.latencyGrowths = jsonNumber(r.report, "latency_growths");
    r.latencyMs = jsonNumber(r.report, "latency_ms");
    r.startLatencyMs = jsonNumber(r.report, "start_latency_ms");
    r.framesProcessed = jsonNumber(r.report, "frames_processed");
    r.nonFiniteBlocks = jsonNumber(r.report, "non_finite_blocks");
    r.droppedInput = jsonNumber(r.report, "dropped_input_samples");
    r.computeP99 = jsonNumber(r.report, "p99");
    r.computeMax = jsonNumber(r.report, "max");
  }
  r.options = o;
  r.options.progress = nullptr;
  return r;
}

std::string SoakResult::json() const {
  mm::JsonWriter j;
  auto num = [](double v) { return std::isfinite(v) ? v : -1.0; };
  j.beginObject()
      .key("seconds_asked").value(options.seconds)
      .key("warmup_seconds").value(options.warmupSeconds)
      .key("sample_rate").value(options.rate)
      .key("period").value(options.period)
      .key("midi_per_cycle").value(options.midiPerCycle)
      .key("osc_per_second").value(options.oscPerSecond)
      .key("switch_seconds").value(options.switchSeconds)
      .key("cpu_hog").value(options.cpuHog)
      .key("started").value(started)
      .key("failure").value(failure)
      .key("played_seconds").value(playedSeconds)
      .key("alive_throughout").value(aliveThroughout)
      .key("exited_cleanly").value(exitedCleanly)
      .key("exit_status").value(exitStatus)
      .key("midi_sent").value(midiSent)
      .key("midi_per_second").value(playedSeconds > 0 ? midiSent / playedSeconds : 0.0)
      .key("midi_write_failures").value(midiWriteFailures)
      .key("midi_dropped_by_instrument").value(midiDropped)
      .key("midi_fence_seen").value(fenceSeen)
      .key("osc_param_changes").value(oscParamChanges)
      .key("osc_errors").value(oscErrors)
      .key("preset_switches").value(presetSwitches)
      .key("model_switches").value(modelSwitches)
      .key("program_changes_midi").value(programChanges)
      .key("preset_notes_midi").value(presetNotes)
      .key("program_changes_osc").value(oscPrograms)
      .key("switches_acknowledged").value(navAcknowledged)
      .key("rss_first_kb").value(rssFirstKb)
      .key("rss_start_kb").value(rssStartKb)
      .key("rss_max_kb").value(rssMaxKb)
      .key("rss_end_kb").value(rssEndKb)
      .key("rss_growth_kb").value(rssGrowthKb())
      .key("graph_cycles").value(graphCycles)
      .key("driver_xruns").value(driverXruns)
      .key("silent_windows").value(silentWindows)
      .key("windows").value(static_cast<unsigned long long>(windowDb.size()))
      .key("report").beginObject()
      .key("xruns").value(num(xruns))
      .key("late_frames").value(num(lateFrames))
      .key("callbacks").value(num(callbacks))
      .key("latency_growths").value(num(latencyGrowths))
      .key("start_latency_ms").value(num(startLatencyMs))
      .key("latency_ms").value(num(latencyMs))
      .key("frames_processed").value(num(framesProcessed))
      .key("non_finite_blocks").value(num(nonFiniteBlocks))
      .key("dropped_input_samples").value(num(droppedInput))
      .key("compute_p99_ms").value(num(computeP99))
      .key("compute_max_ms").value(num(computeMax))
      .endObject()
      .key("rss_kb_per_second").beginArray();
  for (long kb : rssKb) j.value(kb);
  j.endArray().key("output_db_per_second").beginArray();
  for (float db : windowDb) j.value(std::round(db * 10) / 10.0);
  j.endArray().endObject();
  return j.str() + "\n";
}

std::string SoakResult::text() const {
  std::ostringstream s;
  char b[512];
  auto line = [&](const char* fmt, auto... a) {
    std::snprintf(b, sizeof b, fmt, a...);
    s << b << "\n";
  };
  const double mb = 1.0 / 1024;
  line("played %.1f s (asked %.0f, warm-up %.0f), %d Hz / %d frames, CPU hog on one core: %s", playedSeconds,
       options.seconds, options.warmupSeconds, options.rate, options.period, options.cpuHog ? "yes" : "no");
  line("survived: %s; exit on SIGINT: status %d (%s)", aliveThroughout ? "yes, alive throughout" : "NO, it died",
       exitStatus, exitedCleanly ? "clean" : "NOT clean");
  line("MIDI sent: %llu (%.0f/s), write failures %llu, dropped by the instrument %llu, end fence %s",
       static_cast<unsigned long long>(midiSent), playedSeconds > 0 ? midiSent / playedSeconds : 0.0,
       static_cast<unsigned long long>(midiWriteFailures), static_cast<unsigned long long>(midiDropped),
       fenceSeen ? "handled" : "NOT handled");
  line("parameter changes over OSC: %llu (errors answered: %llu)", static_cast<unsigned long long>(oscParamChanges),
       static_cast<unsigned long long>(oscErrors));
  line("preset switches: %llu (MIDI program change %llu, MIDI preset note %llu, OSC program %llu), model switches "
       "%llu; acknowledged in the instrument's log: %llu",
       static_cast<unsigned long long>(presetSwitches), static_cast<unsigned long long>(programChanges),
       static_cast<unsigned long long>(presetNotes), static_cast<unsigned long long>(oscPrograms),
       static_cast<unsigned long long>(modelSwitches), static_cast<unsigned long long>(navAcknowledged));
  line("RSS: first %.1f MB, after warm-up %.1f MB, max %.1f MB, end %.1f MB; growth after warm-up %.1f MB",
       rssFirstKb * mb, rssStartKb * mb, rssMaxKb * mb, rssEndKb * mb, rssGrowthKb() * mb);
  line("audio: %.0f callbacks over %llu graph cycles (%.1f %%), %d of %zu one-second output windows after warm-up "
       "below -60 dBFS",
       callbacks, static_cast<unsigned long long>(graphCycles), graphCycles ? 100.0 * callbacks / graphCycles : 0.0,
       silentWindows, windowDb.size() > static_cast<size_t>(options.warmupSeconds)
                          ? windowDb.size() - static_cast<size_t>(options.warmupSeconds)
                          : size_t{0});
  line("xruns: %.0f (the driver's client saw %llu while it played), late frames: %.0f, latency %.1f ms (started at %.1f ms, %.0f "
       "steps up), compute p99 %.2f ms, max %.2f ms, non-finite blocks %.0f",
       xruns, static_cast<unsigned long long>(driverXruns), lateFrames, latencyMs, startLatencyMs, latencyGrowths,
       computeP99, computeMax, nonFiniteBlocks);
  if (!failure.empty()) s << "failure: " << failure << "\n";
  return s.str();
}

}  // namespace mmtest
