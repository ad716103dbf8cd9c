#include "ModulationMatrix.h"

#include <algorithm>
#include <cmath>

namespace mm {

ModulationMatrix::ModulationMatrix(const ParameterRegistry& registry, const ModulationSources& sources,
                                   const LfoBank* lfos)
    : registry_(registry), sources_(sources), lfos_(lfos) {}

void ModulationMatrix::setRoutes(const std::vector<ModRoute>& routes) {
  Table& t = tables_.back();
  t.version = ++version_;
  t.count = 0;
  for (const ModRoute& r : routes) {
    const int target = registry_.indexOf(r.target);
    if (target < 0 || t.count >= kMaxRoutes) continue;
    Compiled& c = t.routes[t.count++];
    c.source = r.source;
    c.sourceIndex = r.sourceIndex;
    c.target = target;
    c.depth = r.depth;
    c.smoothingMs = r.smoothingMs;
    c.decayMs = r.decayMs;
    c.bipolar = r.bipolar;
    c.invert = r.invert;
    c.curve = r.curve;
  }
  tables_.publish();
}

void ModulationMatrix::prepare(double sampleRate, int) { sampleRate_ = sampleRate > 0 ? sampleRate : 44100.0; }

float ModulationMatrix::sourceValue(int i, double dt) noexcept {
  const Compiled& r = live_.routes[i];
  switch (r.source) {
    case ModSource::Onset:
    case ModSource::Trigger: {
      const uint64_t count = r.source == ModSource::Onset ? sources_.onsetCount.load(std::memory_order_relaxed)
                                                          : sources_.triggerCount[r.sourceIndex & 7].load(std::memory_order_relaxed);
      float& pulse = pulse_[i];
      pulse *= r.decayMs > 0 ? static_cast<float>(std::exp(-dt * 1000.0 / r.decayMs)) : 0.f;
      if (count != lastCount_[i]) {
        lastCount_[i] = count;
        pulse = r.source == ModSource::Trigger
                    ? std::clamp(sources_.triggerVelocity[r.sourceIndex & 7].load(std::memory_order_relaxed), 0.f, 1.f)
                    : 1.f;
        if (pulse <= 0.f) pulse = 1.f;
      }
      return pulse;
    }
    case ModSource::Envelope: {
      // Loudness 0..1: -60 dBFS .. 0 dBFS on a dB scale, as the ear hears it.
      const float env = sources_.envelope.load(std::memory_order_relaxed);
      const float db = 20.f * std::log10(std::max(env, 1e-6f));
      return std::clamp((db + 60.f) / 60.f, 0.f, 1.f);
    }
    case ModSource::Pitch: {
      const float hz = sources_.pitchHz.load(std::memory_order_relaxed);
      const float conf = sources_.pitchConfidence.load(std::memory_order_relaxed);
      if (hz <= 0.f || conf < 0.5f) return 0.f;
      return std::clamp(static_cast<float>(std::log2(hz / 50.0) / std::log2(1000.0 / 50.0)), 0.f, 1.f);
    }
    case ModSource::Lfo:
      return lfos_ && r.sourceIndex < static_cast<int>(lfos_->outputs().size()) ? lfos_->outputs()[r.sourceIndex] : 0.f;
    case ModSource::MidiControl:
      return sources_.midiControl[r.sourceIndex & 127].load(std::memory_order_relaxed);
  }
  return 0.f;
}

void ModulationMatrix::analyze(const float*, int n, uint64_t) noexcept {
  const Table& fresh = tables_.read();
  if (fresh.version != live_.version) {
    live_ = fresh;  // plain data: a copy, no allocation
    for (int i = 0; i < live_.count; ++i) {
      pulse_[i] = 0.f;
      smoothed_[i].reset(0.f);
      // A pulse source counts hits from now on, not the ones before the route existed.
      const Compiled& r = live_.routes[i];
      lastCount_[i] = r.source == ModSource::Onset ? sources_.onsetCount.load(std::memory_order_relaxed)
                      : r.source == ModSource::Trigger
                          ? sources_.triggerCount[r.sourceIndex & 7].load(std::memory_order_relaxed)
                          : 0;
    }
  }
  const double dt = n / sampleRate_;
  for (int i = 0; i < live_.count; ++i) {
    const Compiled& r = live_.routes[i];
    float v = sourceValue(i, dt);
    if (r.bipolar && r.source != ModSource::Lfo) v = 2.f * v - 1.f;  // 0..1 -> -1..1
    if (r.invert) v = -v;
    const float mag = std::fabs(v), sign = v < 0 ? -1.f : 1.f;
    if (r.curve == ModCurve::Exponential) v = sign * mag * mag;
    else if (r.curve == ModCurve::Logarithmic) v = sign * std::sqrt(mag);
    else if (r.curve == ModCurve::SCurve) v = sign * mag * mag * (3.f - 2.f * mag);  // smoothstep: slow, fast, slow
    const float smoothed = smoothed_[i].next(v, dt, r.smoothingMs);
    outTarget_[i].store(r.target, std::memory_order_relaxed);
    outAmount_[i].store(r.depth * smoothed, std::memory_order_relaxed);
  }
  outCount_.store(live_.count, std::memory_order_release);
}

void ModulationMatrix::modulate(float* params, int count, int, double) {
  const int routes = outCount_.load(std::memory_order_acquire);
  for (int i = 0; i < routes; ++i) {
    const int target = outTarget_[i].load(std::memory_order_relaxed);
    if (target < 0 || target >= count) continue;
    const ParamSpec& s = registry_.spec(target);
    params[target] = std::clamp(params[target] + outAmount_[i].load(std::memory_order_relaxed), s.min, s.max);
  }
}

std::vector<float> ModulationMatrix::lastAmounts() const {
  std::vector<float> out(static_cast<size_t>(outCount_.load(std::memory_order_acquire)));
  for (size_t i = 0; i < out.size(); ++i) out[i] = outAmount_[i].load(std::memory_order_relaxed);
  return out;
}

}  // namespace mm
