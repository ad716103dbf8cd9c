// `musicmill demo` on the bundled model: each control does what it claims, measured.
#include <catch2/catch.hpp>

#include <filesystem>

#include "AudioFeatures.h"
#include "AudioFile.h"
#include "TestSupport.h"

using namespace mm;
using namespace mmtest;

TEST_CASE("demo renders: energy, tempo, dimensions and evolution measurably do what they say", "[demo][bundled]") {
  REQUIRE(std::filesystem::exists(sourcePath("models/musicmill_drums.ts")));
  const std::string dir = tempDir();
  const auto r = runCommand(binary() + " demo --out " + dir);
  INFO(r.output);
  REQUIRE(r.status == 0);
  auto features = [&](const std::string& name) {
    const AudioBuffer b = readAudioFile(dir + "/" + name);
    return measureAudio(downmix(b), b.sampleRate);
  };
  const auto base = features("control_demo_1_base.wav");
  const auto low = features("control_demo_2_low_energy.wav");
  const auto high = features("control_demo_2_high_energy.wav");
  INFO("RMS low " << low.rms << " base " << base.rms << " high " << high.rms);
  CHECK(low.rms < base.rms);
  CHECK(base.rms < high.rms);

  const auto slow = features("control_demo_4_slow_tempo.wav");
  const auto fast = features("control_demo_4_fast_tempo.wav");
  INFO("onsets/s slow " << slow.onsetsPerSecond << " fast " << fast.onsetsPerSecond);
  CHECK(slow.onsetsPerSecond > 0.5);
  CHECK(fast.onsetsPerSecond / slow.onsetsPerSecond == Approx(4.0).margin(1.2));

  std::vector<AudioFeatures> dims;
  for (int d = 0; d < 4; ++d) dims.push_back(features("control_demo_3_dim" + std::to_string(d) + "_only.wav"));
  for (int i = 0; i < 4; ++i)
    for (int k = i + 1; k < 4; ++k) {
      INFO("spectral distance dim" << i << " vs dim" << k << ": " << spectralDistance(dims[i], dims[k]) << " dB");
      CHECK(spectralDistance(dims[i], dims[k]) > 1.0);
    }

  const auto evo = features("control_demo_5_smooth_evolution.wav");
  double strength = 0;
  const double period = envelopePeriod(evo, 0.5, 1.6, &strength);
  INFO("evolution loudness period " << period << " s (LFO at 1 Hz), strength " << strength);
  CHECK(period == Approx(1.0).margin(0.1));
  CHECK(strength > 0.2);
}
