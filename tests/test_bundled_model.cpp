// The committed default model: loads, passes the runtime probe, and reconstructs a drum
// pattern built from the held-out kit (never seen in training) with its hits in place.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <random>

#include "AudioFile.h"
#include "FrameProcessor.h"
#include "ModelRuntime.h"
#include "OfflineRenderer.h"
#include "OnsetDetector.h"
#include "Resampler.h"
#include "TestSupport.h"

using namespace mm;
using namespace mmtest;
namespace fs = std::filesystem;

namespace {

// A 20 s random pattern of the held-out kit's one-shots (seeded) through the model:
// the onsets of the output matched against those of the input (50 ms).
OnsetMatch heldOutKitOnsets(ModelRuntime& model) {
  const ModelInfo& info = model.info();
  // A 20 s random pattern from the held-out kit's one-shots (seeded).
  const fs::path kit = "/usr/share/hydrogen/data/drumkits/ColomboAcousticDrumkit";
  REQUIRE(fs::exists(kit));
  std::vector<std::vector<float>> shots;
  for (const auto& e : fs::directory_iterator(kit)) {
    const auto ext = e.path().extension().string();
    if (ext != ".flac" && ext != ".wav") continue;
    AudioBuffer b = readAudioFile(e.path().string());
    auto mono = Resampler::convert(downmix(b), 1, b.sampleRate, 44100);
    if (mono.size() > 44100 / 2) mono.resize(44100 / 2);
    shots.push_back(std::move(mono));
  }
  REQUIRE(shots.size() >= 5);
  std::mt19937 rng(11);
  AudioBuffer in;
  in.sampleRate = 44100;
  in.samples.assign(44100 * 20, 0.f);
  std::vector<double> hits;
  for (double t = 0.2; t < 19.5; t += 0.18 + std::uniform_real_distribution<double>(0, 0.35)(rng)) {
    const auto& s = shots[rng() % shots.size()];
    const float vel = std::uniform_real_distribution<float>(0.4f, 1.f)(rng);
    const size_t at = static_cast<size_t>(t * 44100);
    for (size_t k = 0; k < s.size() && at + k < in.samples.size(); ++k) in.samples[at + k] += vel * s[k];
    hits.push_back(t);
  }
  auto reg = makeStandardRegistry(info.latentSize);
  FrameProcessor proc(model, *reg, 1);
  RenderOptions ro;
  ro.applyOutputStage = false;
  const AudioBuffer out = renderBuffer(proc, *reg, in, ro);
  const auto inOn = detectOnsets(in.samples, 44100);
  const auto outOn = detectOnsets(out.samples, 44100);
  const OnsetMatch m = matchOnsets(inOn, outOn, 0.05);
  INFO("hits placed " << hits.size() << ", input onsets " << inOn.size() << ", output onsets " << outOn.size()
                      << ", F " << m.fMeasure << ", median offset " << m.medianOffsetMs << " ms");
  std::printf("%s: held-out kit onsets in %zu, out %zu, F %.3f, median offset %.2f ms\n", info.path.c_str(),
              inOn.size(), outOn.size(), m.fMeasure, m.medianOffsetMs);
  return m;
}

}  // namespace

TEST_CASE("bundled model: probe, interface, and held-out-kit onset F-measure above 0.75", "[bundled][model]") {
  const std::string path = sourcePath("models/musicmill_drums.ts");
  REQUIRE(fs::exists(path));
  auto model = ModelRuntime::load(path);  // includes the probe
  const ModelInfo& info = model->info();
  CHECK(info.interfaceVersion == 2);
  CHECK(info.sampleRate == 44100);
  CHECK(info.ratio <= 256);
  CHECK(info.latentSize >= 4);
  CHECK(info.latentSize <= 8);
  const OnsetMatch m = heldOutKitOnsets(*model);
  CHECK(m.fMeasure >= 0.75);
  CHECK(std::fabs(m.medianOffsetMs) < 10.0);
}

TEST_CASE("bundled low-latency model drums_r128: probe, interface, held-out-kit onsets", "[bundled][model]") {
  // Trained with `musicmill train` at R = 128 (models/README.md); kept beside the default
  // (aubio finds extra onsets in its drum tails, and on this machine it starts no lower).
  const std::string path = sourcePath("models/musicmill_drums_r128.ts");
  REQUIRE(fs::exists(path));
  auto model = ModelRuntime::load(path);
  const ModelInfo& info = model->info();
  CHECK(info.interfaceVersion == 2);
  CHECK(info.sampleRate == 44100);
  CHECK(info.ratio == 128);
  CHECK(info.latentSize == 8);
  const OnsetMatch m = heldOutKitOnsets(*model);
  CHECK(m.fMeasure >= 0.75);  // measured 0.887 (the default: 0.881) with the instrument's onset detector
  CHECK(std::fabs(m.medianOffsetMs) < 10.0);
}
