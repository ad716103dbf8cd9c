#include "Parameters.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace mm {

int ParameterRegistry::add(ParamSpec spec) {
  specs_.push_back(std::move(spec));
  return static_cast<int>(specs_.size()) - 1;
}

void ParameterRegistry::finalize() {
  values_ = std::make_unique<std::atomic<float>[]>(specs_.size());
  resetToDefaults();
}

int ParameterRegistry::indexOf(const std::string& id) const {
  for (size_t i = 0; i < specs_.size(); ++i)
    if (specs_[i].id == id) return static_cast<int>(i);
  return -1;
}

void ParameterRegistry::set(int index, float value) noexcept {
  if (index < 0 || index >= size() || !std::isfinite(value)) return;
  const ParamSpec& s = specs_[index];
  value = std::clamp(value, s.min, s.max);
  if (s.curve == Curve::Stepped) value = std::round(value);
  if (s.curve == Curve::Toggle) value = value >= 0.5f ? 1.f : 0.f;
  values_[index].store(value, std::memory_order_relaxed);
  version_.fetch_add(1, std::memory_order_relaxed);
}

bool ParameterRegistry::setById(const std::string& id, float value) {
  const int i = indexOf(id);
  if (i < 0) return false;
  set(i, value);
  return true;
}

float ParameterRegistry::getById(const std::string& id) const {
  const int i = indexOf(id);
  return i < 0 ? 0.f : get(i);
}

void ParameterRegistry::resetToDefaults() {
  for (int i = 0; i < size(); ++i) values_[i].store(specs_[i].def);
  version_.fetch_add(1);
}

float ParameterRegistry::toNormalized(int index, float value) const noexcept {
  const ParamSpec& s = specs_[index];
  if (s.max <= s.min) return 0.f;
  if (s.curve == Curve::Exponential && s.min > 0.f)
    return std::clamp(std::log(value / s.min) / std::log(s.max / s.min), 0.f, 1.f);
  return std::clamp((value - s.min) / (s.max - s.min), 0.f, 1.f);
}

float ParameterRegistry::fromNormalized(int index, float n) const noexcept {
  const ParamSpec& s = specs_[index];
  n = std::clamp(n, 0.f, 1.f);
  if (s.curve == Curve::Exponential && s.min > 0.f) return s.min * std::pow(s.max / s.min, n);
  float v = s.min + n * (s.max - s.min);
  if (s.curve == Curve::Stepped) v = std::round(v);
  if (s.curve == Curve::Toggle) v = n >= 0.5f ? s.max : s.min;
  return v;
}

void ParameterRegistry::snapshot(float* out) const noexcept {
  for (int i = 0; i < size(); ++i) out[i] = values_[i].load(std::memory_order_relaxed);
}

std::optional<std::string> ParameterRegistry::applyAssignment(const std::string& a) {
  const auto eq = a.find('=');
  if (eq == std::string::npos || eq == 0)
    return "--set '" + a + "': expected id=value, for example --set energy=0.8";
  const std::string id = a.substr(0, eq);
  const std::string text = a.substr(eq + 1);
  const int i = indexOf(id);
  if (i < 0) {
    std::ostringstream msg;
    msg << "--set '" << a << "': there is no parameter '" << id << "'.";
    std::vector<std::string> near;
    for (const auto& s : specs_)
      if (s.id.find(id.substr(0, std::min<size_t>(3, id.size()))) != std::string::npos)
        near.push_back(s.id);
    if (!near.empty()) {
      msg << " Did you mean:";
      for (size_t k = 0; k < near.size() && k < 6; ++k) msg << ' ' << near[k];
      msg << '?';
    }
    msg << " `musicmill params` lists every id.";
    return msg.str();
  }
  char* end = nullptr;
  const float v = std::strtof(text.c_str(), &end);
  if (text.empty() || end == text.c_str() || *end != '\0' || !std::isfinite(v))
    return "--set '" + a + "': '" + text + "' is not a number";
  const ParamSpec& s = specs_[i];
  if (v < s.min || v > s.max) {
    std::ostringstream msg;
    msg << "--set '" << a << "': " << id << " must lie in " << s.min << " .. " << s.max
        << (s.unit.empty() ? "" : " " + s.unit);
    return msg.str();
  }
  set(i, v);
  return std::nullopt;
}

std::unique_ptr<ParameterRegistry> makeStandardRegistry(int latentDims, int lfoCount, int partnerDims,
                                                        const std::vector<ParamSpec>& extra) {
  auto r = std::make_unique<ParameterRegistry>();
  using C = Curve;
  r->add({"energy", "Energy", 0.f, 1.f, kNeutralEnergy, "", C::Linear, 40.f});
  r->add({"texture", "Texture", 0.f, 1.f, 0.f, "", C::Linear, 40.f});
  r->add({"chaos", "Chaos", 0.f, 1.f, 0.f, "", C::Linear, 40.f});
  r->add({"bpm", "Tempo", 40.f, 200.f, 120.f, "BPM", C::Linear, 100.f});
  r->add({"style.blend", "Style A/B", 0.f, 1.f, 0.f, "", C::Linear, 60.f});
  r->add({"style.amount", "Style amount", 0.f, 1.f, 0.f, "", C::Linear, 60.f});
  r->add({"mix.dry_wet", "Dry/wet", 0.f, 1.f, 1.f, "", C::Linear, 20.f});
  r->add({"input.gain", "Input gain", -24.f, 24.f, 0.f, "dB", C::Linear, 20.f});
  r->add({"output.gain", "Output gain", -60.f, 12.f, 0.f, "dB", C::Linear, 20.f});
  r->add({"gate.threshold", "Noise gate", -90.f, 0.f, -60.f, "dBFS", C::Linear, 0.f});
  r->add({"source.voice", "Voice", 0.f, 1.f, 1.f, "", C::Linear, 40.f});
  r->add({"source.pattern", "Pattern", 0.f, 1.f, 0.f, "", C::Linear, 40.f});
  r->add({"source.prior", "Prior/random", 0.f, 1.f, 0.f, "", C::Linear, 40.f});
  // How adventurous a model's own prior plays (prior(temperature)); a model without a
  // prior plays a random walk instead and ignores it.
  r->add({"prior.temperature", "Prior temperature", 0.f, 2.f, 1.f, "", C::Linear, 40.f});
  r->add({"pattern.slot", "Pattern slot", 0.f, 7.f, 0.f, "", C::Stepped, 0.f});
  r->add({"hit.amount", "Hit accent", 0.f, 1.f, 0.f, "", C::Linear, 3.f});  // latent x (1 + hit)
  for (int l = 1; l <= lfoCount; ++l) {
    const std::string p = "lfo." + std::to_string(l) + ".";
    const std::string n = "LFO " + std::to_string(l) + " ";
    r->add({p + "rate", n + "rate", 0.1f, 10.f, 1.f, "Hz", C::Exponential, 0.f});
    r->add({p + "depth", n + "depth", 0.f, 1.f, 0.f, "", C::Linear, 40.f});
    r->add({p + "shape", n + "shape", 0.f, 3.f, 0.f, "sine/tri/square/random", C::Stepped, 0.f});
    r->add({p + "sync", n + "sync", 0.f, 1.f, 0.f, "free/BPM", C::Toggle, 0.f});
    // Target: index into the registry (-1 = none), so presets/MIDI can retarget live.
    r->add({p + "target", n + "target", -1.f, 4096.f, -1.f, kParamIndexUnit, C::Stepped, 0.f});
  }
  for (int d = 0; d < latentDims; ++d) {
    const std::string id = "dim." + std::to_string(d);
    r->add({id, "Dim " + std::to_string(d) + " offset", -3.f, 3.f, 0.f, "", C::Linear, 40.f});
    r->add({id + ".scale", "Dim " + std::to_string(d) + " weight", 0.f, 2.f, 1.f, "", C::Linear,
            40.f});
  }
  if (partnerDims > 0) {
    // Multi-model blending (FrameProcessor::setPartner): the mix of the two models and
    // model B's own latent controls. Everything else (tempo, sources, gains) is shared.
    r->add({"blend.output", "Model A/B", 0.f, 1.f, 0.5f, "", C::Linear, 30.f});
    r->add({"blend.latent", "Latent A/B", 0.f, 1.f, 0.f, "", C::Linear, 30.f});
    r->add({"b.energy", "B energy", 0.f, 1.f, kNeutralEnergy, "", C::Linear, 40.f});
    r->add({"b.texture", "B texture", 0.f, 1.f, 0.f, "", C::Linear, 40.f});
    r->add({"b.chaos", "B chaos", 0.f, 1.f, 0.f, "", C::Linear, 40.f});
    for (int d = 0; d < partnerDims; ++d) {
      const std::string id = "b.dim." + std::to_string(d);
      r->add({id, "B dim " + std::to_string(d) + " offset", -3.f, 3.f, 0.f, "", C::Linear, 40.f});
      r->add({id + ".scale", "B dim " + std::to_string(d) + " weight", 0.f, 2.f, 1.f, "", C::Linear, 40.f});
    }
  }
  for (const ParamSpec& s : extra) r->add(s);
  r->finalize();
  return r;
}

StandardParams StandardParams::resolve(const ParameterRegistry& r) {
  StandardParams p{};
  p.energy = r.indexOf("energy");
  p.texture = r.indexOf("texture");
  p.chaos = r.indexOf("chaos");
  p.bpm = r.indexOf("bpm");
  p.styleBlend = r.indexOf("style.blend");
  p.styleAmount = r.indexOf("style.amount");
  p.dryWet = r.indexOf("mix.dry_wet");
  p.inputGain = r.indexOf("input.gain");
  p.outputGain = r.indexOf("output.gain");
  p.gateThreshold = r.indexOf("gate.threshold");
  p.sourceVoice = r.indexOf("source.voice");
  p.sourcePattern = r.indexOf("source.pattern");
  p.sourcePrior = r.indexOf("source.prior");
  p.patternSlot = r.indexOf("pattern.slot");
  p.hitAmount = r.indexOf("hit.amount");
  for (int d = 0;; ++d) {
    const int o = r.indexOf("dim." + std::to_string(d));
    if (o < 0) break;
    p.dimOffset.push_back(o);
    p.dimScale.push_back(r.indexOf("dim." + std::to_string(d) + ".scale"));
  }
  for (int l = 1;; ++l) {
    const std::string pre = "lfo." + std::to_string(l) + ".";
    const int rate = r.indexOf(pre + "rate");
    if (rate < 0) break;
    p.lfo.push_back({rate, r.indexOf(pre + "depth"), r.indexOf(pre + "shape"),
                     r.indexOf(pre + "sync"), r.indexOf(pre + "target")});
  }
  return p;
}

}  // namespace mm
