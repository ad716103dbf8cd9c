// Fuzzes what MusicMill makes of a model file's metadata: interpretModelInterface(path, raw)
// (engine/ModelInterface.cpp), the step of ModelRuntime::load that judges get_methods(),
// the `*_params` buffers, `sr` / `sampling_rate` and `full_latent_size` after LibTorch has
// read the archive (engine/ModelRuntime.cpp readRawInterface turns the loaded module into
// the same plain values).
//
// The input is a description of those values, one per line (fuzz/corpus/model_metadata has
// the real fixtures' and the bundled model's, written by fuzz/make_seeds.py):
//   get_methods NAME...          the module has get_methods() and it returns these (v2)
//   buffers NAME...              the module's own buffers (v1 discovery: *_params)
//   compiled NAME...             the methods the module really has
//   attr NAME int V | double V | tensor DTYPE NUMEL V... | other TYPE
//
// Oracle besides the sanitizers: a refusal is a ModelError (missing method or bad
// interface) naming the file; an accepted interface holds exactly the numbers the file
// gave, within the ranges ModelInterface.h states.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "ModelInterface.h"
#include "ModelMetadataText.h"

namespace {

using mm::RawValue;

void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "model metadata oracle: %s: %s\n", what, detail.c_str());
  std::abort();
}

// The one number a scalar attribute holds, as the file gives it.
bool scalar(const RawValue& v, double& out) {
  if (v.kind == RawValue::Kind::Int) return out = static_cast<double>(v.intValue), true;
  if (v.kind == RawValue::Kind::Double) return out = v.doubleValue, true;
  if (v.kind == RawValue::Kind::Tensor && v.values.size() == 1) return out = v.values[0], true;
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const mm::RawModelInterface raw = mm::parseModelMetadataText(text);
  const std::string path = "fuzz.ts";
  mm::ModelInfo info;
  try {
    info = mm::interpretModelInterface(path, raw);
  } catch (const mm::ModelError& e) {
    const std::string msg = e.what();
    if (msg.rfind("Model file '" + path + "'", 0) != 0) fail("message without the file name", msg);
    if (e.kind() != mm::ModelErrorKind::BadInterface && e.kind() != mm::ModelErrorKind::MissingMethod)
      fail("unexpected error kind", msg);
    return 0;
  }
  namespace lim = mm::interface_limits;
  const auto& ep = raw.attributes.at("encode_params").values;
  const auto& dp = raw.attributes.at("decode_params").values;
  if (info.ratio < 1 || info.ratio > lim::kMaxRatio || info.ratio != ep.at(3) || info.ratio != dp.at(1))
    fail("accepted ratio differs from the file or is out of range", std::to_string(info.ratio));
  if (info.latentSize < 1 || info.latentSize > lim::kMaxLatent || info.latentSize != dp.at(0))
    fail("accepted latent size differs from the file", std::to_string(info.latentSize));
  if (info.encodedLatentSize < 1 || info.encodedLatentSize != ep.at(2))
    fail("accepted encoded latent size differs from the file", std::to_string(info.encodedLatentSize));
  if (info.inChannels < 1 || info.inChannels > 2 || info.inChannels != ep.at(0) || info.outChannels < 1 ||
      info.outChannels > 2 || info.outChannels != dp.at(2))
    fail("accepted channel counts differ from the file", std::to_string(info.inChannels));
  const auto sr = raw.attributes.find("sr");
  const bool fromSr = sr != raw.attributes.end() && sr->second.kind != RawValue::Kind::Absent;
  double hz = 0;
  if (!scalar(fromSr ? sr->second : raw.attributes.at("sampling_rate"), hz) || hz != info.sampleRate ||
      info.sampleRate < lim::kMinRate || info.sampleRate > lim::kMaxRate)
    fail("accepted sample rate differs from the file", std::to_string(info.sampleRate));
  if (info.hasPrior && (info.priorInRatio < 1 || info.priorOutRatio < 1 || info.priorInRatio > lim::kMaxRatio ||
                        info.priorOutRatio > lim::kMaxRatio))
    fail("prior ratios out of range", std::to_string(info.priorInRatio));
  if (info.fullLatentSize < info.encodedLatentSize) fail("full latent size below the encoded one", "");
  bool encode = false, decode = false;
  for (const auto& m : info.methods) encode |= m == "encode", decode |= m == "decode";
  if (!encode || !decode) fail("accepted without encode and decode", "");
  return 0;
}
