#include "TriggerFeatures.h"

#include <aubio/aubio.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace mm {

namespace {

const char* const kNames[kTriggerFeatureCount] = {
    "mfcc1",           "mfcc2",         "mfcc3",          "mfcc4",
    "mfcc5",           "mfcc6",         "mfcc7",          "mfcc8",
    "mfcc9",           "mfcc10",        "mfcc11",         "mfcc12",
    "centroid_log2hz", "spread_log2hz", "skewness",       "kurtosis_log",
    "slope",           "decrease",      "rolloff_log2hz", "flatness_db",
    "zero_crossings",  "band_0_250",    "band_250_600",   "band_600_1k5",
    "band_1k5_3k5",    "band_3k5_7k",   "band_7k_16k",    "late_vs_early_db",
    "crest_db"};

const char* const kDescriptors[7] = {"centroid", "spread", "skewness", "kurtosis", "slope", "decrease", "rolloff"};

constexpr int kMfccFilters = 26;

float db(double ratio, float floorDb) {
  return ratio > 0 ? std::max(floorDb, static_cast<float>(10.0 * std::log10(ratio))) : floorDb;
}
float log2Hz(double hz) { return static_cast<float>(std::log2(std::max(20.0, hz))); }

}  // namespace

const char* triggerFeatureName(int i) { return i >= 0 && i < kTriggerFeatureCount ? kNames[i] : "?"; }

TriggerFeatureExtractor::TriggerFeatureExtractor(double sampleRate, int maxSegment)
    : rate_(sampleRate), maxSegment_(std::max(16, maxSegment)) {
  fftSize_ = 512;
  while (fftSize_ < maxSegment_) fftSize_ *= 2;
  const auto n = static_cast<uint_t>(fftSize_);
  fft_ = new_aubio_fft(n);
  frame_ = new_fvec(n);
  spectrum_ = new_cvec(n);
  // The mel filterbank is aubio's; the DCT is ours (dct_ below): aubio_mfcc_do's FFTW DCT
  // allocates a scratch buffer on every call, which the audio thread must never do.
  mfcc_ = new_aubio_filterbank(kMfccFilters, n);
  mfccOut_ = new_fvec(kMfccFilters);
  descOut_ = new_fvec(1);
  raw_ = new_fvec(static_cast<uint_t>(maxSegment_));
  bool ok = fft_ && frame_ && spectrum_ && mfcc_ && mfccOut_ && descOut_ && raw_;
  for (int d = 0; d < 7; ++d) ok = (desc_[d] = new_aubio_specdesc(kDescriptors[d], n)) != nullptr && ok;
  // Mel bands over the range a voice at a microphone reaches; the top stays under Nyquist.
  if (ok)
    ok = aubio_filterbank_set_mel_coeffs(static_cast<aubio_filterbank_t*>(mfcc_), static_cast<smpl_t>(sampleRate), 60.f,
                                         static_cast<smpl_t>(std::min(15000.0, 0.45 * sampleRate))) == 0;
  // Orthonormal DCT-II rows 1..12 (row 0, the loudness, is left out).
  dct_.resize(static_cast<size_t>(kTriggerMfccCount) * kMfccFilters);
  for (int k = 1; k <= kTriggerMfccCount; ++k)
    for (int j = 0; j < kMfccFilters; ++j)
      dct_[static_cast<size_t>(k - 1) * kMfccFilters + j] =
          static_cast<float>(std::sqrt(2.0 / kMfccFilters) * std::cos(M_PI * k * (2 * j + 1) / (2.0 * kMfccFilters)));
  if (!ok) {
    release();
    throw std::runtime_error("aubio cannot build the trigger feature objects at " +
                             std::to_string(static_cast<int>(sampleRate)) + " Hz");
  }
}

TriggerFeatureExtractor::~TriggerFeatureExtractor() { release(); }

void TriggerFeatureExtractor::release() {
  if (fft_) del_aubio_fft(static_cast<aubio_fft_t*>(fft_));
  if (frame_) del_fvec(static_cast<fvec_t*>(frame_));
  if (spectrum_) del_cvec(static_cast<cvec_t*>(spectrum_));
  if (mfcc_) del_aubio_filterbank(static_cast<aubio_filterbank_t*>(mfcc_));
  if (mfccOut_) del_fvec(static_cast<fvec_t*>(mfccOut_));
  if (descOut_) del_fvec(static_cast<fvec_t*>(descOut_));
  if (raw_) del_fvec(static_cast<fvec_t*>(raw_));
  for (auto*& d : desc_) {
    if (d) del_aubio_specdesc(static_cast<aubio_specdesc_t*>(d));
    d = nullptr;
  }
  fft_ = frame_ = spectrum_ = mfcc_ = mfccOut_ = descOut_ = raw_ = nullptr;
}

void TriggerFeatureExtractor::extract(const float* seg, int n, int onsetIndex, TriggerMeasurement& out) noexcept {
  n = std::clamp(n, 0, maxSegment_);
  onsetIndex = std::clamp(onsetIndex, 0, std::max(0, n - 1));
  auto* frame = static_cast<fvec_t*>(frame_);
  auto* spec = static_cast<cvec_t*>(spectrum_);
  auto* descOut = static_cast<fvec_t*>(descOut_);
  float* f = out.features;

  // The window rises (half Hann) over the part before the onset, stays flat through the
  // listen window and falls over its last 2 ms: the attack, which tells a "k" from a "t",
  // keeps its full weight (a plain Hann window would hide it).
  const int fall = std::min(n - onsetIndex, std::max(1, static_cast<int>(0.002 * rate_)));
  for (int i = 0; i < fftSize_; ++i) {
    float w = 0.f;
    if (i < n) {
      w = 1.f;
      if (i < onsetIndex)
        w = 0.5f - 0.5f * std::cos(static_cast<float>(M_PI) * (i + 0.5f) / onsetIndex);
      else if (i >= n - fall)
        w = 0.5f - 0.5f * std::cos(static_cast<float>(M_PI) * (n - i - 0.5f) / fall);
      w *= seg[i];
    }
    frame->data[i] = std::isfinite(w) ? w : 0.f;
  }
  aubio_fft_do(static_cast<aubio_fft_t*>(fft_), frame, spec);

  // MFCC 1..12: log10 of aubio's mel band energies, then the DCT.
  auto* mo = static_cast<fvec_t*>(mfccOut_);
  aubio_filterbank_do(static_cast<aubio_filterbank_t*>(mfcc_), spec, mo);
  float logMel[kMfccFilters];
  for (int j = 0; j < kMfccFilters; ++j) logMel[j] = std::log10(std::max(1e-10f, mo->data[j]));
  int k = 0;
  for (int c = 0; c < kTriggerMfccCount; ++c) {
    float acc = 0.f;
    for (int j = 0; j < kMfccFilters; ++j) acc += dct_[static_cast<size_t>(c) * kMfccFilters + j] * logMel[j];
    f[k++] = acc;
  }

  // aubio's spectral shape descriptors (in bins; turned into Hz where they are frequencies).
  const double binHz = rate_ / fftSize_;
  float d[7];
  for (int i = 0; i < 7; ++i) {
    aubio_specdesc_do(static_cast<aubio_specdesc_t*>(desc_[i]), spec, descOut);
    d[i] = descOut->data[0];
  }
  f[k++] = log2Hz(d[0] * binHz);
  f[k++] = log2Hz(std::sqrt(std::max(0.f, d[1])) * binHz);
  f[k++] = d[2];
  f[k++] = static_cast<float>(std::log(std::max(1e-3f, d[3])));
  f[k++] = d[4] * 1000.f;  // aubio's slope is tiny per bin
  f[k++] = d[5];
  f[k++] = log2Hz(d[6] * binHz);

  // Flatness (geometric / arithmetic mean of the power spectrum) and band energies.
  const int bins = static_cast<int>(spec->length);
  double logSum = 0, sum = 0, band[kTriggerBandCount] = {};
  for (int b = 1; b < bins; ++b) {
    const double p = static_cast<double>(spec->norm[b]) * spec->norm[b];
    logSum += std::log(p + 1e-20);
    sum += p;
    const double hz = b * binHz;
    for (int j = 0; j < kTriggerBandCount; ++j)
      if (hz >= kTriggerBandEdgesHz[j] && hz < kTriggerBandEdgesHz[j + 1]) band[j] += p;
  }
  const double mean = sum / std::max(1, bins - 1);
  f[k++] = mean > 0 ? db(std::exp(logSum / std::max(1, bins - 1)) / mean, -60.f) : -60.f;

  // From the onset on, unwindowed: zero crossings (aubio), level shape, peak.
  auto* raw = static_cast<fvec_t*>(raw_);
  const int after = n - onsetIndex;
  raw->length = static_cast<uint_t>(std::max(1, after));
  double early = 0, late = 0, peak = 0;
  for (int i = 0; i < after; ++i) {
    const float s = std::isfinite(seg[onsetIndex + i]) ? seg[onsetIndex + i] : 0.f;
    raw->data[i] = s;
    (i < after / 2 ? early : late) += static_cast<double>(s) * s;
    peak = std::max(peak, static_cast<double>(std::fabs(s)));
  }
  if (after <= 0) raw->data[0] = 0.f;
  f[k++] = after > 1 ? static_cast<float>(aubio_zero_crossing_rate(raw) * rate_ / 1000.0) : 0.f;  // per ms
  raw->length = static_cast<uint_t>(maxSegment_);

  for (int j = 0; j < kTriggerBandCount; ++j) f[k++] = sum > 0 ? db(band[j] / sum, -60.f) : -60.f;
  f[k++] = std::clamp(db((late + 1e-12) / (early + 1e-12), -60.f), -60.f, 60.f);
  const double rms = std::sqrt((early + late) / std::max(1, after));
  f[k++] = rms > 0 ? db(peak * peak / (rms * rms), 0.f) : 0.f;

  for (int i = 0; i < kTriggerFeatureCount; ++i)
    if (!std::isfinite(f[i])) f[i] = 0.f;
  out.peakDb = peak > 0 ? std::max(-120.f, static_cast<float>(20.0 * std::log10(peak))) : -120.f;
}

}  // namespace mm
