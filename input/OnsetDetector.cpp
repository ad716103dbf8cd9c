#include "OnsetDetector.h"

#include <aubio/aubio.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace mm {

OnsetDetector::OnsetDetector(double sampleRate, const OnsetSettings& s)
    : settings_(s), sampleRate_(sampleRate) {
  aubio_onset_t* onset = new_aubio_onset(s.method.c_str(), static_cast<uint_t>(s.window),
                                         static_cast<uint_t>(s.hop),
                                         static_cast<uint_t>(sampleRate));
  if (!onset)
    throw std::invalid_argument("onset method '" + s.method +
                                "' is not known to aubio (try hfc, energy, complex, specflux)");
  aubio_onset_set_threshold(onset, s.threshold);
  aubio_onset_set_silence(onset, s.silenceDb);
  aubio_onset_set_minioi_ms(onset, s.minGapMs);
  onset_ = onset;
  in_ = new_fvec(static_cast<uint_t>(s.hop));
  out_ = new_fvec(1);
}

OnsetDetector::~OnsetDetector() {
  if (onset_) del_aubio_onset(static_cast<aubio_onset_t*>(onset_));
  if (in_) del_fvec(static_cast<fvec_t*>(in_));
  if (out_) del_fvec(static_cast<fvec_t*>(out_));
}

double OnsetDetector::decisionDelaySeconds() const {
  return 2.0 * settings_.hop / sampleRate_;
}

int OnsetDetector::process(const float* x, int n, double* times, int maxTimes) noexcept {
  int found = 0;
  auto* onset = static_cast<aubio_onset_t*>(onset_);
  auto* in = static_cast<fvec_t*>(in_);
  auto* out = static_cast<fvec_t*>(out_);
  for (int i = 0; i < n; ++i) {
    in->data[fill_++] = x[i];
    if (fill_ < settings_.hop) continue;
    fill_ = 0;
    aubio_onset_do(onset, in, out);
    if (out->data[0] != 0.f && found < maxTimes)
      times[found++] = std::max(0.0, static_cast<double>(aubio_onset_get_last_s(onset)));
  }
  return found;
}

std::vector<double> detectOnsets(const std::vector<float>& mono, double sampleRate,
                                 const OnsetSettings& settings) {
  OnsetDetector d(sampleRate, settings);
  std::vector<double> all;
  double buf[64];
  const int chunk = 4096;
  for (size_t pos = 0; pos < mono.size(); pos += chunk) {
    const int n = static_cast<int>(std::min<size_t>(chunk, mono.size() - pos));
    const int k = d.process(mono.data() + pos, n, buf, 64);
    all.insert(all.end(), buf, buf + k);
  }
  return all;
}

OnsetMatch matchOnsets(const std::vector<double>& ref, const std::vector<double>& est, double tol) {
  OnsetMatch m;
  m.reference = static_cast<int>(ref.size());
  m.estimated = static_cast<int>(est.size());
  std::vector<bool> used(est.size(), false);
  std::vector<double> offsets;
  for (double r : ref) {
    int best = -1;
    double bestD = tol;
    for (size_t j = 0; j < est.size(); ++j) {
      const double d = std::fabs(est[j] - r);
      if (!used[j] && d <= bestD) {
        bestD = d;
        best = static_cast<int>(j);
      }
    }
    if (best >= 0) {
      used[best] = true;
      offsets.push_back((est[best] - r) * 1000.0);
    }
  }
  m.matched = static_cast<int>(offsets.size());
  m.precision = est.empty() ? 0 : static_cast<double>(m.matched) / est.size();
  m.recall = ref.empty() ? 0 : static_cast<double>(m.matched) / ref.size();
  m.fMeasure = (m.precision + m.recall) > 0 ? 2 * m.precision * m.recall / (m.precision + m.recall) : 0;
  if (!offsets.empty()) {
    std::sort(offsets.begin(), offsets.end());
    m.medianOffsetMs = offsets[offsets.size() / 2];
  }
  return m;
}

}  // namespace mm
