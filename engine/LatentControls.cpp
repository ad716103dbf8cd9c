#include "LatentControls.h"

#include <algorithm>
#include <cmath>

#include "LatentSources.h"

namespace mm {

LatentControls::LatentControls(const ParameterRegistry& registry, int dims, double frameRateHz,
                               uint64_t seed)
    : registry_(registry),
      p_(StandardParams::resolve(registry)),
      dims_(dims),
      frameRate_(frameRateHz),
      smoothed_(static_cast<size_t>(registry.size())),
      texture_(dims, 0.f),
      walk_(dims, 0.f),
      styleTarget_(dims, 0.f),
      measured_(dims, 0),
      rng_(seed) {
  for (int i = 0; i < registry.size(); ++i) smoothed_[i].setup(frameRate_, registry.spec(i).smoothingMs, 0.f);
}

void LatentControls::setMeasuredDims(int pitchDim, int loudnessDim) {
  std::fill(measured_.begin(), measured_.end(), 0);
  for (int d : {pitchDim, loudnessDim})
    if (d >= 0 && d < dims_) measured_[static_cast<size_t>(d)] = 1;
}

void LatentControls::snapToTargets(const float* params) {
  for (int i = 0; i < registry_.size(); ++i) smoothed_[i].reset(params[i]);
  first_ = false;
}

float LatentControls::smooth(int param, float target) {
  if (param < 0) return target;
  return smoothed_[param].next(target);
}

void LatentControls::process(float* z, int frames, const float* params, const float* prior,
                             const float* pattern, StyleBlender* style) {
  if (first_) snapToTargets(params);
  // Random walks: Ornstein-Uhlenbeck processes with ~0.5 s (texture) and ~1 s (random
  // source) time constants, unit variance, so their amplitude is comparable to a latent.
  const float dt = 1.f / static_cast<float>(frameRate_);
  const float texA = std::exp(-dt / 0.5f), walkA = std::exp(-dt / 1.0f);
  const float texN = std::sqrt(1.f - texA * texA), walkN = std::sqrt(1.f - walkA * walkA);
  for (int k = 0; k < frames; ++k) {
    const float energy = smooth(p_.energy, params[p_.energy]);
    // Hit shape: an accent on the latent magnitude (x1 .. x2), for a momentary button or a
    // decaying route from a voice onset or a beatbox trigger ("trigger0>hit.amount:1").
    const float hit = p_.hitAmount >= 0 ? smooth(p_.hitAmount, params[p_.hitAmount]) : 0.f;
    const float texture = smooth(p_.texture, params[p_.texture]);
    const float chaos = smooth(p_.chaos, params[p_.chaos]);
    const float wVoice = smooth(p_.sourceVoice, params[p_.sourceVoice]);
    const float wPrior = smooth(p_.sourcePrior, params[p_.sourcePrior]);
    const float wPattern = pattern ? smooth(p_.sourcePattern, params[p_.sourcePattern]) : 0.f;
    const float styleAmount = smooth(p_.styleAmount, params[p_.styleAmount]);
    const float styleBlend = smooth(p_.styleBlend, params[p_.styleBlend]);
    const bool styled = style && styleAmount > 0.f && style->target(styleBlend, styleTarget_.data());
    if (style) style->advance();
    const float scale = energyToScale(energy) * (1.f + hit);
    const float norm = std::max(1.f, wVoice + wPrior + wPattern);
    for (int d = 0; d < dims_; ++d) {
      texture_[d] = texA * texture_[d] + texN * normal_(rng_);
      walk_[d] = walkA * walk_[d] + walkN * normal_(rng_);
      float& v = z[d * frames + k];
      const float priorValue = prior ? prior[d * frames + k] : walk_[d];
      const float patternValue = pattern ? pattern[d * frames + k] : 0.f;
      float x = (wVoice * v + wPrior * priorValue + wPattern * patternValue) / norm;
      const bool measured = measured_[static_cast<size_t>(d)] != 0;
      if (styled && !measured) x = (1.f - styleAmount) * x + styleAmount * styleTarget_[d];
      const bool hasDim = d < static_cast<int>(p_.dimOffset.size());
      const float weight = hasDim ? smooth(p_.dimScale[d], params[p_.dimScale[d]]) : 1.f;
      const float offset = hasDim ? smooth(p_.dimOffset[d], params[p_.dimOffset[d]]) : 0.f;
      x = x * weight + offset;
      const float noise = normal_(rng_);  // drawn for every dim, so a measured dim leaves the others' noise as it was
      if (!measured) {
        x += texture * texture_[d];
        x *= scale;
        x += chaos * 1.5f * noise;
      }
      v = x;
    }
  }
}

}  // namespace mm
