// OnsetDetector: aubio onset detection on a mono stream (voice hits, drum hits).
// Construct before the stream starts (aubio allocates then); process() does not allocate
// and may run on the audio thread. detectOnsets() is the offline convenience used by
// render reports, tests and benchmarks.
#pragma once

#include <string>
#include <vector>

#include "Realtime.h"

namespace mm {

struct OnsetSettings {
  std::string method = "hfc";  // any aubio onset method: hfc, energy, complex, specflux, ...
  int hop = 128;               // 64..256 samples
  int window = 512;
  float threshold = 0.3f;
  float silenceDb = -70.f;
  float minGapMs = 40.f;
};

class OnsetDetector {
 public:
  OnsetDetector(double sampleRate, const OnsetSettings& settings = {});
  ~OnsetDetector();
  OnsetDetector(const OnsetDetector&) = delete;
  OnsetDetector& operator=(const OnsetDetector&) = delete;

  // Feeds n samples. Writes the times (seconds since the first sample fed, aubio's delay
  // compensation applied) of onsets found into `times` (up to maxTimes); returns count.
  MM_REALTIME int process(const float* x, int n, double* times, int maxTimes) noexcept;
  const OnsetSettings& settings() const { return settings_; }
  // Time (s) at which the detector reports an onset, relative to the onset itself:
  // the hops it must see before deciding.
  double decisionDelaySeconds() const;

 private:
  OnsetSettings settings_;
  double sampleRate_;
  // aubio objects (opaque here so that aubio's headers stay out of ours).
  void* onset_ = nullptr;
  void* in_ = nullptr;
  void* out_ = nullptr;
  int fill_ = 0;
};

std::vector<double> detectOnsets(const std::vector<float>& mono, double sampleRate,
                                 const OnsetSettings& settings = {});

struct OnsetMatch {
  double precision = 0, recall = 0, fMeasure = 0;
  double medianOffsetMs = 0;  // estimated - reference, over matched pairs
  int matched = 0, reference = 0, estimated = 0;
};
// Greedy one-to-one matching within `toleranceSec` (MIREX-style onset evaluation).
OnsetMatch matchOnsets(const std::vector<double>& reference, const std::vector<double>& estimated,
                       double toleranceSec = 0.05);

}  // namespace mm
