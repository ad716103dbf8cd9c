#include "LfoBank.h"

#include <algorithm>
#include <cmath>

namespace mm {

LfoBank::LfoBank(const ParameterRegistry& registry, uint64_t seed)
    : registry_(registry), p_(StandardParams::resolve(registry)), rng_(seed) {
  const size_t n = p_.lfo.size();
  count_ = n;
  phase_.assign(n, 0.0);
  out_ = std::make_unique<std::atomic<float>[]>(n);
  for (size_t i = 0; i < n; ++i) out_[i].store(0.f, std::memory_order_relaxed);
  random_.assign(n, 0.f);
  randomPrev_.assign(n, 0.f);
}

double LfoBank::effectiveRate(float rateHz, bool sync, float bpm) {
  if (!sync) return rateHz;
  // Synced: the nearest power-of-two multiple of one cycle per beat (1/16 .. 8 per beat).
  const double beatHz = bpm / 60.0;
  const double k = std::round(std::log2(std::max(1e-3, rateHz / beatHz)));
  return beatHz * std::pow(2.0, std::clamp(k, -4.0, 3.0));
}

float LfoBank::shapeValue(LfoShape shape, double phase, float randomValue) {
  switch (shape) {
    case LfoShape::Sine: return static_cast<float>(std::sin(2.0 * M_PI * phase));
    case LfoShape::Triangle: return static_cast<float>(phase < 0.5 ? 4.0 * phase - 1.0 : 3.0 - 4.0 * phase);
    case LfoShape::Square: return phase < 0.5 ? 1.f : -1.f;
    case LfoShape::Random: return randomValue;
  }
  return 0.f;
}

void LfoBank::prepare(double sampleRate, int) { sampleRate_ = sampleRate > 0 ? sampleRate : 44100.0; }

void LfoBank::analyze(const float*, int n, uint64_t) noexcept {
  std::uniform_real_distribution<float> uni(-1.f, 1.f);
  const float bpm = registry_.get(p_.bpm);
  for (size_t i = 0; i < p_.lfo.size(); ++i) {
    const auto& l = p_.lfo[i];
    const double rate = effectiveRate(registry_.get(l.rate), registry_.get(l.sync) >= 0.5f, bpm);
    phase_[i] += rate * n / sampleRate_;
    if (phase_[i] >= 1.0) {
      phase_[i] -= std::floor(phase_[i]);
      randomPrev_[i] = random_[i];
      random_[i] = uni(rng_);
    }
    const auto shape = static_cast<LfoShape>(std::clamp(static_cast<int>(registry_.get(l.shape)), 0, 3));
    // Random: glide from the previous value over the first 10 % of the cycle (no click).
    const float glide = static_cast<float>(std::min(1.0, phase_[i] / 0.1));
    const float rnd = randomPrev_[i] + (random_[i] - randomPrev_[i]) * glide;
    out_[i].store(shapeValue(shape, phase_[i], rnd), std::memory_order_relaxed);
  }
}

void LfoBank::modulate(float* params, int count, int, double) {
  for (size_t i = 0; i < p_.lfo.size(); ++i) {
    const auto& l = p_.lfo[i];
    const int target = static_cast<int>(params[l.target]);
    const float depth = params[l.depth];
    if (target < 0 || target >= count || depth <= 0.f) continue;
    const float out = out_[i].load(std::memory_order_relaxed);
    const ParamSpec& s = registry_.spec(target);
    params[target] = std::clamp(params[target] + depth * out * 0.5f * (s.max - s.min), s.min, s.max);
  }
}

}  // namespace mm
