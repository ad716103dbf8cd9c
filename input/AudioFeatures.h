// AudioFeatures: measurements of rendered audio used by the demo report, tests and
// benchmarks (offline; allocates freely).
#pragma once

#include <vector>

namespace mm {

struct AudioFeatures {
  double rms = 0, peak = 0;
  double onsetsPerSecond = 0;
  double centroidHz = 0;
  double maxStep = 0;                 // largest |x[i] - x[i-1]|
  std::vector<double> logSpectrum;    // mean log-magnitude spectrum (1024-point frames)
  std::vector<double> envelope;       // RMS per 10 ms
};

AudioFeatures measureAudio(const std::vector<float>& mono, double sampleRate);
// Mean absolute difference of two mean log spectra (dB-like units).
double spectralDistance(const AudioFeatures& a, const AudioFeatures& b);
// Lag (seconds, within [minLag, maxLag]) of the highest autocorrelation of the 10 ms RMS
// envelope, and that correlation (0..1).
double envelopePeriod(const AudioFeatures& f, double minLag, double maxLag, double* strength = nullptr);

}  // namespace mm
