// The labelled vocal-percussion set for the trigger tests: three performers of
// tests/fixtures/make_vocal_percussion.py (a high espeak-ng voice, a low one, a
// synthesised mouth), generated on first use into the build's fixture folder.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "TestSupport.h"

namespace mmtest {

inline const std::vector<std::string>& triggerTestPerformers() {
  static const std::vector<std::string> names = {"f3_high", "scot_m5", "synth_a"};
  return names;
}

// The set's folder. Generated once (about 10-30 s); concurrent test processes each write
// their own temporary folder and the first rename wins (the files are identical: the
// generator is deterministic).
inline std::string vocalPercussionSet() {
  namespace fs = std::filesystem;
  // The folder is named for what the generator writes: a set from before syllables.wav is
  // not taken for a current one.
  const std::string dir = fixture("vocal_percussion_v2");
  if (fs::exists(dir + "/manifest.json")) return dir;
  const std::string tmp = dir + ".tmp" + std::to_string(::getpid());
  fs::remove_all(tmp);
  std::string names;
  for (const auto& n : triggerTestPerformers()) names += (names.empty() ? "" : ",") + n;
  const CommandResult r = runCommand("/usr/bin/python3 " + sourcePath("tests/fixtures/make_vocal_percussion.py") + " " +
                                     tmp + " --performers " + names);
  if (r.status != 0) throw std::runtime_error("make_vocal_percussion.py failed:\n" + r.output);
  std::error_code ec;
  fs::rename(tmp, dir, ec);
  if (ec) fs::remove_all(tmp);  // another process was first
  if (!fs::exists(dir + "/manifest.json")) throw std::runtime_error("no vocal-percussion set in " + dir);
  return dir;
}

struct TriggerLabel {
  double time;
  std::string cls;
};

inline std::vector<TriggerLabel> readTriggerLabels(const std::string& csv) {
  std::ifstream f(csv);
  std::vector<TriggerLabel> out;
  std::string line;
  std::getline(f, line);
  while (std::getline(f, line)) {
    const auto comma = line.find(',');
    if (comma != std::string::npos) out.push_back({std::stod(line.substr(0, comma)), line.substr(comma + 1)});
  }
  return out;
}

}  // namespace mmtest
