#include "ModulationMatrix.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace mm {

namespace {
bool parseFloat(const std::string& s, float* out) {
  char* end = nullptr;
  const float v = std::strtof(s.c_str(), &end);
  if (s.empty() || end == s.c_str() || *end != '\0' || !std::isfinite(v)) return false;
  *out = v;
  return true;
}
bool parseMs(std::string s, float* out) {
  if (s.size() > 2 && s.compare(s.size() - 2, 2, "ms") == 0) s = s.substr(0, s.size() - 2);
  return parseFloat(s, out) && *out >= 0.f && *out <= 60000.f;
}
}  // namespace

std::optional<ModRoute> parseRoute(const std::string& text, const ParameterRegistry& registry,
                                   std::string* error) {
  auto fail = [&](const std::string& why) -> std::optional<ModRoute> {
    if (error) *error = "modulation route '" + text + "': " + why +
                        " (form: SOURCE>TARGET:DEPTH[:decay=150ms][:smooth=20ms][:curve=exp|log|s][:bipolar][:invert])";
    return std::nullopt;
  };
  const auto gt = text.find('>');
  if (gt == std::string::npos) return fail("no '>' between source and target");
  const std::string src = text.substr(0, gt);
  std::vector<std::string> parts;
  std::stringstream rest(text.substr(gt + 1));
  for (std::string p; std::getline(rest, p, ':');) parts.push_back(p);
  if (parts.size() < 2) return fail("needs a target and a depth");
  ModRoute r;
  auto indexed = [&](const std::string& prefix, int max, ModSource kind) -> bool {
    if (src.rfind(prefix, 0) != 0 || src.size() == prefix.size()) return false;
    char* end = nullptr;
    const long k = std::strtol(src.c_str() + prefix.size(), &end, 10);
    if (*end != '\0' || k < 0 || k > max) return false;
    r.source = kind;
    r.sourceIndex = static_cast<int>(k);
    return true;
  };
  if (src == "onset") r.source = ModSource::Onset;
  else if (src == "envelope") r.source = ModSource::Envelope;
  else if (src == "pitch") r.source = ModSource::Pitch;
  else if (src == "lfo1" || src == "lfo2") {
    r.source = ModSource::Lfo;
    r.sourceIndex = src[3] - '1';
    r.bipolar = true;
  } else if (!indexed("cc", 127, ModSource::MidiControl) && !indexed("trigger", 7, ModSource::Trigger))
    return fail("unknown source '" + src + "' (onset, envelope, pitch, lfo1, lfo2, cc0..cc127, trigger0..trigger7)");
  r.target = parts[0];
  if (registry.indexOf(r.target) < 0) return fail("unknown target parameter '" + r.target + "' (`musicmill params` lists them)");
  if (!parseFloat(parts[1], &r.depth)) return fail("depth '" + parts[1] + "' is not a number");
  for (size_t i = 2; i < parts.size(); ++i) {
    const std::string& o = parts[i];
    if (o == "bipolar") r.bipolar = true;
    else if (o == "unipolar") r.bipolar = false;
    else if (o == "invert") r.invert = true;
    else if (o.rfind("decay=", 0) == 0) {
      if (!parseMs(o.substr(6), &r.decayMs)) return fail("bad decay '" + o + "'");
    } else if (o.rfind("smooth=", 0) == 0) {
      if (!parseMs(o.substr(7), &r.smoothingMs)) return fail("bad smoothing '" + o + "'");
    } else if (o == "curve=linear") r.curve = ModCurve::Linear;
    else if (o == "curve=exp") r.curve = ModCurve::Exponential;
    else if (o == "curve=log") r.curve = ModCurve::Logarithmic;
    else if (o == "curve=s" || o == "curve=s-curve") r.curve = ModCurve::SCurve;
    else return fail("unknown option '" + o + "'");
  }
  return r;
}

std::string routeToString(const ModRoute& r) {
  std::ostringstream o;
  switch (r.source) {
    case ModSource::Onset: o << "onset"; break;
    case ModSource::Envelope: o << "envelope"; break;
    case ModSource::Pitch: o << "pitch"; break;
    case ModSource::Lfo: o << "lfo" << (r.sourceIndex + 1); break;
    case ModSource::MidiControl: o << "cc" << r.sourceIndex; break;
    case ModSource::Trigger: o << "trigger" << r.sourceIndex; break;
  }
  o << '>' << r.target << ':' << r.depth;
  if (r.source == ModSource::Onset || r.source == ModSource::Trigger) o << ":decay=" << r.decayMs << "ms";
  if (r.smoothingMs > 0) o << ":smooth=" << r.smoothingMs << "ms";
  if (r.curve == ModCurve::Exponential) o << ":curve=exp";
  if (r.curve == ModCurve::Logarithmic) o << ":curve=log";
  if (r.curve == ModCurve::SCurve) o << ":curve=s";
  if (r.bipolar && r.source != ModSource::Lfo) o << ":bipolar";
  if (r.invert) o << ":invert";
  return o.str();
}

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
      pulse_[i] = smoothed_[i] = 0.f;
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
    const float coef = r.smoothingMs > 0 ? static_cast<float>(std::exp(-dt * 1000.0 / r.smoothingMs)) : 0.f;
    smoothed_[i] = coef * smoothed_[i] + (1.f - coef) * v;
    outTarget_[i].store(r.target, std::memory_order_relaxed);
    outAmount_[i].store(r.depth * smoothed_[i], std::memory_order_relaxed);
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
