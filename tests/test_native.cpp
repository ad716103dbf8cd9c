// The native executor (engine/NativeNet.h): the bundled drum family runs on it, equals
// TorchScript over a long stream of calls of every size, and every other model stays on
// TorchScript with the reason said.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "ModelRuntime.h"
#include "TestSupport.h"

using namespace mm;
using namespace mmtest;

namespace {

ModelRuntime::Options withExecutor(ModelRuntime::Options::Executor e) {
  ModelRuntime::Options o;
  o.executor = e;
  return o;
}

// Drum-like input: decaying noise bursts over a low hum, 3 s.
std::vector<float> burstySignal(int n) {
  std::vector<float> x(static_cast<size_t>(n));
  uint32_t seed = 77;
  float env = 0;
  for (int i = 0; i < n; ++i) {
    if (i % 9000 == 0) env = 0.9f;
    env *= 0.9995f;
    seed = seed * 1664525u + 1013904223u;
    const float noise = static_cast<float>(seed >> 8) / 16777216.f - 0.5f;
    x[static_cast<size_t>(i)] = env * noise + 0.05f * static_cast<float>(std::sin(0.01 * i));
  }
  return x;
}

}  // namespace

TEST_CASE("native executor: the bundled drum models equal TorchScript over a stream of mixed call sizes", "[native][model]") {
  for (const char* rel : {"models/musicmill_drums.ts", "models/musicmill_drums_r128.ts"}) {
    INFO(rel);
    auto native = ModelRuntime::load(sourcePath(rel), withExecutor(ModelRuntime::Options::Executor::Auto));
    auto ts = ModelRuntime::load(sourcePath(rel), withExecutor(ModelRuntime::Options::Executor::TorchScript));
    INFO(native->info().executorNote);
    REQUIRE(native->info().executor == "native");
    CHECK(ts->info().executor == "torchscript");
    CHECK(ts->info().executorNote.find("--executor torchscript") != std::string::npos);
    const ModelInfo& info = native->info();
    const int R = info.ratio, L = info.latentSize;
    const std::vector<float> x = burstySignal(3 * 44100);
    const int sizes[] = {1, 2, 1, 4, 3, 1, 1, 8, 2};
    size_t at = 0;
    double worstZ = 0, worstY = 0, peakY = 0;
    for (int call = 0; at + static_cast<size_t>(8 * R) < x.size(); ++call) {
      const int frames = sizes[call % 9], n = frames * R;
      std::vector<float> zn(static_cast<size_t>(L) * frames), zt(zn.size());
      native->encode(x.data() + at, n, zn.data());
      ts->encode(x.data() + at, n, zt.data());
      for (size_t i = 0; i < zn.size(); ++i) worstZ = std::max(worstZ, static_cast<double>(std::fabs(zn[i] - zt[i])));
      // Decode what a performer plays: the latents moved by the controls (the same for both).
      for (int d = 0; d < L; ++d)
        for (int f = 0; f < frames; ++f) zt[static_cast<size_t>(d) * frames + f] += 1.5f * std::sin(0.3f * (call + d));
      std::vector<float> yn(static_cast<size_t>(info.outChannels) * n), yt(yn.size());
      native->decode(zt.data(), frames, yn.data());
      ts->decode(zt.data(), frames, yt.data());
      for (size_t i = 0; i < yn.size(); ++i) {
        worstY = std::max(worstY, static_cast<double>(std::fabs(yn[i] - yt[i])));
        peakY = std::max(peakY, static_cast<double>(std::fabs(yt[i])));
      }
      at += static_cast<size_t>(n);
    }
    std::printf("%s: native against TorchScript over %.1f s: latents %.2e, audio %.2e (peak %.2f)\n", rel,
                static_cast<double>(at) / 44100, worstZ, worstY, peakY);
    CHECK(peakY > 0.05);  // the comparison is of sound, not of silence
    CHECK(worstZ <= 1e-4);
    CHECK(worstY <= 1e-4);
  }
}

TEST_CASE("native executor: other architectures stay on TorchScript and inspect says why", "[native][model]") {
  auto synth = ModelRuntime::load(sourcePath("models/musicmill_synth.ts"));
  CHECK(synth->info().executor == "torchscript");
  CHECK(synth->info().executorNote.find("SynthEncoder") != std::string::npos);
  auto identity = ModelRuntime::load(fixture("identity_44k.ts"));
  CHECK(identity->info().executor == "torchscript");
  CHECK(identity->info().executorNote.find("not an architecture the native executor knows") != std::string::npos);

  const CommandResult drums = runCommand(binary() + " inspect " + sourcePath("models/musicmill_drums.ts"));
  INFO(drums.output);
  CHECK(drums.output.find("executor     native") != std::string::npos);
  const CommandResult asked =
      runCommand(binary() + " inspect --executor torchscript " + sourcePath("models/musicmill_drums.ts"));
  CHECK(asked.output.find("executor     torchscript: TorchScript was asked for") != std::string::npos);
  const CommandResult bad = runCommand(binary() + " inspect --executor fast " + sourcePath("models/musicmill_drums.ts") + " 2>&1");
  CHECK(bad.status == 2);
  CHECK(bad.output.find("--executor takes 'auto' or 'torchscript', not 'fast'") != std::string::npos);
}

TEST_CASE("bf16 weights: taken within the tolerance, refused beyond it or off the native executor", "[native][model]") {
  const std::string drums = sourcePath("models/musicmill_drums.ts");
  ModelRuntime::Options o;
  o.weights = ModelRuntime::Options::Weights::Bf16;
  auto half = ModelRuntime::load(drums, o);
  auto full = ModelRuntime::load(drums);
  INFO(half->info().executorNote);
  REQUIRE(half->info().bf16Weights);
  CHECK(!full->info().bf16Weights);
  CHECK(half->info().executorNote.find("bf16 weights: the output differs from fp32 by") != std::string::npos);
  // The same stream through both: the difference is there (the weights really are
  // bfloat16) and far under the music.
  const int R = full->info().ratio, L = full->info().latentSize;
  const std::vector<float> x = burstySignal(2 * 44100);
  double err = 0, level = 0;
  for (size_t at = 0; at + static_cast<size_t>(R) <= x.size(); at += static_cast<size_t>(R)) {
    std::vector<float> z(static_cast<size_t>(L)), ya(static_cast<size_t>(R)), yb(ya.size());
    full->encode(x.data() + at, R, z.data());
    full->decode(z.data(), 1, ya.data());
    half->encode(x.data() + at, R, z.data());
    half->decode(z.data(), 1, yb.data());
    for (int i = 0; i < R; ++i) {
      err += static_cast<double>(ya[static_cast<size_t>(i)] - yb[static_cast<size_t>(i)]) *
             (ya[static_cast<size_t>(i)] - yb[static_cast<size_t>(i)]);
      level += static_cast<double>(ya[static_cast<size_t>(i)]) * ya[static_cast<size_t>(i)];
    }
  }
  const double db = 10 * std::log10(err / level);
  std::printf("bundled drums, bf16 weights against fp32 over 2 s: %.1f dB\n", db);
  CHECK(db < -30);
  CHECK(db > -140);

  // A tolerance the model cannot meet: refused, said, played in fp32.
  o.bf16ToleranceDb = -150;
  auto strict = ModelRuntime::load(drums, o);
  CHECK(!strict->info().bf16Weights);
  CHECK(strict->info().executor == "native");
  bool said = false;
  for (const auto& w : strict->info().warnings) said = said || w.find("bf16 weights refused") != std::string::npos;
  CHECK(said);

  // A model on TorchScript cannot take them.
  o.bf16ToleranceDb = -30;
  auto synth = ModelRuntime::load(sourcePath("models/musicmill_synth.ts"), o);
  CHECK(!synth->info().bf16Weights);
  said = false;
  for (const auto& w : synth->info().warnings) said = said || w.find("bf16 weights need the native executor") != std::string::npos;
  CHECK(said);
  const CommandResult bad = runCommand(binary() + " inspect --weights int4 " + drums + " 2>&1");
  CHECK(bad.status == 2);
  CHECK(bad.output.find("--weights takes 'fp32' or 'bf16', not 'int4'") != std::string::npos);
}
