// Latent controls measured as a performer would hear them.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>

#include "AudioFeatures.h"
#include "AudioFile.h"
#include "FrameProcessor.h"
#include "LatentSources.h"
#include "ModelRuntime.h"
#include "OfflineRenderer.h"
#include "TestSupport.h"

using namespace mm;
using namespace mmtest;

namespace {
AudioBuffer renderWith(const std::string& model, const AudioBuffer& in,
                       const std::function<void(ParameterRegistry&, FrameProcessor&)>& setup) {
  auto m = ModelRuntime::load(model);
  auto reg = makeStandardRegistry(m->info().latentSize);
  reg->setById("gate.threshold", -90.f);
  FrameProcessor proc(*m, *reg, 4, 5);
  setup(*reg, proc);
  RenderOptions ro;
  ro.applyOutputStage = false;
  return renderBuffer(proc, *reg, in, ro);
}
double maxAbsDiff(const std::vector<float>& a, const std::vector<float>& b, size_t n) {
  double d = 0;
  for (size_t i = 0; i < n; ++i) d = std::max(d, double(std::fabs(a[i] - b[i])));
  return d;
}
}  // namespace

TEST_CASE("style blend 0 and 1 reproduce each anchor's own reconstruction", "[controls][style]") {
  const std::string model = fixture("v2_48k.ts");
  const std::string dir = tempDir();
  AudioBuffer a, b, silence;
  a.sampleRate = b.sampleRate = silence.sampleRate = 48000;
  a.samples = clicks({0.1, 0.3, 0.45, 0.7}, 48000, 1.0, 0.7f);
  b.samples = sine(180.0, 48000, 1.0, 0.5f);
  silence.samples.assign(48000, 0.f);
  writeWav(dir + "/a.wav", a);
  writeWav(dir + "/b.wav", b);
  const AudioBuffer recA = renderWith(model, a, [](ParameterRegistry&, FrameProcessor&) {});
  const AudioBuffer recB = renderWith(model, b, [](ParameterRegistry&, FrameProcessor&) {});
  for (int blend = 0; blend <= 1; ++blend) {
    const AudioBuffer styled = renderWith(model, silence, [&](ParameterRegistry& r, FrameProcessor& p) {
      r.setById("style.amount", 1.f);
      r.setById("style.blend", static_cast<float>(blend));
      p.style().load(0, std::make_unique<LatentClip>(encodeFileToClip(model, dir + "/a.wav")));
      p.style().load(1, std::make_unique<LatentClip>(encodeFileToClip(model, dir + "/b.wav")));
    });
    const AudioBuffer& expect = blend == 0 ? recA : recB;
    const AudioBuffer& other = blend == 0 ? recB : recA;
    const size_t n = 48000 / 64 * 64;
    INFO("blend " << blend << ": diff to own anchor " << maxAbsDiff(styled.samples, expect.samples, n)
                  << ", to the other " << maxAbsDiff(styled.samples, other.samples, n));
    CHECK(rms(expect.samples, 0, n) > 0.01);
    CHECK(maxAbsDiff(styled.samples, expect.samples, n) < 1e-4);
    CHECK(maxAbsDiff(styled.samples, other.samples, n) > 0.05);
  }
}

TEST_CASE("a parameter jump causes no click", "[controls]") {
  // Energy jumps from 0 to 1 in one block; the latent smoothing (40 ms) spreads it, so the
  // largest sample-to-sample step near the jump stays within what the louder steady sound
  // itself produces.
  const std::string model = sourcePath("models/musicmill_drums.ts");
  REQUIRE(std::filesystem::exists(model));
  AudioBuffer voice = readAudioFile(sourcePath("models/demo/beatbox_demo.wav"));
  auto m = ModelRuntime::load(model);
  auto reg = makeStandardRegistry(m->info().latentSize);
  reg->setById("energy", 0.f);
  FrameProcessor proc(*m, *reg, 1, 5);
  RenderOptions ro;
  ro.applyOutputStage = false;
  const double jumpAt = 4.0;
  ro.beforeBlock = [&](double t) {
    if (t >= jumpAt) reg->setById("energy", 1.f);
  };
  const AudioBuffer out = renderBuffer(proc, *reg, voice, ro);
  const auto& y = out.samples;
  const size_t j = static_cast<size_t>(jumpAt * 44100);
  double nearJump = 0, steady = 0;
  for (size_t i = j - 441; i < j + 2205; ++i) nearJump = std::max(nearJump, double(std::fabs(y[i] - y[i - 1])));
  for (size_t i = j + 22050; i < y.size(); ++i) steady = std::max(steady, double(std::fabs(y[i] - y[i - 1])));
  INFO("largest step within 50 ms of the jump " << nearJump << ", in the steady loud part " << steady);
  CHECK(steady > 0.0);
  CHECK(nearJump <= 1.0 * steady);
}

TEST_CASE("a model with a prior plays from it at prior.temperature, a model without one plays a random walk",
          "[controls][prior]") {
  // The fixture's prior returns temperature x a sine of the latent frame: at 0 the prior
  // gives nothing, at 2 twice what it gives at 1. The voice is off: only the prior plays.
  AudioBuffer in;
  in.sampleRate = 48000;
  in.samples.assign(48000, 0.f);
  auto withTemperature = [&](float t) {
    return renderWith(fixture("v2_48k.ts"), in, [t](ParameterRegistry& reg, FrameProcessor&) {
      reg.setById("source.voice", 0.f);
      reg.setById("source.prior", 1.f);
      reg.setById("prior.temperature", t);
    });
  };
  const AudioBuffer cold = withTemperature(0.f), normal = withTemperature(1.f), hot = withTemperature(2.f);
  const double rCold = rms(cold.samples, 4800, 48000), rNormal = rms(normal.samples, 4800, 48000),
               rHot = rms(hot.samples, 4800, 48000);
  INFO("output rms at temperature 0 / 1 / 2: " << rCold << " / " << rNormal << " / " << rHot);
  CHECK(rNormal > 1e-4);
  CHECK(rHot > 1.1 * rNormal);  // a hotter prior drives the decoder harder (it saturates)
  CHECK(rCold < 0.2 * rNormal);
  CHECK(maxAbsDiff(normal.samples, hot.samples, normal.samples.size()) > 1e-4);
  // Without a prior, the temperature changes nothing: the random walk plays.
  auto walk = [&](float t) {
    return renderWith(fixture("delay_44k.ts"), in, [t](ParameterRegistry& reg, FrameProcessor&) {
      reg.setById("source.voice", 0.f);
      reg.setById("source.prior", 1.f);
      reg.setById("prior.temperature", t);
    });
  };
  in.sampleRate = 44100;
  const AudioBuffer a = walk(0.f), b = walk(2.f);
  CHECK(rms(a.samples, 4410, 44100) > 1e-4);  // it moves
  CHECK(maxAbsDiff(a.samples, b.samples, a.samples.size()) == 0.0);
}
