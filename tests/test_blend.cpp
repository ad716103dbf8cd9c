// Multi-model blending (issue 5): two models sound together, each with its own controls;
// output crossfade, and latent-level blending when their latent sizes agree. Measured
// with two exact fixture models: identity_44k (decode(encode(x)) = x) and half_44k (the
// same, at half the level), so every mix has one right answer.
#include <catch2/catch.hpp>

#include <cmath>
#include <memory>
#include <stdexcept>
#include <vector>

#include "FrameProcessor.h"
#include "ModelRuntime.h"
#include "Parameters.h"
#include "TestSupport.h"

using namespace mm;
using namespace mmtest;

namespace {

struct Pair {
  std::unique_ptr<ModelRuntime> a;
  std::unique_ptr<ParameterRegistry> reg;
  std::unique_ptr<FrameProcessor> proc;
};

Pair makePair(const std::string& modelA, const std::string& modelB) {
  Pair p;
  p.a = ModelRuntime::load(fixture(modelA));
  auto b = ModelRuntime::load(fixture(modelB));
  p.reg = makeStandardRegistry(p.a->info().latentSize, 2, b->info().latentSize);
  p.proc = std::make_unique<FrameProcessor>(*p.a, *p.reg, defaultFramesPerBlock(p.a->info().ratio));
  p.proc->setPartner(std::move(b));
  return p;
}

// Output level relative to the input over the second half of `blocks` blocks of a steady
// 0.4-amplitude tone (the first half lets the controls' 40 ms smoothing settle).
double gainOf(Pair& p, int blocks = 64) {
  const int n = p.proc->blockSamples();
  std::vector<float> in(n), out(static_cast<size_t>(n) * p.a->info().outChannels);
  double ein = 0, eout = 0;
  long t = 0;
  for (int k = 0; k < blocks; ++k) {
    for (int i = 0; i < n; ++i, ++t) in[i] = 0.4f * std::sin(2.0 * M_PI * 330.0 * t / 44100.0);
    REQUIRE(p.proc->process(in.data(), out.data()));
    if (k < blocks / 2) continue;
    for (int i = 0; i < n; ++i) {
      ein += double(in[i]) * in[i];
      eout += double(out[i]) * out[i];
    }
  }
  return std::sqrt(eout / ein);
}

}  // namespace

TEST_CASE("blend.output crossfades two models with equal power", "[blend]") {
  Pair p = makePair("identity_44k.ts", "half_44k.ts");
  CHECK(p.proc->latentBlendable());
  p.reg->setById("blend.output", 0.f);
  CHECK(gainOf(p) == Approx(1.0).margin(0.01));  // A alone
  p.reg->setById("blend.output", 1.f);
  CHECK(gainOf(p) == Approx(0.5).margin(0.01));  // B alone
  p.reg->setById("blend.output", 0.5f);
  // In phase: cos(pi/4) * 1 + sin(pi/4) * 0.5
  CHECK(gainOf(p) == Approx(std::sqrt(0.5) * 1.5).margin(0.01));
}

TEST_CASE("each blended model keeps its own controls", "[blend]") {
  Pair p = makePair("identity_44k.ts", "half_44k.ts");
  p.reg->setById("blend.output", 1.f);
  p.reg->setById("energy", 1.f);  // A's energy: B, alone in the output, does not hear it
  CHECK(gainOf(p) == Approx(0.5).margin(0.01));
  p.reg->setById("b.energy", 1.f);  // B's energy: latent x 2.0
  CHECK(gainOf(p) == Approx(1.0).margin(0.02));
  p.reg->setById("blend.output", 0.f);
  p.reg->setById("energy", kNeutralEnergy);  // A alone again, at its own neutral energy
  CHECK(gainOf(p) == Approx(1.0).margin(0.01));
}

TEST_CASE("blend.latent feeds B's reading of the voice into A's decoder", "[blend]") {
  Pair p = makePair("identity_44k.ts", "half_44k.ts");
  p.reg->setById("blend.output", 0.f);  // only A's decoder is heard
  p.reg->setById("blend.latent", 1.f);
  CHECK(gainOf(p) == Approx(0.5).margin(0.01));
  p.reg->setById("blend.latent", 0.5f);
  CHECK(gainOf(p) == Approx(0.75).margin(0.01));  // half way between the two latents
}

TEST_CASE("a blend control jump does not click", "[blend]") {
  Pair p = makePair("identity_44k.ts", "half_44k.ts");
  const int n = p.proc->blockSamples();
  std::vector<float> in(n, 0.4f), out(n);  // steady DC: any step in the gain shows
  p.reg->setById("blend.output", 0.f);
  float last = 0.f, maxStep = 0.f;
  for (int k = 0; k < 12; ++k) {
    if (k == 6) p.reg->setById("blend.output", 1.f);  // A -> B in one jump
    REQUIRE(p.proc->process(in.data(), out.data()));
    for (int i = 0; i < n; ++i) {
      if (k > 0 || i > 0) maxStep = std::max(maxStep, std::fabs(out[i] - last));
      last = out[i];
    }
  }
  INFO("largest sample-to-sample step " << maxStep);
  CHECK(last == Approx(0.2f).margin(0.002));
  CHECK(maxStep < 0.01f);  // the whole 0.2 jump is ramped over one block
}

TEST_CASE("models that cannot be blended are refused with the reason, latent blend needs equal sizes", "[blend]") {
  {
    // Ratio 64 divides the identity model's 256-sample block: output blending works, the
    // latent sizes (8 and 64) differ, so there is no latent blend.
    Pair p = makePair("identity_44k.ts", "delay_44k.ts");
    CHECK(p.proc->hasPartner());
    CHECK_FALSE(p.proc->latentBlendable());
    p.reg->setById("blend.output", 0.f);
    CHECK(gainOf(p) == Approx(1.0).margin(0.01));
  }
  auto a = ModelRuntime::load(fixture("identity_44k.ts"));
  auto reg = makeStandardRegistry(8, 2, 8);
  FrameProcessor proc(*a, *reg, defaultFramesPerBlock(8));
  try {
    proc.setPartner(ModelRuntime::load(fixture("v2_48k.ts")));
    FAIL("a 48 kHz partner for a 44.1 kHz model was accepted");
  } catch (const std::invalid_argument& e) {
    CHECK_THAT(e.what(), Catch::Contains("sample rate") && Catch::Contains("v2_48k.ts"));
  }
  auto plain = makeStandardRegistry(8);
  FrameProcessor noParams(*a, *plain, defaultFramesPerBlock(8));
  CHECK_THROWS_WITH(noParams.setPartner(ModelRuntime::load(fixture("half_44k.ts"))),
                    Catch::Contains("blend parameters"));
}

TEST_CASE("a partner that outputs NaN is muted while the first model plays on", "[blend]") {
  auto a = ModelRuntime::load(fixture("v2_48k.ts"));
  auto b = ModelRuntime::load(fixture("nan_output.ts"), [] {
    ModelRuntime::Options o;
    o.probe = false;  // the probe would refuse it at load, as it should for a main model
    return o;
  }());
  auto reg = makeStandardRegistry(a->info().latentSize, 2, b->info().latentSize);
  FrameProcessor proc(*a, *reg, defaultFramesPerBlock(a->info().ratio));
  proc.setPartner(std::move(b));
  reg->setById("blend.output", 0.5f);
  const int n = proc.blockSamples();
  std::vector<float> in(n), out(static_cast<size_t>(n) * a->info().outChannels);
  double energy = 0;
  bool finite = true;
  for (int k = 0; k < 8; ++k) {
    for (int i = 0; i < n; ++i) in[i] = 0.3f * std::sin(0.05f * (k * n + i));
    CHECK(proc.process(in.data(), out.data()));  // A's block is fine
    for (float v : out) {
      finite = finite && std::isfinite(v);
      energy += double(v) * v;
    }
  }
  CHECK(finite);
  CHECK(energy > 0.0);
}
