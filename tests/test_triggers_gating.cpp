// Beatbox triggers: what is a hit and what is not. Held voice and a hit's own tail do not
// trigger (the rise gate), a syllable is one hit (the hold), and the rise threshold that
// `triggers learn` takes from the takes.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "AudioFile.h"
#include "TestSupport.h"
#include "TriggerAnalyzer.h"
#include "TriggerLearner.h"
#include "TriggerProfile.h"
#include "TriggerTestSet.h"

using namespace mm;
using namespace mmtest;

TEST_CASE("a held vowel, a hum and a hit's own tail do not trigger, every real hit still does", "[triggers]") {
  // The generated set's held voice (sustain.wav: a vowel sung by the performer's voice, a
  // steady hum with a hard start, a swelling vowel with vibrato; 3 s each on a stage).
  // At most the start of each may count as a hit (it starts like one); nothing after it.
  for (const auto& performer : triggerTestPerformers()) {
    INFO(performer);
    const std::string dir = vocalPercussionSet() + "/" + performer;
    const mm::AudioBuffer b = mm::readAudioFile(dir + "/sustain.wav");
    const std::vector<float> mono = mm::downmix(b);
    std::vector<std::pair<double, double>> held;
    {
      std::ifstream f(dir + "/sustain.csv");
      std::string line;
      std::getline(f, line);
      while (std::getline(f, line)) held.emplace_back(std::stod(line), std::stod(line.substr(line.find(',') + 1)));
    }
    REQUIRE(held.size() == 3);
    TriggerSettings settings;
    int falseHits = 0;
    for (const auto& r : analyzeTriggersOffline(mono, b.sampleRate, settings, nullptr)) {
      const double t = r.hit.onsetSample / static_cast<double>(b.sampleRate);
      bool start = false;
      for (const auto& h : held) start |= std::fabs(t - h.first) <= 0.05;
      falseHits += !start;
    }
    CHECK(falseHits == 0);
    // The gate is what keeps them out: with it open the same voice plays drums.
    if (performer == "scot_m5") {
      settings.minRiseDb = -60.f;
      CHECK(analyzeTriggersOffline(mono, b.sampleRate, settings, nullptr).size() > 10u);
    }
    // And the held-out hits are all still found (48 of 48 on a 16th grid with reverb).
    const std::vector<float> test = mm::downmix(mm::readAudioFile(dir + "/test.wav"));
    const auto labels = readTriggerLabels(dir + "/test.csv");
    int found = 0;
    const auto reports = analyzeTriggersOffline(test, b.sampleRate, TriggerSettings{}, nullptr);
    for (const auto& l : labels)
      for (const auto& r : reports)
        if (std::fabs(r.hit.onsetSample / static_cast<double>(b.sampleRate) - l.time) < 0.05) {
          ++found;
          break;
        }
    CHECK(found == static_cast<int>(labels.size()));
    CHECK(reports.size() == labels.size());
  }
}

namespace {
// Hits of `settings` on a synthesised take: at each of `at` (seconds) a 30 ms noise burst
// at -20 dBFS; where `vowel` is set, a voiced "ah" 95 ms later at -8 dBFS for 300 ms,
// straight out of the burst's breathy tail (a "kah"); else silence until the next.
std::vector<double> hitTimes(const std::vector<double>& at, bool vowel, float holdMs) {
  const double rate = 44100;
  std::vector<float> x(static_cast<size_t>((at.back() + 0.8) * rate), 0.f);
  uint32_t seed = 7;
  auto noise = [&] {
    seed = seed * 1664525u + 1013904223u;
    return static_cast<float>(seed >> 8) / 8388608.f - 1.f;
  };
  for (float& v : x) v = 1e-4f * noise();  // a quiet room
  for (double t0 : at) {
    const size_t s0 = static_cast<size_t>(t0 * rate);
    for (size_t i = 0; i < static_cast<size_t>(0.095 * rate); ++i) {
      const double t = i / rate;  // burst, then breath at -31 dBFS until the vowel
      const float g = t < 0.03 ? 0.1f * static_cast<float>(std::exp(-t / 0.02)) : (vowel ? 0.05f : 0.f);
      x[s0 + i] += g * noise();
    }
    if (!vowel) continue;
    const size_t s1 = s0 + static_cast<size_t>(0.095 * rate);
    for (size_t i = 0; i < static_cast<size_t>(0.3 * rate); ++i) {
      const double t = i / rate, ph = 2 * 3.14159265 * 150 * t;
      const double env = std::min(1.0, t / 0.01) * std::min(1.0, (0.3 - t) / 0.05);
      x[s1 + i] += static_cast<float>(0.4 * env * (std::sin(ph) + 0.5 * std::sin(2 * ph) + 0.3 * std::sin(3 * ph)) / 1.8);
    }
  }
  TriggerSettings settings;
  settings.holdMs = holdMs;
  std::vector<double> times;
  for (const auto& r : analyzeTriggersOffline(x, rate, settings, nullptr)) times.push_back(r.hit.onsetSample / rate);
  return times;
}
}  // namespace

TEST_CASE("a consonant with its vowel is one hit, two hits 110 ms apart are two", "[triggers]") {
  // "kah" x4: the vowel 95 ms after the burst is a second onset, rising well above the
  // breath before it; the hold (sound never died away since the hit) makes it one hit.
  const std::vector<double> syllables = {0.5, 1.2, 1.9, 2.6};
  const auto once = hitTimes(syllables, true, 160.f);
  INFO("hits at " << Catch::Detail::stringify(once));
  REQUIRE(once.size() == syllables.size());
  for (size_t i = 0; i < once.size(); ++i) CHECK(std::fabs(once[i] - syllables[i]) < 0.02);  // on the consonant
  CHECK(hitTimes(syllables, true, 0.f).size() > syllables.size() + 1);  // without the hold the vowels play too
  // Two short hits 110 ms apart with silence between: both play, hold or not.
  const std::vector<double> pairs = {0.5, 0.61, 1.3, 1.41, 2.1, 2.21};
  CHECK(hitTimes(pairs, false, 160.f).size() == pairs.size());
}

TEST_CASE("syllables on a stage play once, fast pairs twice", "[triggers]") {
  // The generated set's syllables.wav: 8 consonant-vowel syllables, then 8 pairs of hits
  // 95-140 ms apart, in a room with reverb and crowd noise.
  int twice = 0, syllables = 0, pairHits = 0, pairFound = 0;
  for (const auto& performer : triggerTestPerformers()) {
    INFO(performer);
    const std::string dir = vocalPercussionSet() + "/" + performer;
    const mm::AudioBuffer b = mm::readAudioFile(dir + "/syllables.wav");
    const auto reports = analyzeTriggersOffline(mm::downmix(b), b.sampleRate, TriggerSettings{}, nullptr);
    std::ifstream f(dir + "/syllables.csv");
    std::string line;
    std::getline(f, line);
    while (std::getline(f, line)) {
      const double t = std::stod(line);
      const bool pair = line.substr(line.rfind(',') + 1) == "pair";
      int n = 0;
      for (const auto& r : reports) {
        const double h = r.hit.onsetSample / static_cast<double>(b.sampleRate);
        n += pair ? std::fabs(h - t) < 0.05 : (h > t - 0.05 && h < t + 0.2);
      }
      if (pair) {
        ++pairHits;
        pairFound += n > 0;
      } else {
        ++syllables;
        twice += n > 1;
      }
    }
  }
  CHECK(syllables == 8 * static_cast<int>(triggerTestPerformers().size()));
  CHECK(twice == 0);
  // Reported, not asserted exactly: the rise gate hears some second hits on the first's
  // reverberant tail (bench/README.md, 109 of 128 over eight performers).
  WARN("fast pairs: " << pairFound << " of " << pairHits << " hits found");
  CHECK(pairFound >= pairHits * 3 / 4);
}

TEST_CASE("min_rise_db learned from the takes: raised above the loudest tail, never to the hits, never lowered", "[triggers]") {
  OnsetRises r;
  r.hits = {38.f, 41.f, 35.f};
  r.other = {1.6f, 4.f};
  RiseChoice c = chooseMinRise(r, 10.f);  // the default already keeps 4 dB tails out
  CHECK_FALSE(c.learned);
  CHECK(c.minRiseDb == 10.f);
  CHECK(c.why.find("quietest hit rose 35.0 dB") != std::string::npos);
  r.other.push_back(13.f);  // a tail rising 13 dB: raised to 15
  c = chooseMinRise(r, 10.f);
  CHECK(c.learned);
  CHECK(c.minRiseDb == Approx(15.f));
  r.other.push_back(31.f);  // tails as steep as hits: kept, with what to do
  c = chooseMinRise(r, 10.f);
  CHECK_FALSE(c.learned);
  CHECK(c.minRiseDb == 10.f);
  CHECK(c.why.find("leave more silence") != std::string::npos);
  CHECK(chooseMinRise(r, 3.f).minRiseDb == 3.f);  // never lowered, never raised past the hits
  CHECK(chooseMinRise(OnsetRises{}, 10.f).minRiseDb == 10.f);

  // On a real take: every example rises far more than its tails, which are told apart.
  const std::string dir = vocalPercussionSet() + "/" + triggerTestPerformers()[0];
  const mm::AudioBuffer b = mm::readAudioFile(dir + "/train_snare.wav");
  OnsetRises take;
  measureOnsetRises(mm::downmix(b), b.sampleRate, TriggerSettings{}, take);
  CHECK(take.hits.size() == 8u);
  for (float h : take.hits) CHECK(h > 20.f);
  for (float o : take.other) CHECK(o < 10.f);
}
