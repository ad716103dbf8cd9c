#include "ModelInterface.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace mm {

namespace {

namespace lim = interface_limits;

// A name as it may appear in a message: printable, and short (a file can say anything).
std::string shown(const std::string& s) {
  std::string out;
  for (char c : s.substr(0, 40)) out += (c >= 32 && c < 127) ? c : '?';
  if (s.size() > 40) out += "...";
  return out;
}

std::string listed(const std::vector<std::string>& names) {
  if (names.empty()) return "none";
  std::string s;
  const size_t n = std::min<size_t>(names.size(), 12);
  for (size_t i = 0; i < n; ++i) s += (i ? ", " : "") + shown(names[i]);
  if (names.size() > n) s += ", ... (" + std::to_string(names.size()) + " in all)";
  return s;
}

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

// What a raw value is, for a message: "an int (7)", "a Float tensor of 3 elements", ...
std::string describe(const RawValue& v) {
  switch (v.kind) {
    case RawValue::Kind::Absent: return "missing";
    case RawValue::Kind::Int: return "an int (" + std::to_string(v.intValue) + ")";
    case RawValue::Kind::Double: return "a float (" + number(v.doubleValue) + ")";
    case RawValue::Kind::Tensor:
      return "a " + shown(v.typeName) + " tensor of " + std::to_string(v.numel) + " element" +
             (v.numel == 1 ? "" : "s");
    case RawValue::Kind::Other: return "a value of type " + shown(v.typeName);
  }
  return "unknown";
}

bool integral(double v) { return std::isfinite(v) && v == std::floor(v); }

// A single number, from an int, a float or a one-element tensor (possibly NaN or
// infinite); false when it is none of these.
bool scalarOf(const RawValue& v, double& out) {
  switch (v.kind) {
    case RawValue::Kind::Int: out = static_cast<double>(v.intValue); return true;
    case RawValue::Kind::Double: out = v.doubleValue; return true;
    case RawValue::Kind::Tensor:
      if (v.numel != 1 || v.values.size() != 1) return false;
      out = v.values[0];
      return true;
    default: return false;
  }
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

const RawValue& attribute(const RawModelInterface& raw, const std::string& name) {
  static const RawValue absent;
  const auto it = raw.attributes.find(name);
  return it == raw.attributes.end() ? absent : it->second;
}

}  // namespace

ModelInfo interpretModelInterface(const std::string& path, const RawModelInterface& raw) {
  const std::string file = "Model file '" + path + "'";
  ModelInfo info;
  info.path = path;

  // --- which methods the file offers ---
  if (raw.hasGetMethods) {
    info.interfaceVersion = 2;
    info.methods = raw.listedMethods;
  } else {
    info.interfaceVersion = 1;
    for (const auto& n : raw.bufferNames) {
      if (n.size() > 7 && n.compare(n.size() - 7, 7, "_params") == 0) {
        const std::string method = n.substr(0, n.size() - 7);
        if (contains(raw.compiledMethods, method) && !contains(info.methods, method))
          info.methods.push_back(method);
      }
    }
  }
  auto hasMethod = [&](const std::string& n) {
    return contains(info.methods, n) && contains(raw.compiledMethods, n);
  };
  for (const char* needed : {"encode", "decode"}) {
    if (!hasMethod(needed))
      throw ModelError(ModelErrorKind::MissingMethod,
                       file + " has no usable '" + needed + "' method (found: " + listed(info.methods) +
                           "). MusicMill needs a RAVE export with encode and decode; export " +
                           "it with the full model (not the decoder or prior alone).");
  }

  // --- [in_channels, in_ratio, out_channels, out_ratio] of a method, exactly as stored ---
  auto params = [&](const std::string& method) -> std::vector<int64_t> {
    const std::string name = method + "_params";
    const RawValue& v = attribute(raw, name);
    const std::string expected = "[in_channels, in_ratio, out_channels, out_ratio]";
    if (v.kind != RawValue::Kind::Tensor || v.numel != 4 || v.values.size() != 4)
      throw ModelError(ModelErrorKind::BadInterface,
                       file + ": the buffer '" + name + "' is " + describe(v) + ", not the four " +
                           "numbers " + expected + ". The file does not follow the RAVE export " +
                           "interface.");
    std::vector<int64_t> p;
    for (double x : v.values) {
      if (!integral(x) || x < 0 || x > 2147483647.0)
        throw ModelError(ModelErrorKind::BadInterface,
                         file + ": the buffer '" + name + "' holds " + number(x) + ", which is not " +
                             "a count of channels or samples (" + expected + "). The export is damaged.");
      p.push_back(static_cast<int64_t>(x));
    }
    return p;
  };
  const auto ep = params("encode");
  const auto dp = params("decode");
  const auto inRange = [](int64_t v, int64_t lo, int64_t hi) { return v >= lo && v <= hi; };
  if (!inRange(ep[3], 1, lim::kMaxRatio) || !inRange(dp[0], 1, lim::kMaxLatent) ||
      !inRange(ep[2], 1, lim::kMaxLatent) || !inRange(ep[0], 1, lim::kMaxChannels) ||
      !inRange(dp[2], 1, lim::kMaxChannels) || dp[1] != ep[3])
    throw ModelError(ModelErrorKind::BadInterface,
                     file + ": implausible interface (ratio " + std::to_string(ep[3]) + ", latent " +
                         std::to_string(dp[0]) + ", encoded latent " + std::to_string(ep[2]) +
                         ", channels in " + std::to_string(ep[0]) + " out " + std::to_string(dp[2]) +
                         ", decode ratio " + std::to_string(dp[1]) + "). MusicMill supports mono " +
                         "or stereo RAVE exports (ratio 1.." + std::to_string(lim::kMaxRatio) +
                         ", up to " + std::to_string(lim::kMaxLatent) + " latent dimensions) " +
                         "whose encode and decode ratios agree.");
  if (ep[1] != 1 || dp[3] != 1)
    throw ModelError(ModelErrorKind::BadInterface,
                     file + ": encode takes input at 1/" + std::to_string(ep[1]) + " of the audio " +
                         "rate and decode returns output at 1/" + std::to_string(dp[3]) + " of it " +
                         "(encode_params[1], decode_params[3]). MusicMill plays models whose encode " +
                         "reads audio and whose decode writes audio (both 1), as every RAVE export does.");
  info.inChannels = static_cast<int>(ep[0]);
  info.encodedLatentSize = static_cast<int>(ep[2]);
  info.ratio = static_cast<int>(ep[3]);
  info.latentSize = static_cast<int>(dp[0]);
  info.outChannels = static_cast<int>(dp[2]);

  // --- the prior: optional; a broken one is left out, the model still plays ---
  if (hasMethod("prior") && attribute(raw, "prior_params").kind != RawValue::Kind::Absent) {
    try {
      const auto pp = params("prior");
      const int64_t in = std::max<int64_t>(1, pp[1]), out = std::max<int64_t>(1, pp[3]);
      if (in > lim::kMaxRatio || out > lim::kMaxRatio)
        throw ModelError(ModelErrorKind::BadInterface,
                         file + ": the prior's ratios (" + std::to_string(pp[1]) + ", " +
                             std::to_string(pp[3]) + ") are implausible");
      info.hasPrior = true;
      info.priorInRatio = static_cast<int>(in);
      info.priorOutRatio = static_cast<int>(out);
    } catch (const ModelError& e) {
      info.warnings.push_back(std::string(e.what()) + "; its prior is not used (the model plays).");
    }
  }

  // --- sample rate: v2 int attribute `sr`, v1 tensor buffer `sampling_rate` ---
  const RawValue& sr = attribute(raw, "sr");
  const RawValue& samplingRate = attribute(raw, "sampling_rate");
  const bool fromSr = sr.kind != RawValue::Kind::Absent;
  const RawValue& rate = fromSr ? sr : samplingRate;
  const std::string rateName = fromSr ? "sr" : "sampling_rate";
  if (rate.kind == RawValue::Kind::Absent)
    throw ModelError(ModelErrorKind::BadInterface,
                     file + " does not say its sample rate (no `sr` attribute, no " +
                         "`sampling_rate` buffer). Re-export it with RAVE's export script.");
  double hz = 0;
  if (!scalarOf(rate, hz))
    throw ModelError(ModelErrorKind::BadInterface,
                     file + ": its sample rate `" + rateName + "` is " + describe(rate) +
                         ", not one number. The export is damaged; re-export it.");
  if (!integral(hz) || hz < lim::kMinRate || hz > lim::kMaxRate)
    throw ModelError(ModelErrorKind::BadInterface,
                     file + " claims a sample rate of " + number(hz) + " Hz, which no audio " +
                         "device uses. The export is damaged.");
  info.sampleRate = static_cast<int>(hz);

  // --- full latent size (informative only): v2's `full_latent_size`; a v1 export keeps
  // it in its `latent_size` buffer (decode pads what encode gives up to it) ---
  info.fullLatentSize = info.encodedLatentSize;
  const RawValue& full = attribute(raw, info.interfaceVersion == 1 ? "latent_size" : "full_latent_size");
  double f = 0;
  if (full.kind != RawValue::Kind::Absent) {
    if (scalarOf(full, f) && integral(f) && f >= info.encodedLatentSize && f <= lim::kMaxLatent * 16)
      info.fullLatentSize = static_cast<int>(f);
    else
      info.warnings.push_back(file + ": `" + std::string(info.interfaceVersion == 1 ? "latent_size" : "full_latent_size") +
                              "` is " + describe(full) +
                              (scalarOf(full, f) ? " = " + number(f) : std::string()) +
                              ", below the encoded latent size or implausible; ignored.");
  }

  // --- a pitched model's measured dims (informative: a bad value is ignored with a warning) ---
  for (const auto& [name, dim] : {std::pair<const char*, int*>{"pitch_dim", &info.pitchDim}, {"loudness_dim", &info.loudnessDim}}) {
    const RawValue& v = attribute(raw, name);
    if (v.kind == RawValue::Kind::Absent) continue;
    double d = 0;
    if (scalarOf(v, d) && integral(d) && d >= 0 && d < info.latentSize)
      *dim = static_cast<int>(d);
    else
      info.warnings.push_back(file + ": `" + name + "` is " + describe(v) + (scalarOf(v, d) ? " = " + number(d) : std::string()) +
                              ", not one of the model's " + std::to_string(info.latentSize) + " latent dims; ignored.");
  }
  if (info.pitchDim >= 0 && info.pitchDim == info.loudnessDim) {
    info.warnings.push_back(file + ": `pitch_dim` and `loudness_dim` name the same dim; both ignored.");
    info.pitchDim = info.loudnessDim = -1;
  }
  return info;
}

}  // namespace mm
