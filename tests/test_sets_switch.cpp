// Part and model switches from the set-list player through the real engine (the callback
// body driven directly, as in test_model_switch.cpp): the part's values arrive, the model
// changes, and the output has no click and no gap across either switch.
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

using namespace mm;
using namespace mmtest;

namespace {


double maxStep(const std::vector<float>& x, long from, long to, long* where = nullptr) {
  double m = 0;
  for (long i = from + 1; i < to; ++i)
    if (std::fabs(x[i] - x[i - 1]) > m) {
      m = std::fabs(x[i] - x[i - 1]);
      if (where) *where = i - from;
    }
  return m;
}

double minWindowRms(const std::vector<float>& x, long from, long to) {
  double m = 1e9;
  for (long w = from; w + 441 <= to; w += 441) m = std::min(m, rms(x, w, w + 441));
  return m;
}

struct SwitchRun {
  std::vector<float> out;
  long partSwitch = -1, modelSwitch = -1;
  uint64_t lateInPart = 0, lateInModel = 0;  // late frames within 1 s after each switch
  int currentModel = -1;
  std::vector<std::string> messages;
};

// Plays ~6 s of a 220 Hz sine through the engine; the set-list player goes to the next
// part (same model, louder) at block 500 and to the next (another model) at block 1300.
SwitchRun playThroughSwitches() {
  SwitchRun run;
  auto reg = makeStandardRegistry(8);
  LiveEngine engine(*reg);
  engine.openWithoutDevice(ModelRuntime::load(fixture("identity_44k.ts")), 44100, 128, 1, 1);
  EngineModelSwitcher models(engine, ModelRuntime::Options{});
  PresetHooks hooks;
  SetListPlayer player(*reg, models, hooks);
  // Every problem the switches report (a move's own "now: ..." confirmation is not one).
  player.onMessage = [&](const std::string& m) {
    if (m.rfind("now: ", 0) != 0) run.messages.push_back(m);
  };
  player.registerPlayingModel(fixture("identity_44k.ts"));

  SetList set;
  set.rampMs = 50;
  set.crossfadeMs = 30;
  Song s;
  s.number = 1;
  s.name = "S";
  s.parts = {setstest::partOnModel("Quiet", fixture("identity_44k.ts"), kNeutralEnergy),  // latent scale 1.0
             setstest::partOnModel("Loud", fixture("identity_44k.ts"), 0.8f),             // scale 1.66
             setstest::partOnModel("Other model", fixture("delay_44k.ts"), 0.8f)};
  set.songs = {s};
  REQUIRE(player.adopt(set));
  LoadReport report;
  player.prepareModels(nullptr, report);
  INFO(report.text());
  REQUIRE(report.empty());
  REQUIRE(engine.modelCount() == 2);  // the delay model preloaded before the show
  REQUIRE(player.start());
  player.tick(SetListPlayer::Clock::now() + std::chrono::seconds(1));

  engine.start();
  const int blocks = 2100;  // ~6 s at real-time pace
  const int window = 44100 / 128;
  std::vector<float> in(128), out(128);
  run.out.reserve(static_cast<size_t>(blocks) * 128);
  uint64_t late0 = 0;
  for (int k = 0; k < blocks; ++k) {
    for (int i = 0; i < 128; ++i) in[i] = 0.3f * std::sin(2 * M_PI * 220.0 * (k * 128 + i) / 44100.0);
    // The main thread's work: navigation and the ramp tick (the UI loop does this).
    if (k == 500 || k == 1300) {
      late0 = engine.status().lateCallbacks;
      REQUIRE(player.nextPart());
      (k == 500 ? run.partSwitch : run.modelSwitch) = static_cast<long>(run.out.size());
    }
    if (k == 500 + window) run.lateInPart = engine.status().lateCallbacks - late0;
    if (k == 1300 + window) run.lateInModel = engine.status().lateCallbacks - late0;
    player.tick();
    engine.processBlock(in.data(), out.data(), 128, false);
    run.out.insert(run.out.end(), out.begin(), out.end());
    std::this_thread::sleep_for(std::chrono::microseconds(2800));
  }
  engine.stop();
  run.currentModel = engine.currentModel();
  return run;
}

}  // namespace

TEST_CASE("part and model switches from the set list: values arrive, no click, no gap", "[sets][switch]") {
  // A late model frame (a starved CPU) makes the engine fall back to the dry signal, which
  // is its own, counted event and not what this test measures; a run with late frames
  // inside a measured second is repeated (up to three runs).
  SwitchRun r;
  for (int attempt = 0; attempt < 3; ++attempt) {
    r = playThroughSwitches();
    if (r.lateInPart == 0 && r.lateInModel == 0) break;
    WARN("late frames right after a switch (" << r.lateInPart << ", " << r.lateInModel << "): running again");
  }
  REQUIRE(r.lateInPart == 0);
  REQUIRE(r.lateInModel == 0);
  const std::vector<float>& all = r.out;
  INFO("messages: " << (r.messages.empty() ? "" : r.messages.back()));
  CHECK(r.currentModel == 1);
  CHECK(r.messages.empty());

  // The part switch really changed the sound: 0.3 -> 0.3 * 1.66 = 0.5 peak.
  const double before = rms(all, r.partSwitch - 22050, r.partSwitch);
  const double after = rms(all, r.partSwitch + 22050, r.partSwitch + 44100);
  INFO("rms before " << before << ", after " << after);
  CHECK(before == Approx(0.3 / std::sqrt(2.0)).epsilon(0.1));
  CHECK(after == Approx(0.498 / std::sqrt(2.0)).epsilon(0.1));

  // Bound: a 220 Hz sine of peak 0.5 steps at most 2*pi*220/44100*0.5 = 0.0157 per sample;
  // the ramp adds almost nothing to that, and the model crossfade mixes two phase-shifted
  // copies. A click (a jump in level, or to or from silence) would step 0.1 .. 0.5.
  long partAt = 0, modelAt = 0;
  const double partStep = maxStep(all, r.partSwitch - 128, r.partSwitch + 44100, &partAt);
  const double modelStep = maxStep(all, r.modelSwitch - 128, r.modelSwitch + 44100, &modelAt);
  INFO("max step: part switch " << partStep << " at +" << partAt << ", model switch " << modelStep << " at +"
                                << modelAt << " samples");
  CHECK(partStep < 0.04);
  CHECK(modelStep < 0.04);
  // No gap: no 10 ms window falls silent. The part switch only raises the level (a 0.3-peak
  // sine has RMS 0.21); the model crossfade of two copies 64 samples apart (2 rad at
  // 220 Hz) dips to cos(1) = 0.54 of 0.35 RMS at its middle, about 0.19.
  CHECK(minWindowRms(all, r.partSwitch, r.partSwitch + 44100) > 0.19);
  CHECK(minWindowRms(all, r.modelSwitch, r.modelSwitch + 44100) > 0.12);
}
