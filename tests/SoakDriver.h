// The soak test's driver (issue 11, reliability), shared by the CI test
// (tests/test_soak.cpp, about 60 s) and the long run (bench/soak.cpp, `mm_soak --minutes 10`).
//
// Against the real `musicmill perform --headless --audio-api jack` on a private JACK dummy
// server it: plays the demo beatbox voice in (looped) and listens to the output in 1 s
// windows; sends a storm of MIDI (CC, 14-bit CC, relative CC, notes, pitch bend, aftertouch;
// thousands a second) from its own JACK MIDI port, every message bound in a mapping file;
// sends random parameter changes over OSC; switches presets every `switchSeconds` (program
// change to a set-list part, a note bound to `select_preset`, OSC /musicmill/program) with a
// set list whose parts use four different models, so every program change is a model switch;
// runs a busy-loop process on one core; and samples the instrument's resident memory every
// second. At the end it proves MIDI is still handled (a fence CC read back over OSC), stops
// the instrument with SIGINT and reads its --report JSON.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace mmtest {

struct SoakOptions {
  double seconds = 60;          // playing time, warm-up included
  double warmupSeconds = 15;    // RSS baseline is taken at the end of the warm-up
  int rate = 44100, period = 256;
  int midiPerCycle = 20;        // storm messages per JACK cycle (20 x 172 cycles/s = 3,445/s)
  double oscPerSecond = 50;     // random parameter changes over OSC
  double switchSeconds = 2;     // a preset switch this often
  bool cpuHog = true;           // a busy loop pinned to the last core, nice 0
  std::string model;            // --model (default: the bundled drum model)
  std::string workDir;          // set list, mapping, report, logs (default: a fresh temp dir)
  std::function<void(const std::string&)> progress;  // a line now and then (may be empty)
};

struct SoakResult {
  bool started = false;          // the instrument came up and found the MIDI port
  std::string failure;           // why it did not start / what went wrong in the driver
  double playedSeconds = 0;      // from "playing" to SIGINT
  bool aliveThroughout = false;  // never exited before the SIGINT
  bool exitedCleanly = false;    // exit status 0 after SIGINT, within 20 s
  int exitStatus = -1;           // exit code, or -signal when killed by a signal
  // What the driver sent.
  uint64_t midiSent = 0, midiWriteFailures = 0, oscParamChanges = 0, oscErrors = 0;
  uint64_t presetSwitches = 0, modelSwitches = 0, programChanges = 0, presetNotes = 0, oscPrograms = 0;
  // What the instrument said it handled (from its log).
  uint64_t navAcknowledged = 0;  // "MIDI: program change", "MIDI: preset", "OSC: program change" lines
  uint64_t midiDropped = 0;      // "N MIDI messages dropped" lines, summed
  bool fenceSeen = false;        // a CC sent after the storm reached its parameter
  // Memory (kB): after warm-up, the largest after warm-up, at the end (before SIGINT).
  long rssStartKb = 0, rssMaxKb = 0, rssEndKb = 0, rssFirstKb = 0;
  std::vector<long> rssKb;       // one sample a second from "playing"
  // Audio.
  uint64_t graphCycles = 0;      // the driver's JACK cycles while the instrument played
  uint64_t driverXruns = 0;      // xruns the driver's client saw (server-wide)
  std::vector<float> windowDb;   // output RMS per 1 s window (dBFS), from "playing" on
  int silentWindows = 0;         // windows after warm-up below -60 dBFS
  // From the instrument's --report.
  double xruns = -1, lateFrames = -1, callbacks = -1, latencyGrowths = -1, latencyMs = -1,
         startLatencyMs = -1, framesProcessed = -1, nonFiniteBlocks = -1, droppedInput = -1,
         computeP99 = -1, computeMax = -1;
  std::string report, log;
  SoakOptions options;           // what was asked (progress cleared)

  long rssGrowthKb() const { return rssMaxKb - rssStartKb; }
  std::string json() const;
  std::string text() const;
};

SoakResult runSoak(const SoakOptions& options);

}  // namespace mmtest
