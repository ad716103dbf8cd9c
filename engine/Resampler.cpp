#include "Resampler.h"

#include <samplerate.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace mm {

Resampler::Resampler(double fromRate, double toRate, int channels, int quality)
    : ratio_(toRate / fromRate), channels_(channels), passthrough_(fromRate == toRate) {
  if (!passthrough_) {
    int err = 0;
    state_ = src_new(quality, channels, &err);
    if (!state_)
      throw std::runtime_error(std::string("resampler: ") + src_strerror(err));
  }
}

Resampler::~Resampler() {
  if (state_) src_delete(state_);
}

void Resampler::reset() {
  if (state_) src_reset(state_);
}

long Resampler::process(const float* in, long inFrames, float* out, long maxOut, long* inUsed,
                        bool endOfInput) {
  if (passthrough_) {
    const long n = std::min(inFrames, maxOut);
    std::copy(in, in + n * channels_, out);
    if (inUsed) *inUsed = n;
    return n;
  }
  SRC_DATA d{};
  d.data_in = in;
  d.input_frames = inFrames;
  d.data_out = out;
  d.output_frames = maxOut;
  d.src_ratio = ratio_;
  d.end_of_input = endOfInput ? 1 : 0;
  if (src_process(state_, &d) != 0) {
    if (inUsed) *inUsed = inFrames;
    return 0;
  }
  if (inUsed) *inUsed = d.input_frames_used;
  return d.output_frames_gen;
}

std::vector<float> Resampler::convert(const std::vector<float>& in, int channels,
                                      double fromRate, double toRate) {
  if (fromRate == toRate) return in;
  const long inFrames = static_cast<long>(in.size() / channels);
  const long want = std::lround(inFrames * toRate / fromRate);
  std::vector<float> out(static_cast<size_t>(want + 64) * channels, 0.f);
  Resampler r(fromRate, toRate, channels, SRC_SINC_MEDIUM_QUALITY);
  long pos = 0, written = 0;
  // Feed in chunks; libsamplerate compensates its own filter delay, so output sample k
  // lines up with input time k / ratio.
  while (written < want + 64) {
    long used = 0;
    const long chunk = std::min<long>(inFrames - pos, 65536);
    const long got = r.process(in.data() + pos * channels, chunk,
                               out.data() + written * channels, want + 64 - written, &used,
                               pos + chunk >= inFrames);
    pos += used;
    written += got;
    if (got == 0 && pos >= inFrames) break;
  }
  out.resize(static_cast<size_t>(want) * channels, 0.f);
  return out;
}

}  // namespace mm
