#include "AudioFeatures.h"

#include <aubio/aubio.h>

#include <algorithm>
#include <cmath>

#include "OnsetDetector.h"

namespace mm {

AudioFeatures measureAudio(const std::vector<float>& x, double rate) {
  AudioFeatures f;
  double sum = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sum += double(x[i]) * x[i];
    f.peak = std::max(f.peak, double(std::fabs(x[i])));
    if (i) f.maxStep = std::max(f.maxStep, double(std::fabs(x[i] - x[i - 1])));
  }
  f.rms = x.empty() ? 0 : std::sqrt(sum / x.size());
  const double seconds = x.size() / rate;
  f.onsetsPerSecond = seconds > 0 ? detectOnsets(x, rate).size() / seconds : 0;

  const int win = 1024, hop = 512;
  aubio_pvoc_t* pv = new_aubio_pvoc(win, hop);
  fvec_t* in = new_fvec(hop);
  cvec_t* spec = new_cvec(win);
  std::vector<double> acc(win / 2 + 1, 0.0);
  int frames = 0;
  for (size_t pos = 0; pos + hop <= x.size(); pos += hop) {
    for (int i = 0; i < hop; ++i) in->data[i] = x[pos + i];
    aubio_pvoc_do(pv, in, spec);
    for (int b = 0; b <= win / 2; ++b) acc[b] += std::log(1e-6 + spec->norm[b]);
    ++frames;
  }
  double num = 0, den = 0;
  f.logSpectrum.resize(acc.size());
  for (size_t b = 0; b < acc.size(); ++b) {
    f.logSpectrum[b] = frames ? acc[b] / frames : 0;
    const double mag = std::exp(f.logSpectrum[b]);
    num += mag * b * rate / win;
    den += mag;
  }
  f.centroidHz = den > 0 ? num / den : 0;
  del_aubio_pvoc(pv);
  del_fvec(in);
  del_cvec(spec);

  const size_t step = static_cast<size_t>(rate / 100);
  for (size_t pos = 0; pos + step <= x.size(); pos += step) {
    double s = 0;
    for (size_t i = pos; i < pos + step; ++i) s += double(x[i]) * x[i];
    f.envelope.push_back(std::sqrt(s / step));
  }
  return f;
}

double spectralDistance(const AudioFeatures& a, const AudioFeatures& b) {
  const size_t n = std::min(a.logSpectrum.size(), b.logSpectrum.size());
  double d = 0;
  for (size_t i = 0; i < n; ++i) d += std::fabs(a.logSpectrum[i] - b.logSpectrum[i]);
  return n ? 20.0 / std::log(10.0) * d / n : 0;
}

double envelopePeriod(const AudioFeatures& f, double minLag, double maxLag, double* strength) {
  const auto& e = f.envelope;
  if (e.size() < 4) return 0;
  double mean = 0;
  for (double v : e) mean += v;
  mean /= e.size();
  double var = 0;
  for (double v : e) var += (v - mean) * (v - mean);
  double best = -2, bestLag = 0;
  const int lo = std::max(1, static_cast<int>(minLag * 100)), hi = static_cast<int>(maxLag * 100);
  for (int lag = lo; lag <= hi && lag < static_cast<int>(e.size()); ++lag) {
    double c = 0;
    for (size_t i = lag; i < e.size(); ++i) c += (e[i] - mean) * (e[i - lag] - mean);
    c = var > 0 ? c / var * e.size() / (e.size() - lag) : 0;
    if (c > best) {
      best = c;
      bestLag = lag / 100.0;
    }
  }
  if (strength) *strength = best;
  return bestLag;
}

}  // namespace mm
