#include "ModulationRoute.h"

#include <cmath>
#include <cstdlib>
#include <sstream>
#include <vector>

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
  if (!parseRouteSource(src, r))
    return fail("unknown source '" + src + "' (onset, envelope, pitch, lfo1, lfo2, cc0..cc127, trigger0..trigger7)");
  if (r.source == ModSource::Lfo) r.bipolar = true;
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
  o.precision(9);  // every float exactly (max_digits10), "40" still prints as 40
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

std::string routeSourceName(const ModRoute& r) {
  switch (r.source) {
    case ModSource::Onset: return "voice.onset";
    case ModSource::Envelope: return "voice.envelope";
    case ModSource::Pitch: return "voice.pitch";
    case ModSource::Lfo: return "lfo." + std::to_string(r.sourceIndex + 1);
    case ModSource::MidiControl: return "midi.cc." + std::to_string(r.sourceIndex);
    case ModSource::Trigger: return "trigger." + std::to_string(r.sourceIndex);
  }
  return "voice.onset";
}

bool parseRouteSource(const std::string& name, ModRoute& r) {
  auto number = [&](const std::string& prefix, int lo, int hi, int* out) {
    if (name.rfind(prefix, 0) != 0 || name.size() == prefix.size() || name.size() > prefix.size() + 3) return false;
    char* end = nullptr;
    const long k = std::strtol(name.c_str() + prefix.size(), &end, 10);
    if (*end != '\0' || k < lo || k > hi) return false;
    *out = static_cast<int>(k);
    return true;
  };
  int k = 0;
  if (name == "voice.onset" || name == "voice.onsets" || name == "onset") r.source = ModSource::Onset;
  else if (name == "voice.envelope" || name == "voice.energy" || name == "voice.loudness" || name == "envelope")
    r.source = ModSource::Envelope;
  else if (name == "voice.pitch" || name == "pitch") r.source = ModSource::Pitch;
  else if (number("lfo.", 1, 2, &k) || number("lfo", 1, 2, &k)) {
    r.source = ModSource::Lfo;
    r.sourceIndex = k - 1;
    return true;
  } else if (number("midi.cc.", 0, 127, &k) || number("cc", 0, 127, &k)) {
    r.source = ModSource::MidiControl;
    r.sourceIndex = k;
    return true;
  } else if (number("trigger.", 0, 7, &k) || number("trigger", 0, 7, &k)) {
    r.source = ModSource::Trigger;
    r.sourceIndex = k;
    return true;
  } else
    return false;
  r.sourceIndex = 0;
  return true;
}

const char* routeCurveName(ModCurve c) {
  switch (c) {
    case ModCurve::Exponential: return "exponential";
    case ModCurve::Logarithmic: return "logarithmic";
    case ModCurve::SCurve: return "s-curve";
    case ModCurve::Linear: break;
  }
  return "linear";
}

std::optional<ModCurve> parseRouteCurve(const std::string& name) {
  for (ModCurve c : {ModCurve::Linear, ModCurve::Exponential, ModCurve::Logarithmic, ModCurve::SCurve})
    if (name == routeCurveName(c)) return c;
  return std::nullopt;
}

}  // namespace mm
