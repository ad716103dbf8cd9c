// Resampler: streaming sample-rate conversion (libsamplerate), used between the device
// or file rate and the model's rate so that pitch stays right whatever the sound card runs at.
// Threads: one instance belongs to one thread (the worker or the offline renderer).
// process() does not allocate once constructed.
#pragma once

#include <memory>
#include <vector>

struct SRC_STATE_tag;

namespace mm {

class Resampler {
 public:
  Resampler(double fromRate, double toRate, int channels, int quality = 2 /*SRC_SINC_FASTEST*/);
  ~Resampler();
  Resampler(const Resampler&) = delete;
  Resampler& operator=(const Resampler&) = delete;

  double ratio() const { return ratio_; }
  bool passthrough() const { return passthrough_; }
  // Interleaved frames in, interleaved frames out. Returns frames written (<= maxOut).
  // `inUsed` receives the number of input frames consumed.
  long process(const float* in, long inFrames, float* out, long maxOut, long* inUsed,
               bool endOfInput = false);
  void reset();

  // Whole-buffer conversion for files: output length is round(inFrames * ratio).
  static std::vector<float> convert(const std::vector<float>& interleaved, int channels,
                                    double fromRate, double toRate);

 private:
  SRC_STATE_tag* state_ = nullptr;
  double ratio_ = 1.0;
  int channels_ = 1;
  bool passthrough_ = false;
};

}  // namespace mm
