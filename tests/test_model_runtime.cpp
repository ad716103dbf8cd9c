// The runtime accepts every good fixture with the right discovered values and rejects
// every bad one with its own message (issue: foundation).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>

#include "ModelRuntime.h"
#include "TestSupport.h"

using namespace mm;
using mmtest::fixture;

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
