// The example set list sets/examples/voice_gig.toml on the two bundled models, through the
// real engine (the callback body driven at the live pace, as in test_sets_switch.cpp): it
// loads with no problem, its registry has the synth's 16 dims and model B's controls,
// every model (and the synth + drums blend) is preloaded, the switches between the drum
// and the synth model do not click, and in the blended part both models sound (each
// one's level measured on its own).
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <thread>

#include "AudioFile.h"
#include "Cli.h"
#include "EngineModelSwitcher.h"
#include "LiveEngine.h"
#include "ModelLibrary.h"
#include "ModelRuntime.h"
#include "Resampler.h"
#include "SetListPlayer.h"
#include "SetListSetup.h"
#include "TestSupport.h"
#include "TimingCheck.h"

using namespace mm;
using namespace mmtest;

namespace {

// The largest sample-to-sample step in [from, to).
double maxStep(const std::vector<float>& x, long from, long to) {
  double m = 0;
  from = std::max(1L, from);
  to = std::min<long>(to, static_cast<long>(x.size()));
  for (long i = from; i < to; ++i) m = std::max(m, double(std::fabs(x[i] - x[i - 1])));
  return m;
}

struct PartPlayed {
  std::string name;
  long at = 0;  // output sample where the part was asked for
  double levelA = -120, levelB = -120;  // the blend's two models, at the part's end
  std::string model, partner;
};

}  // namespace

TEST_CASE("the voice gig set list: drums, synth and their blend, preloaded, switched without clicks, both heard",
          "[sets][switch][synth]") {
  const std::string setPath = sourcePath("sets/examples/voice_gig.toml");
  const std::string drums = sourcePath("models/musicmill_drums.ts"), synth = sourcePath("models/musicmill_synth.ts");
  REQUIRE(std::filesystem::exists(synth));
  // The registry a show with this set list gets: the synth's 16 dims (the show starts on
  // the 8-dim drum model) and model B's controls for the blended part.
  const ModelLibrary library({}, sourcePath("models"));
  const ShowSizes sizes = showSizes({setPath}, {}, library, ModelRuntime::Options{});
  CHECK(sizes.latent == 16);
  CHECK(sizes.partnerLatent == 8);
  auto reg = makeStandardRegistry(std::max(8, sizes.latent), 2, sizes.partnerLatent);
  REQUIRE(reg->indexOf("dim.15") >= 0);
  REQUIRE(reg->indexOf("blend.output") >= 0);

  LiveEngine engine(*reg);
  engine.openWithoutDevice(ModelRuntime::load(drums), 44100, 128, 1, 1);
  EngineModelSwitcher models(engine, ModelRuntime::Options{});
  PresetHooks hooks;
  SetListPlayer player(*reg, models, hooks);
  std::vector<std::string> problems;
  player.onMessage = [&](const std::string& m) {
    if (m.rfind("now: ", 0) != 0) problems.push_back(m);
  };
  player.registerPlayingModel(drums, "drums");
  player.setModelLibrary(&library);
  LoadReport report;
  REQUIRE(player.load(setPath, report));
  std::vector<std::string> loading;
  player.prepareModels([&](int, int, const std::string& what) { loading.push_back(what); }, report);
  INFO(report.text());
  CHECK(report.empty());
  // Preloaded before the show: the synth, and the synth with the drums as its model B.
  CHECK(loading.size() == 2);
  CHECK(engine.modelCount() == 3);

  // The voice: the beatbox demo with a hummed line over it (a harmonic tone at 110 .. 220 Hz
  // with vibrato), so each model hears what it answers to.
  AudioBuffer bb = readAudioFile(sourcePath("models/demo/beatbox_demo.wav"));
  const std::vector<float> beat = Resampler::convert(downmix(bb), 1, bb.sampleRate, 44100);
  REQUIRE(!beat.empty());
  const int partBlocks = 3 * 44100 / 128;  // 3 s a part
  const int parts = 5;                     // Groove, Lead, Pad, Together, Fade
  std::vector<float> out;
  out.reserve(static_cast<size_t>(parts * partBlocks) * 128);
  std::vector<PartPlayed> played;
  REQUIRE(player.start());
  player.tick(SetListPlayer::Clock::now() + std::chrono::seconds(1));
  engine.start();
  std::vector<float> in(128), o(128);
  double phase = 0;
  uint64_t lateBefore = engine.status().lateCallbacks;
  for (int k = 0; k < parts * partBlocks; ++k) {
    if (k % partBlocks == 0) {
      if (k > 0) {
        const EngineStatus st = engine.status();
        played.back().levelA = st.blendLevelDbA;
        played.back().levelB = st.blendLevelDbB;
        REQUIRE(player.nextPart());
      }
      PartPlayed p;
      p.name = player.currentPart()->name;
      p.at = static_cast<long>(out.size());
      p.model = player.modelPlaying();
      p.partner = player.partnerPlaying();
      played.push_back(p);
    }
    for (int i = 0; i < 128; ++i) {
      const long t = static_cast<long>(k) * 128 + i;
      const double s = t / 44100.0;
      const double f0 = 110.0 * std::pow(2.0, std::floor(std::fmod(s, 4.0)) / 4.0) *
                        std::pow(2.0, 0.02 * std::sin(2 * M_PI * 5.0 * s));
      phase += f0 / 44100.0;
      phase -= std::floor(phase);
      double hum = 0;
      for (int h = 1; h <= 8; ++h) hum += std::sin(2 * M_PI * h * phase) / (h * h);
      in[i] = static_cast<float>(0.25 * hum) + 0.7f * beat[static_cast<size_t>(t) % beat.size()];
    }
    player.tick();
    engine.processBlock(in.data(), o.data(), 128, false);
    out.insert(out.end(), o.begin(), o.end());
    std::this_thread::sleep_for(std::chrono::microseconds(2800));
  }
  const uint64_t late = engine.status().lateCallbacks - lateBefore;
  engine.stop();
  REQUIRE(played.size() == static_cast<size_t>(parts));
  INFO("problems said: " << (problems.empty() ? "none" : problems.back()) << "; late callbacks " << late);
  CHECK(problems.empty());
  CHECK(played[0].name == "Groove");
  CHECK(played[1].model == synth);
  CHECK(played[3].name == "Together");
  CHECK(played[3].model == synth);
  CHECK(played[3].partner == drums);
  CHECK(played[4].partner.empty());

  // The blended part: both models sound, each measured on its own (after Model A/B's
  // equal-power gains at 0.45); a part without a partner reports none.
  INFO("blend levels in 'Together': synth " << played[3].levelA << " dB, drums " << played[3].levelB << " dB");
  CHECK(played[3].levelA > -45.0);
  CHECK(played[3].levelB > -45.0);
  CHECK(played[1].levelB == -120.0);

  // No click at a model switch: around each one (from just before it to past the 200 ms
  // crossfade and the new model's pre-roll), no step between samples beyond what the
  // music itself has in the second before and the second after. A click (a jump to or
  // from silence, or between the two outputs) steps 0.1 .. 1. A late frame falls back to
  // the dry voice by its own crossfade (counted: late).
  for (int p : {1, 3, 4}) {
    const long at = played[static_cast<size_t>(p)].at;
    const double around = maxStep(out, at - 441, at + 44100 * 4 / 10);
    const double music = std::max(maxStep(out, at - 44100, at - 441), maxStep(out, at + 44100 * 4 / 10, at + 44100 * 14 / 10));
    INFO("switch into '" << played[static_cast<size_t>(p)].name << "': largest step " << around
                         << " around it, " << music << " in the music beside it");
    CHECK_TIMING(around <= 1.25 * music + 0.02);
  }
}
