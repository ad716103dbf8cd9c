// Switching between models on the live engine: the old model's tail crossfades into the
// new one with no click and no gap (driven through the real callback body); what belongs
// to the performance (a captured pattern) follows; a model that was not preloaded loads
// on a loader thread.
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <thread>

#include "EngineModelSwitcher.h"
#include "LiveEngine.h"
#include "ModelRuntime.h"
#include "SetListPlayer.h"
#include "SetsTestSupport.h"
#include "TestSupport.h"
#include "TimingCheck.h"

using namespace mm;
using namespace mmtest;

TEST_CASE("model switch crossfades without a click or a gap", "[live][switch]") {
  auto reg = makeStandardRegistry(8);
  reg->setById("gate.threshold", -90.f);
  LiveEngine engine(*reg);
  engine.openWithoutDevice(ModelRuntime::load(fixture("identity_44k.ts")), 44100, 128, 1, 1);
  const int second = engine.addModel(ModelRuntime::load(fixture("delay_44k.ts")));
  REQUIRE(second == 1);
  engine.start();
  const int blocks = 1400;  // ~4 s at real-time pace
  std::vector<float> in(128), out(128), all;
  all.reserve(static_cast<size_t>(blocks) * 128);
  long switchAt = -1;
  for (int k = 0; k < blocks; ++k) {
    for (int i = 0; i < 128; ++i) in[i] = 0.5f * std::sin(2 * M_PI * 220.0 * (k * 128 + i) / 44100.0);
    if (k == 500) {
      engine.selectModel(1, 30.0);
      switchAt = static_cast<long>(all.size());
    }
    engine.processBlock(in.data(), out.data(), 128, false);
    all.insert(all.end(), out.begin(), out.end());
    std::this_thread::sleep_for(std::chrono::microseconds(2800));
  }
  engine.stop();
  REQUIRE(engine.currentModel() == 1);
  // Largest sample-to-sample step around the switch, against a 220 Hz sine's own largest
  // step (2*pi*220/44100*0.5 = 0.0157): the crossfade of two phase-shifted copies stays
  // well under 0.05; a click (a jump to or from silence) would be near 0.5.
  double maxStep = 0, minRms = 1;
  for (long i = switchAt; i < switchAt + 44100; ++i) maxStep = std::max(maxStep, double(std::fabs(all[i] - all[i - 1])));
  for (long w = switchAt; w + 441 < switchAt + 44100; w += 441) minRms = std::min(minRms, rms(all, w, w + 441));
  INFO("max step " << maxStep << ", min 10 ms RMS " << minRms << ", late " << engine.status().lateCallbacks);
  // A late callback crossfades to dry, which is a step of its own: that is timing, judged
  // only by the normal build when it happens (tests/TimingCheck.h).
  if (engine.status().lateCallbacks > 0) {
    CHECK_TIMING(maxStep < 0.05);
  } else {
    CHECK(maxStep < 0.05);
  }
  CHECK(minRms > 0.2);  // no gap: a 0.5 sine has RMS 0.354
}

TEST_CASE("a pattern captured on one model plays after a switch to another of the same latent size",
          "[live][switch]") {
  // Two models with 8 latent dimensions (identity and its half-level twin). The voice (a
  // sine) plays for 1.5 s on model A, the performer captures 2 beats into slot 0, the voice
  // stops, and the set switches to model B with the pattern source on: B plays the pattern.
  auto reg = makeStandardRegistry(8);
  reg->setById("gate.threshold", -90.f);
  reg->setById("mix.dry_wet", 1.f);
  reg->setById("bpm", 120.f);
  LiveEngine engine(*reg);
  engine.openWithoutDevice(ModelRuntime::load(fixture("identity_44k.ts")), 44100, 128, 1, 1);
  REQUIRE(engine.addModel(ModelRuntime::load(fixture("half_44k.ts"))) == 1);
  engine.start();
  const int blocks = static_cast<int>(3.5 * 44100 / 128);
  const int captureAt = static_cast<int>(1.5 * 44100 / 128), switchAt = captureAt + 40;
  std::vector<float> in(128), out(128), all;
  for (int k = 0; k < blocks; ++k) {
    for (int i = 0; i < 128; ++i)
      in[i] = k < captureAt ? 0.3f * static_cast<float>(std::sin(2 * M_PI * 220.0 * (k * 128 + i) / 44100.0)) : 0.f;
    if (k == captureAt) engine.worker()->processor().pattern().requestCapture(0, 2.0);
    if (k == switchAt) {
      reg->setById("source.voice", 0.f);
      reg->setById("source.pattern", 1.f);
      reg->setById("pattern.slot", 0.f);
      engine.selectModel(1, 30.0);
    }
    engine.sharePatternCaptures();  // the control thread's tick
    engine.processBlock(in.data(), out.data(), 128, false);
    all.insert(all.end(), out.begin(), out.end());
    std::this_thread::sleep_for(std::chrono::microseconds(2800));
  }
  engine.stop();
  CHECK(engine.currentModel() == 1);
  // The last second: no voice at all, model B playing the captured loop (at half level).
  const double level = rms(all, all.size() - 44100, all.size());
  INFO("model B's level from the pattern " << level << " (the voice captured: " << 0.3 / std::sqrt(2.0) << ")");
  CHECK(level > 0.03);
}

TEST_CASE("a model that was not preloaded loads on a loader thread while the engine and the controls run on",
          "[sets][switch]") {
  auto reg = makeStandardRegistry(8);
  reg->setById("gate.threshold", -90.f);
  LiveEngine engine(*reg);
  engine.openWithoutDevice(ModelRuntime::load(fixture("identity_44k.ts")), 44100, 128, 1, 1);
  EngineModelSwitcher models(engine, ModelRuntime::Options{});
  PresetHooks hooks;
  SetListPlayer player(*reg, models, hooks);
  std::vector<std::string> messages;
  player.onMessage = [&](const std::string& m) { messages.push_back(m); };
  player.registerPlayingModel(fixture("identity_44k.ts"));
  SetList set;
  set.rampMs = 0;
  set.crossfadeMs = 30;
  Song s;
  s.number = 1;
  s.name = "S";
  s.parts = {setstest::partOnModel("Here", fixture("identity_44k.ts"), 0.5f),
             setstest::partOnModel("Elsewhere", fixture("delay_44k.ts"), 0.7f)};
  set.songs = {s};
  REQUIRE(player.adopt(set));
  REQUIRE(player.start());  // no prepareModels: the second model is not preloaded
  engine.start();
  std::vector<float> in(128, 0.f), out(128);
  REQUIRE(player.nextPart());
  // The call came back before the model was there: the old one plays, the part's values apply.
  CHECK(engine.currentModel() == 0);
  CHECK(reg->getById("energy") == Approx(0.7f));
  REQUIRE_FALSE(messages.empty());
  CHECK(messages.back().find("it was not preloaded") != std::string::npos);
  int blocks = 0;
  for (; blocks < 4000 && engine.currentModel() != 1; ++blocks) {  // the control thread ticks as the audio runs
    player.tick();
    engine.processBlock(in.data(), out.data(), 128, false);
    std::this_thread::sleep_for(std::chrono::microseconds(2800));
  }
  engine.stop();
  INFO("switched after " << blocks << " audio blocks; " << (messages.empty() ? "" : messages.back()));
  CHECK(engine.currentModel() == 1);
  CHECK(engine.modelCount() == 2);
  CHECK(messages.back().find("loaded; switching to it") != std::string::npos);
}
