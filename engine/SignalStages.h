// InputStage and OutputStage: the per-sample processing around the model, shared by the
// audio callback and the offline renderer. Both are MM_REALTIME: no allocation after
// construction, no locks, no logging.
#pragma once

#include <algorithm>
#include <cmath>

#include "Realtime.h"
#include "Smoother.h"

namespace mm {

inline float dbToGain(float db) { return std::pow(10.f, db / 20.f); }

// Moves a stream `skip` samples ahead without a click: `src` holds n + skip frames of
// `ch` interleaved channels, the next ones due and the `skip` after them; `dst` gets n
// frames that fade from the stream as it was (src[i]) to the stream `skip` later
// (src[i + skip]) over the n frames. Used to take latency back out of the output.
MM_REALTIME inline void crossfadeSkip(const float* src, int n, int skip, int ch, float* dst) noexcept {
  for (int i = 0; i < n; ++i) {
    const float g = static_cast<float>(i + 1) / static_cast<float>(n + 1);
    for (int c = 0; c < ch; ++c)
      dst[i * ch + c] = (1.f - g) * src[i * ch + c] + g * src[(i + skip) * ch + c];
  }
}

// Input gain and noise gate: stage noise under the threshold never reaches the model.
class InputStage {
 public:
  void setup(double sampleRate) {
    gain_.setup(sampleRate, 20.f, 1.f);
    gateGain_.setup(sampleRate, 1.f, 0.f);
    envRelease_ = std::exp(-1.f / (0.05f * static_cast<float>(sampleRate)));
    holdSamples_ = static_cast<int>(0.08 * sampleRate);
    releaseCoef_ = std::exp(-1.f / (0.06f * static_cast<float>(sampleRate)));
    attackCoef_ = std::exp(-1.f / (0.0005f * static_cast<float>(sampleRate)));
  }
  // In place, mono. gainDb: input.gain; thresholdDb: gate.threshold (-90 = gate off).
  MM_REALTIME void process(float* x, int n, float gainDb, float thresholdDb) noexcept {
    const float g = dbToGain(gainDb);
    const float thr = thresholdDb <= -89.9f ? 0.f : dbToGain(thresholdDb);
    for (int i = 0; i < n; ++i) {
      float s = x[i] * gain_.next(g);
      if (!std::isfinite(s)) s = 0.f;
      env_ = std::max(std::fabs(s), env_ * envRelease_);
      if (env_ >= thr) hold_ = holdSamples_;
      else if (hold_ > 0) --hold_;
      const float target = hold_ > 0 ? 1.f : 0.f;
      const float c = target > gate_ ? attackCoef_ : releaseCoef_;
      gate_ = c * gate_ + (1.f - c) * target;
      x[i] = s * gate_;
    }
    level_ = env_;
  }
  float level() const { return level_; }
  bool gateOpen() const { return gate_ > 0.5f; }

 private:
  Smoother gain_, gateGain_;
  float env_ = 0.f, envRelease_ = 0.f, gate_ = 1.f, attackCoef_ = 0.f, releaseCoef_ = 0.f;
  int hold_ = 0, holdSamples_ = 0;
  float level_ = 0.f;
};

// Dry/wet, output gain and a safety limiter whose envelope has instant attack, so the
// output never exceeds the ceiling (0.966 = -0.3 dBFS) whatever the model does; NaN/Inf
// samples become silence.
class OutputStage {
 public:
  static constexpr float kCeiling = 0.966f;
  void setup(double sampleRate) {
    wet_.setup(sampleRate, 20.f, 1.f);
    gain_.setup(sampleRate, 20.f, 1.f);
    release_ = std::exp(-1.f / (0.15f * static_cast<float>(sampleRate)));
  }
  // Interleaved `channels`: wet is the model output, dry the (mono) input.
  MM_REALTIME void process(float* wet, const float* dryMono, int n, int channels, float dryWet,
                           float gainDb) noexcept {
    const float g = dbToGain(gainDb);
    for (int i = 0; i < n; ++i) {
      const float w = wet_.next(dryWet), og = gain_.next(g);
      float peak = 0.f;
      for (int c = 0; c < channels; ++c) {
        float& s = wet[i * channels + c];
        if (!std::isfinite(s)) s = 0.f;
        s = (w * s + (1.f - w) * dryMono[i]) * og;
        peak = std::max(peak, std::fabs(s));
      }
      env_ = std::max(peak, env_ * release_);
      const float lg = env_ > kCeiling ? kCeiling / env_ : 1.f;
      for (int c = 0; c < channels; ++c) wet[i * channels + c] *= lg;
      if (lg < 1.f) ++limitedSamples_;
      levelEnv_ = std::max(peak * lg, levelEnv_ * release_);
    }
  }
  float level() const { return levelEnv_; }
  unsigned long limitedSamples() const { return limitedSamples_; }

 private:
  Smoother wet_, gain_;
  float env_ = 0.f, release_ = 0.f, levelEnv_ = 0.f;
  unsigned long limitedSamples_ = 0;
};

}  // namespace mm
