#include "TriggerBenchSet.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "AudioFile.h"
#include "TriggerLearner.h"

namespace fs = std::filesystem;

namespace mmbench {

std::vector<Label> readLabels(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error(path + ": cannot open the labels");
  std::vector<Label> out;
  std::string line;
  std::getline(f, line);  // header
  while (std::getline(f, line)) {
    const auto comma = line.find(',');
    if (comma == std::string::npos) continue;
    out.push_back({std::stod(line.substr(0, comma)), line.substr(comma + 1)});
  }
  return out;
}

std::vector<float> readMono(const std::string& path, double* rate) {
  const mm::AudioBuffer b = mm::readAudioFile(path);
  if (rate) *rate = b.sampleRate;
  return mm::downmix(b);
}

std::vector<Performer> loadSet(const std::string& dir) {
  std::vector<Performer> out;
  if (!fs::is_directory(dir))
    throw std::runtime_error(dir +
                             ": not a folder; make the set with "
                             "/usr/bin/python3 tests/fixtures/make_vocal_percussion.py " +
                             dir);
  for (const auto& e : fs::directory_iterator(dir)) {
    if (!e.is_directory() || !fs::exists(e.path() / "test.wav")) continue;
    Performer p;
    p.name = e.path().filename().string();
    p.dir = e.path().string();
    for (const char* c : {"kick", "snare", "hihat"})
      if (fs::exists(e.path() / (std::string("train_") + c + ".wav"))) p.classes.push_back(c);
    out.push_back(p);
  }
  std::sort(out.begin(), out.end(), [](const Performer& a, const Performer& b) { return a.name < b.name; });
  if (out.empty()) throw std::runtime_error(dir + ": no performer folders with test.wav");
  return out;
}

mm::TriggerProfile learnFromTakes(const Performer& p, const mm::TriggerSettings& settings, int perClass,
                                  std::vector<int>* found) {
  mm::TriggerProfile profile;
  profile.settings = settings;
  if (found) found->clear();
  for (const auto& c : p.classes) {
    double rate = 0;
    const auto mono = readMono(p.dir + "/train_" + c + ".wav", &rate);
    mm::TakeExamples take = mm::examplesFromTake(mono, rate, settings);
    if (found) found->push_back(static_cast<int>(take.examples.size()));
    mm::TriggerClass tc;
    tc.name = c;
    tc.note = mm::defaultTriggerNote(c, static_cast<int>(profile.classes.size()));
    for (int i = 0; i < perClass && i < static_cast<int>(take.examples.size()); ++i)
      tc.examples.push_back(take.examples[i]);
    profile.classes.push_back(tc);
    profile.sampleRate = rate;
  }
  return profile;
}

double median(std::vector<double> v) { return percentile(std::move(v), 50); }

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double pos = p / 100.0 * (v.size() - 1);
  const size_t lo = static_cast<size_t>(pos);
  const size_t hi = std::min(v.size() - 1, lo + 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

}  // namespace mmbench
