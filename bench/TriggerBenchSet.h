// The labelled vocal-percussion set written by tests/fixtures/make_vocal_percussion.py,
// as the trigger benchmarks read it: per performer, learn-mode takes per class and a
// held-out test take with its labels.
#pragma once

#include <string>
#include <vector>

#include "TriggerProfile.h"

namespace mmbench {

struct Label {
  double time = 0;
  std::string cls;
};

struct Performer {
  std::string name, dir;
  std::vector<std::string> classes;  // names, in the order the set lists them
};

// Performers found in DIR (every sub-folder holding test.wav); throws with a message.
std::vector<Performer> loadSet(const std::string& dir);
std::vector<Label> readLabels(const std::string& csvPath);
std::vector<float> readMono(const std::string& wavPath, double* rate);

// A profile learned from the performer's takes (the first `perClass` onsets of each);
// `found` gets how many examples each take gave.
mm::TriggerProfile learnFromTakes(const Performer& p, const mm::TriggerSettings& settings, int perClass,
                                  std::vector<int>* found = nullptr);

double median(std::vector<double> v);
double percentile(std::vector<double> v, double p);

}  // namespace mmbench
