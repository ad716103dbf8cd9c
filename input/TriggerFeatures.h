// TriggerFeatures: the numbers a beatbox trigger decides from, measured with aubio on one
// short window around an onset (a little before it to the end of the listen window).
// MFCC come from aubio's mel filterbank and a DCT of our own (aubio_mfcc_do's FFTW DCT
// allocates on every call). Every feature ignores loudness (c0 of the MFCC is left out, band energies are relative
// to the total), so a soft and a loud kick look alike; loudness becomes the velocity.
//
// The layout is versioned by kTriggerFeatureSet: profiles store raw feature vectors and
// refuse to load when the set differs, so changing a feature means a new set name.
//
// Threads: construct on the control thread (aubio allocates there); extract() is
// MM_REALTIME (no allocation, no lock) and runs on the audio thread inside
// TriggerAnalyzer, or on any thread offline.
#pragma once

#include <vector>

#include "Realtime.h"

namespace mm {

constexpr const char* kTriggerFeatureSet = "mm-trigger-1";
constexpr int kTriggerMfccCount = 12;  // MFCC 1..12 (c0, the loudness, left out)
constexpr int kTriggerBandCount = 6;   // relative band energies between these edges (Hz)
constexpr float kTriggerBandEdgesHz[kTriggerBandCount + 1] = {0, 250, 600, 1500, 3500, 7000, 16000};
constexpr int kTriggerSpectralCount =
    9;  // centroid, spread, skewness, kurtosis, slope, decrease, rolloff, flatness, zcr
constexpr int kTriggerFeatureCount = kTriggerMfccCount + kTriggerSpectralCount + kTriggerBandCount + 2;

// Name of feature i ("mfcc1", "centroid", "band_4k_8k", ...) for reports and the profile.
const char* triggerFeatureName(int i);

struct TriggerMeasurement {
  float features[kTriggerFeatureCount];
  float peakDb = -120.f;  // peak level from the onset to the end of the window (dBFS)
};

class TriggerFeatureExtractor {
 public:
  // `maxSegment`: the longest window extract() will see (samples). Throws
  // std::runtime_error when aubio cannot build its objects.
  TriggerFeatureExtractor(double sampleRate, int maxSegment);
  ~TriggerFeatureExtractor();
  TriggerFeatureExtractor(const TriggerFeatureExtractor&) = delete;
  TriggerFeatureExtractor& operator=(const TriggerFeatureExtractor&) = delete;

  // `segment`: n samples (n <= maxSegment), the onset at index `onsetIndex`.
  MM_REALTIME void extract(const float* segment, int n, int onsetIndex, TriggerMeasurement& out) noexcept;
  int fftSize() const { return fftSize_; }

 private:
  void release();
  double rate_;
  int fftSize_ = 1024, maxSegment_ = 0;
  // aubio objects, opaque so that aubio's headers stay out of ours.
  void* fft_ = nullptr;       // aubio_fft_t
  void* frame_ = nullptr;     // fvec_t [fftSize]: windowed, zero-padded segment
  void* spectrum_ = nullptr;  // cvec_t
  void* mfcc_ = nullptr;      // aubio_filterbank_t (mel)
  void* mfccOut_ = nullptr;   // fvec_t [mel bands]
  std::vector<float> dct_;    // DCT-II rows 1..12 over the mel bands
  void* desc_[7] = {};        // aubio_specdesc_t: centroid spread skewness kurtosis slope decrease rolloff
  void* descOut_ = nullptr;   // fvec_t [1]
  void* raw_ = nullptr;       // fvec_t [maxSegment]: the part from the onset on, unwindowed
};

}  // namespace mm
