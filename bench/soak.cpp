// mm_soak: the long soak (issue 11, reliability). The same driver as the CI test
// tests/test_soak.cpp (tests/SoakDriver.*), for as long as asked:
//
//   build-bench/mm_soak --minutes 10 [--out bench/results/soak] [--warmup S] [--period N]
//                       [--midi-per-cycle K] [--osc-per-second R] [--switch-seconds S]
//                       [--no-hog] [--model M]
//
// Starts a private JACK dummy server (jackd -R/-r -d dummy, 44.1 kHz, 256 frames), runs
// `musicmill perform --headless --audio-api jack` on a set list of four parts with four
// models, plays the demo beatbox voice in, sends a MIDI storm (20 messages a JACK cycle,
// about 3,400 a second), random parameter changes over OSC (50 a second), a preset switch
// every 2 s (MIDI program change / MIDI note on select_preset / OSC program, in turn; the
// program changes switch models), with a busy loop on one core, and samples the
// instrument's RSS every second. Writes OUT.json (every figure, RSS and output level per
// second) and OUT.txt (the summary, with the date and the machine). Exit status 0 when the
// instrument survived and exited cleanly, 1 otherwise.
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <string>

#include "SoakDriver.h"
#include "TestSupport.h"

using namespace mmtest;

namespace {

std::string arg(int argc, char** argv, const std::string& name, const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (name == argv[i]) return argv[i + 1];
  return fallback;
}

bool flag(int argc, char** argv, const std::string& name) {
  for (int i = 1; i < argc; ++i)
    if (name == argv[i]) return true;
  return false;
}

std::string cpuModel() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown CPU";
}

std::string loadAverage() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a + " " + b + " " + c;
}

}  // namespace

int main(int argc, char** argv) {
  if (flag(argc, argv, "--help") || flag(argc, argv, "-h")) {
    std::printf("usage: mm_soak --minutes M [--out PREFIX] [--warmup S] [--period N] [--midi-per-cycle K]\n"
                "               [--osc-per-second R] [--switch-seconds S] [--no-hog] [--model M]\n");
    return 0;
  }
  SoakOptions o;
  o.seconds = 60 * std::stod(arg(argc, argv, "--minutes", "10"));
  o.warmupSeconds = std::stod(arg(argc, argv, "--warmup", "30"));
  o.period = std::stoi(arg(argc, argv, "--period", "256"));
  o.midiPerCycle = std::stoi(arg(argc, argv, "--midi-per-cycle", "20"));
  o.oscPerSecond = std::stod(arg(argc, argv, "--osc-per-second", "50"));
  o.switchSeconds = std::stod(arg(argc, argv, "--switch-seconds", "2"));
  o.cpuHog = !flag(argc, argv, "--no-hog");
  o.model = arg(argc, argv, "--model", "");
  o.progress = [](const std::string& m) {
    std::printf("soak: %s\n", m.c_str());
    std::fflush(stdout);
  };
  const std::string out = arg(argc, argv, "--out", sourcePath("bench/results/soak"));

  const std::time_t now = std::time(nullptr);
  char date[64];
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M %Z", std::localtime(&now));
  const std::string loadBefore = loadAverage();
  const SoakResult r = runSoak(o);
  const std::string loadAfter = loadAverage();

  std::string head = std::string("MusicMill Live soak, ") + date + "\n";
  head += "machine: " + cpuModel() + ", " + std::to_string(::sysconf(_SC_NPROCESSORS_ONLN)) + " cores\n";
  head += "load average (1/5/15 min) before: " + loadBefore + ", after: " + loadAfter +
          " (the machine is shared: other builds and tests may run beside the soak)\n";
  head += "command:";
  for (int i = 0; i < argc; ++i) head += std::string(" ") + argv[i];
  head += "\n";
  const std::string text = head + r.text();
  std::ofstream(out + ".txt") << text;
  std::ofstream(out + ".json") << r.json();
  std::printf("\n%s\nwrote %s.txt and %s.json\n", text.c_str(), out.c_str(), out.c_str());
  if (!r.started) std::printf("instrument log:\n%s\n", r.log.c_str());
  return r.started && r.aliveThroughout && r.exitedCleanly ? 0 : 1;
}
