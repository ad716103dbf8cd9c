// The runtime accepts every good fixture with the right discovered values and rejects
// every bad one with its own message (issue: foundation).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>

#include "ModelInterface.h"
#include "ModelRuntime.h"
#include "TestSupport.h"

using namespace mm;
using mmtest::binary;
using mmtest::fixture;
using mmtest::runCommand;

TEST_CASE("v2 fixture at 48 kHz: interface discovered", "[runtime]") {
  auto m = ModelRuntime::load(fixture("v2_48k.ts"));
  const ModelInfo& i = m->info();
  CHECK(i.interfaceVersion == 2);
  CHECK(i.sampleRate == 48000);
  CHECK(i.ratio == 64);
  CHECK(i.latentSize == 8);
  CHECK(i.inChannels == 1);
  CHECK(i.outChannels == 1);
  CHECK_FALSE(i.stereo());
  CHECK(i.hasPrior);
  CHECK(i.parameterCount > 0);
  CHECK(std::find(i.methods.begin(), i.methods.end(), "prior") != i.methods.end());
}

TEST_CASE("v1 fixture with stereo decode: interface discovered from *_params buffers", "[runtime]") {
  auto m = ModelRuntime::load(fixture("v1_stereo.ts"));
  const ModelInfo& i = m->info();
  CHECK(i.interfaceVersion == 1);
  CHECK(i.sampleRate == 44100);
  CHECK(i.ratio == 128);
  CHECK(i.latentSize == 4);
  CHECK(i.outChannels == 2);
  CHECK(i.stereo());
  CHECK_FALSE(i.hasPrior);
  std::vector<float> in(128 * 2, 0.1f), z(4 * 2), out(2 * 128 * 2);
  m->encode(in.data(), 256, z.data());
  m->decode(z.data(), 2, out.data());
  double diff = 0;
  for (int k = 0; k < 256; ++k) diff += std::fabs(out[k] - out[256 + k]);
  CHECK(diff > 0.0);  // the two channels really differ
}

TEST_CASE("identity fixture reproduces its input exactly through encode/decode", "[runtime]") {
  auto m = ModelRuntime::load(fixture("identity_44k.ts"));
  REQUIRE(m->info().ratio == 8);
  std::vector<float> in(64), z(8 * 8), out(64);
  for (int k = 0; k < 64; ++k) in[k] = std::sin(0.3f * k);
  m->encode(in.data(), 64, z.data());
  m->decode(z.data(), 8, out.data());
  for (int k = 0; k < 64; ++k) CHECK(out[k] == Approx(in[k]).margin(1e-6));
}

TEST_CASE("streaming state continues across calls: blocks equal one call", "[runtime]") {
  const int R = 64, frames = 12;
  std::vector<float> x(R * frames);
  for (size_t k = 0; k < x.size(); ++k) x[k] = 0.4f * std::sin(0.05f * k) + 0.1f * std::sin(0.71f * k);
  auto whole = ModelRuntime::load(fixture("v2_48k.ts"));
  std::vector<float> zw(8 * frames), yw(R * frames);
  whole->encode(x.data(), R * frames, zw.data());
  whole->decode(zw.data(), frames, yw.data());
  auto blocks = ModelRuntime::load(fixture("v2_48k.ts"));
  std::vector<float> zb(8 * 3), yb(R * frames);
  for (int b = 0; b < frames / 3; ++b) {
    blocks->encode(x.data() + b * 3 * R, 3 * R, zb.data());
    blocks->decode(zb.data(), 3, yb.data() + b * 3 * R);
  }
  double maxDiff = 0;
  for (size_t k = 0; k < yw.size(); ++k) maxDiff = std::max(maxDiff, double(std::fabs(yw[k] - yb[k])));
  CHECK(maxDiff < 1e-4);
}

namespace {
ModelErrorKind failureOf(const std::string& path) {
  try {
    ModelRuntime::load(path);
  } catch (const ModelError& e) {
    const std::string msg = e.what();
    CHECK(msg.find(path) != std::string::npos);          // names the file
    CHECK(msg.find("Exception raised") == std::string::npos);  // no LibTorch trace
    CHECK(msg.find("frame #") == std::string::npos);
    CHECK(msg.size() < 900);                              // one paragraph
    return e.kind();
  }
  FAIL("expected " << path << " to be rejected");
  return ModelErrorKind::LoadFailed;
}
}  // namespace

TEST_CASE("broken and non-model files are rejected, each with its own message", "[runtime]") {
  CHECK(failureOf(fixture("does_not_exist.ts")) == ModelErrorKind::MissingFile);
  CHECK(failureOf(fixture("empty.ts")) == ModelErrorKind::EmptyFile);
  CHECK(failureOf(fixture("text.ts")) == ModelErrorKind::NotTorchScript);
  CHECK(failureOf(fixture("random.ts")) == ModelErrorKind::NotTorchScript);
  CHECK(failureOf(fixture("truncated.ts")) == ModelErrorKind::TruncatedArchive);
  CHECK(failureOf(fixture("newer_torch.ts")) == ModelErrorKind::NewerPyTorch);
  CHECK(failureOf(fixture("no_decode.ts")) == ModelErrorKind::MissingMethod);
  CHECK(failureOf(fixture("nan_output.ts")) == ModelErrorKind::NonFiniteOutput);
  CHECK(failureOf(fixture("wrong_length.ts")) == ModelErrorKind::WrongOutputShape);
  // Metadata that would have been misread: a ratio beyond 32 bits (read as an int it was
  // 8, and played), a NaN sample rate (converting it to int is undefined).
  CHECK(failureOf(fixture("wrapped_ratio.ts")) == ModelErrorKind::BadInterface);
  CHECK(failureOf(fixture("nan_rate_v1.ts")) == ModelErrorKind::BadInterface);
}

TEST_CASE("a broken prior is left out with a warning and the model plays", "[runtime]") {
  auto m = ModelRuntime::load(fixture("broken_prior.ts"));
  CHECK_FALSE(m->info().hasPrior);
  REQUIRE(m->info().warnings.size() == 1);
  CHECK(m->info().warnings[0].find("prior") != std::string::npos);
  CHECK(m->info().warnings[0].find("broken_prior.ts") != std::string::npos);
  const auto r = runCommand(binary() + " inspect " + fixture("broken_prior.ts"));
  CHECK(r.status == 0);
  CHECK(r.output.find("warning") != std::string::npos);
}

namespace {
RawValue tensorOf(std::vector<double> v) {
  RawValue r;
  r.kind = RawValue::Kind::Tensor;
  r.typeName = "Long";
  r.numel = static_cast<int64_t>(v.size());
  r.values = std::move(v);
  return r;
}
RawModelInterface goodV2() {
  RawModelInterface raw;
  raw.hasGetMethods = true;
  raw.listedMethods = {"encode", "decode", "forward"};
  raw.compiledMethods = {"encode", "decode", "forward", "get_methods"};
  raw.bufferNames = {"encode_params", "decode_params"};
  raw.attributes["encode_params"] = tensorOf({1, 1, 16, 2048});
  raw.attributes["decode_params"] = tensorOf({8, 2048, 2, 1});
  RawValue sr;
  sr.kind = RawValue::Kind::Int;
  sr.intValue = 48000;
  raw.attributes["sr"] = sr;
  return raw;
}
std::string refusal(const RawModelInterface& raw) {
  try {
    interpretModelInterface("m.ts", raw);
  } catch (const ModelError& e) {
    CHECK(std::string(e.what()).rfind("Model file 'm.ts'", 0) == 0);
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("model metadata: every value is checked before it is used", "[runtime]") {
  const ModelInfo ok = interpretModelInterface("m.ts", goodV2());
  CHECK(ok.interfaceVersion == 2);
  CHECK(ok.ratio == 2048);
  CHECK(ok.latentSize == 8);
  CHECK(ok.encodedLatentSize == 16);
  CHECK(ok.outChannels == 2);
  CHECK(ok.sampleRate == 48000);
  CHECK(ok.fullLatentSize == 16);
  CHECK(ok.warnings.empty());

  auto with = [](const std::string& name, RawValue v) {
    RawModelInterface raw = goodV2();
    raw.attributes[name] = std::move(v);
    return raw;
  };
  RawValue d;
  d.kind = RawValue::Kind::Double;
  d.doubleValue = std::nan("");
  CHECK(refusal(with("sr", d)).find("nan Hz") != std::string::npos);
  d.doubleValue = 1e300;
  CHECK(refusal(with("sr", d)).find("1e+300 Hz") != std::string::npos);
  d.doubleValue = 44100.5;
  CHECK_FALSE(refusal(with("sr", d)).empty());
  CHECK(refusal(with("encode_params", tensorOf({1, 1, 16, 4294969344.0}))).find("holds 4294969344") !=
        std::string::npos);
  CHECK(refusal(with("encode_params", tensorOf({1, 1, 16, 131072}))).find("ratio 131072") != std::string::npos);
  CHECK(refusal(with("decode_params", tensorOf({8, 2048, 2}))).find("3 elements") != std::string::npos);
  CHECK(refusal(with("decode_params", tensorOf({8, 2048.5, 2, 1}))).find("2048.5") != std::string::npos);
  CHECK(refusal(with("decode_params", tensorOf({8, 2048, 3, 1}))).find("out 3") != std::string::npos);
  CHECK(refusal(with("decode_params", tensorOf({8, 2048, 1, 4}))).find("1/4") != std::string::npos);
  CHECK(refusal(with("encode_params", tensorOf({1, 1, 0, 2048}))).find("encoded latent 0") != std::string::npos);
  RawValue other;
  other.kind = RawValue::Kind::Other;
  other.typeName = "str";
  CHECK(refusal(with("sr", other)).find("type str") != std::string::npos);

  RawModelInterface noDecode = goodV2();
  noDecode.compiledMethods = {"encode", "forward"};
  CHECK(refusal(noDecode).find("no usable 'decode'") != std::string::npos);

  // v1: methods come from the *_params buffers whose method exists; the rate from a tensor.
  RawModelInterface v1 = goodV2();
  v1.hasGetMethods = false;
  v1.listedMethods.clear();
  v1.attributes.erase("sr");
  RawValue rate = tensorOf({44100});
  rate.typeName = "Float";
  v1.attributes["sampling_rate"] = rate;
  const ModelInfo i1 = interpretModelInterface("m.ts", v1);
  CHECK(i1.interfaceVersion == 1);
  CHECK(i1.sampleRate == 44100);
  CHECK(i1.methods == std::vector<std::string>{"encode", "decode"});
  CHECK(i1.fullLatentSize == 16);  // no latent_size buffer: what encode gives
  // A legacy v1 export keeps its full latent size in the `latent_size` buffer (decode pads
  // what encode gives up to it): 128 is reported, not the 16 encode gives.
  RawValue legacy = tensorOf({128});
  legacy.typeName = "Long";
  v1.attributes["latent_size"] = legacy;
  CHECK(interpretModelInterface("m.ts", v1).fullLatentSize == 128);
  // A v2 file's `latent_size` is not its full size.
  CHECK(interpretModelInterface("m.ts", with("latent_size", legacy)).fullLatentSize == 16);

  // An implausible full_latent_size is ignored with a warning.
  RawValue full;
  full.kind = RawValue::Kind::Int;
  full.intValue = -5;
  const ModelInfo i2 = interpretModelInterface("m.ts", with("full_latent_size", full));
  CHECK(i2.fullLatentSize == 16);
  CHECK(i2.warnings.size() == 1);
}

TEST_CASE("asking for a device this LibTorch lacks names what is available", "[runtime]") {
  const auto avail = availableDevices();
  CHECK(avail.front() == "cpu");
  if (std::find(avail.begin(), avail.end(), "cuda") != avail.end()) return;  // GPU build
  try {
    ModelRuntime::Options o;
    o.device = "cuda";
    ModelRuntime::load(fixture("identity_44k.ts"), o);
    FAIL("cuda should be unavailable on a CPU-only LibTorch");
  } catch (const ModelError& e) {
    CHECK(e.kind() == ModelErrorKind::DeviceUnavailable);
    CHECK(std::string(e.what()).find("cpu") != std::string::npos);
  }
  CHECK(resolveDevice("auto") == (avail.size() == 1 ? "cpu" : avail[1]));
}

TEST_CASE("frozen graphs keep the streaming state and give the same audio", "[runtime]") {
  // Freezing folds attributes into constants; the caches that encode/decode mutate in
  // place must stay state, or block-by-block output would click at every block edge.
  using Graph = ModelRuntime::Options::Graph;
  for (const char* name : {"v2_48k.ts", "v1_stereo.ts", "delay_44k.ts"}) {
    for (Graph g : {Graph::Frozen, Graph::FrozenOptimized}) {
      INFO(name << (g == Graph::Frozen ? " frozen" : " frozen+optimized"));
      auto ref = ModelRuntime::load(fixture(name));
      ModelRuntime::Options opt;
      opt.graph = g;
      auto fz = ModelRuntime::load(fixture(name), opt);
      const ModelInfo& i = ref->info();
      CHECK(fz->info().ratio == i.ratio);
      CHECK(fz->info().latentSize == i.latentSize);
      CHECK(fz->info().hasPrior == i.hasPrior);
      const int R = i.ratio, frames = 12, n = R * frames;
      std::vector<float> x(n);
      for (int k = 0; k < n; ++k) x[k] = 0.4f * std::sin(0.05f * k) + 0.1f * std::sin(0.71f * k);
      // Reference: the model as loaded, one call (after the same probe both had).
      std::vector<float> zw(i.latentSize * frames), yw(static_cast<size_t>(n) * i.outChannels);
      ref->encode(x.data(), n, zw.data());
      ref->decode(zw.data(), frames, yw.data());
      // Frozen: blocks of 3 frames.
      std::vector<float> zb(i.latentSize * 3), yb(static_cast<size_t>(3 * R) * i.outChannels),
          y(yw.size());
      for (int b = 0; b < frames / 3; ++b) {
        fz->encode(x.data() + b * 3 * R, 3 * R, zb.data());
        fz->decode(zb.data(), 3, yb.data());
        for (int c = 0; c < i.outChannels; ++c)
          std::copy(yb.begin() + c * 3 * R, yb.begin() + (c + 1) * 3 * R,
                    y.begin() + c * n + b * 3 * R);
      }
      double maxDiff = 0, energy = 0;
      for (size_t k = 0; k < yw.size(); ++k) {
        maxDiff = std::max(maxDiff, double(std::fabs(yw[k] - y[k])));
        energy += yw[k] * yw[k];
      }
      CHECK(energy > 0.0);
      CHECK(maxDiff < 1e-4);
      if (i.hasPrior) {
        std::vector<float> pa(i.latentSize * 4), pb(i.latentSize * 4);
        ref->prior(1.f, 4, pa.data());
        fz->prior(1.f, 4, pb.data());
        for (size_t k = 0; k < pa.size(); ++k) CHECK(pb[k] == Approx(pa[k]).margin(1e-5));
      }
    }
  }
}
