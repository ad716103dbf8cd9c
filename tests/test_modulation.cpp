// Voice analysis and the modulation matrix: onsets where the voice hits, routes that move
// their target by the configured amount with the configured decay, live and offline.
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <thread>

#include "AudioFile.h"
#include "FrameProcessor.h"
#include "LfoBank.h"
#include "LiveEngine.h"
#include "ModelRuntime.h"
#include "ModulationMatrix.h"
#include "OfflineRenderer.h"
#include "PerformanceModulation.h"
#include "TestSupport.h"
#include "VoiceAnalyzer.h"

using namespace mm;
using namespace mmtest;

TEST_CASE("voice onsets are found within 20 ms of the known hit times", "[voice]") {
  const std::vector<double> hits = {0.25, 0.61, 0.9, 1.32, 1.55, 2.01, 2.4, 2.77};
  const auto x = clicks(hits, 44100, 3.0, 0.5f);
  ModulationSources sources;
  VoiceAnalyzer voice(sources);
  voice.prepare(44100, 128);
  for (size_t pos = 0; pos < x.size(); pos += 128)
    voice.analyze(x.data() + pos, static_cast<int>(std::min<size_t>(128, x.size() - pos)), pos);
  double found[64];
  const int n = voice.onsetLog(found, 64);
  const OnsetMatch m = matchOnsets(hits, std::vector<double>(found, found + n), 0.02);
  INFO("found " << n << " onsets, F " << m.fMeasure << ", median offset " << m.medianOffsetMs << " ms");
  CHECK(m.fMeasure >= 0.95);
  CHECK(std::fabs(m.medianOffsetMs) < 12.0);
  CHECK(sources.onsetCount.load() == static_cast<uint64_t>(n));
  CHECK(sources.envelope.load() < 0.05f);  // released (120 ms) since the last hit 230 ms ago
}

TEST_CASE("route text parses, round-trips and rejects nonsense clearly", "[modulation]") {
  auto reg = makeStandardRegistry(4);
  std::string err;
  auto r = parseRoute("onset>energy:0.3:decay=150ms", *reg, &err);
  REQUIRE(r);
  CHECK(r->source == ModSource::Onset);
  CHECK(r->depth == Approx(0.3f));
  CHECK(r->decayMs == Approx(150.f));
  CHECK(parseRoute(routeToString(*r), *reg, &err));
  CHECK_FALSE(parseRoute("onset>energi:0.3", *reg, &err));
  CHECK(err.find("energi") != std::string::npos);
  CHECK_FALSE(parseRoute("bogus>energy:0.3", *reg, &err));
  CHECK(err.find("bogus") != std::string::npos);
  CHECK_FALSE(parseRoute("onset>energy:abc", *reg, &err));
  CHECK_FALSE(parseRoute("cc200>energy:1", *reg, &err));
  CHECK_FALSE(parseRoute("onset>energy:0.3:decay=-5ms", *reg, &err));
}

TEST_CASE("every voice hit bumps energy by 0.3, decaying over 150 ms", "[modulation]") {
  auto reg = makeStandardRegistry(4);
  const int energy = reg->indexOf("energy");
  reg->set(energy, 0.2f);
  ModulationSources sources;
  ModulationMatrix matrix(*reg, sources);
  std::string err;
  matrix.setRoutes({*parseRoute("onset>energy:0.3:decay=150ms", *reg, &err)});
  std::vector<float> p(reg->size());
  const double frameRate = 1000.0;  // 1 ms per audio block and per latent frame keeps the arithmetic plain
  matrix.prepare(frameRate, 1);
  auto step = [&](int ms) {
    float v = 0;
    for (int i = 0; i < ms; ++i) {
      matrix.analyze(nullptr, 1, 0);  // the audio block: the route's clock
      reg->snapshot(p.data());
      matrix.modulate(p.data(), reg->size(), 1, frameRate);
      v = p[energy];
    }
    return v;
  };
  CHECK(step(10) == Approx(0.2f));           // no hit yet: untouched
  sources.onsetCount.fetch_add(1);
  CHECK(step(1) == Approx(0.5f).margin(0.003));   // the hit: +0.3
  CHECK(step(150) == Approx(0.2f + 0.3f * std::exp(-1.f)).margin(0.005));  // one time constant
  CHECK(step(600) == Approx(0.2f).margin(0.01));
}

TEST_CASE("voice loudness drives dim.1 in proportion to its level in dB", "[modulation]") {
  auto reg = makeStandardRegistry(4);
  const int dim1 = reg->indexOf("dim.1");
  ModulationSources sources;
  ModulationMatrix matrix(*reg, sources);
  std::string err;
  matrix.setRoutes({*parseRoute("envelope>dim.1:2.0", *reg, &err)});
  matrix.prepare(100.0, 1);
  std::vector<float> p(reg->size());
  auto valueAt = [&](float envelope) {
    sources.envelope.store(envelope);
    matrix.analyze(nullptr, 1, 0);
    reg->snapshot(p.data());
    matrix.modulate(p.data(), reg->size(), 1, 100.0);
    return p[dim1];
  };
  CHECK(valueAt(1.0f) == Approx(2.0f).margin(1e-4));          // 0 dBFS: full depth
  CHECK(valueAt(0.0316228f) == Approx(1.0f).margin(1e-3));    // -30 dBFS: half
  CHECK(valueAt(0.0f) == Approx(0.0f).margin(1e-4));          // silence: nothing
}

TEST_CASE("offline render: voice hits modulate the model exactly as configured", "[modulation][render]") {
  // Identity model: output = input x energy scale, so the route's effect is measurable.
  auto model = ModelRuntime::load(fixture("identity_44k.ts"));
  auto reg = makeStandardRegistry(8);
  reg->setById("energy", 0.f);  // 0.3x at rest
  reg->setById("gate.threshold", -90.f);
  FrameProcessor proc(*model, *reg, 32);
  LfoBank lfos(*reg);
  ModulationSources sources;
  VoiceAnalyzer voice(sources);
  ModulationMatrix matrix(*reg, sources, &lfos);
  std::string err;
  matrix.setRoutes({*parseRoute("onset>energy:1.0:decay=150ms", *reg, &err)});
  proc.setModulator(&lfos);
  proc.addModulator(&matrix);
  // A steady tone (so the level is easy to read) with clicks on top at known times.
  AudioBuffer in;
  in.sampleRate = 44100;
  in.samples = sine(300.0, 44100, 3.0, 0.1f);
  const auto c = clicks({1.0, 2.0}, 44100, 3.0, 0.6f);
  for (size_t i = 0; i < in.samples.size(); ++i) in.samples[i] += c[i];
  RenderOptions ro;
  ro.applyOutputStage = false;
  ro.analyzers.push_back(&voice);
  ro.analyzers.push_back(&matrix);  // after the voice analysis, as live
  AudioBuffer out = renderBuffer(proc, *reg, in, ro);
  // Gain = out/in over 20 ms windows: 0.3 at rest; right after a hit up to 2.0 (energy 1),
  // 120 ms later 0.3 + 1.7 * e^(-120/150) = 1.06; back to rest well before the next hit.
  auto gain = [&](double t) {
    const size_t a = static_cast<size_t>(t * 44100), b = a + 882;
    return rms(out.samples, a, b) / rms(in.samples, a, b);
  };
  INFO("gain at rest " << gain(0.8) << ", 120 ms after hit " << gain(1.12) << ", 900 ms after " << gain(1.9));
  CHECK(gain(0.8) == Approx(0.3).margin(0.02));
  CHECK(gain(1.12) == Approx(1.06).margin(0.2));
  CHECK(gain(1.9) == Approx(0.3).margin(0.02));
}

TEST_CASE("each curve shapes a MIDI control source as it says: linear, exp, log, s-curve", "[modulation]") {
  auto reg = makeStandardRegistry(4);
  const int chaos = reg->indexOf("chaos");
  ModulationSources sources;
  struct Shape {
    const char* option;
    float at25, at50, at75;  // the route's amount at CC 25 %, 50 %, 75 % (depth 1)
  };
  const Shape s = GENERATE(Shape{"linear", 0.25f, 0.5f, 0.75f}, Shape{"exp", 0.0625f, 0.25f, 0.5625f},
                           Shape{"log", 0.5f, 0.70710678f, 0.8660254f},
                           // smoothstep 3x^2 - 2x^3: slow at both ends, steep in the middle
                           Shape{"s", 0.15625f, 0.5f, 0.84375f});
  INFO(s.option);
  std::string err;
  auto r = parseRoute(std::string("cc21>chaos:1:curve=") + s.option, *reg, &err);
  REQUIRE(r);
  CHECK(parseRoute(routeToString(*r), *reg, &err)->curve == r->curve);  // the text keeps it
  ModulationMatrix matrix(*reg, sources);
  matrix.setRoutes({*r});
  matrix.prepare(100.0, 1);
  std::vector<float> params(static_cast<size_t>(reg->size()));
  const float want[3] = {s.at25, s.at50, s.at75};
  for (int k = 0; k < 3; ++k) {
    sources.midiControl[21].store(0.25f * (k + 1));
    matrix.analyze(nullptr, 1, 0);
    reg->snapshot(params.data());
    params[static_cast<size_t>(chaos)] = 0.f;
    matrix.modulate(params.data(), static_cast<int>(params.size()), 1, 100.0);
    CHECK(params[static_cast<size_t>(chaos)] == Approx(want[k]).margin(1e-5));
  }
}

TEST_CASE("an LFO keeps its phase through a model switch: the level it draws is continuous", "[modulation][switch]") {
  // Two preloaded models that sound the same (two loads of the identity fixture); LFO 1
  // swings output.gain by +-18 dB at 1 Hz. The switch comes at 2.25 s, at the top of the
  // LFO's swing: a model slot with LFOs of its own would start its swing from phase 0 there
  // (an 18 dB jump within the 30 ms crossfade).
  auto reg = makeStandardRegistry(8);
  reg->setById("mix.dry_wet", 1.f);
  reg->setById("gate.threshold", -90.f);
  reg->setById("lfo.1.rate", 1.f);
  reg->setById("lfo.1.shape", 0.f);  // sine
  reg->setById("lfo.1.depth", 0.5f);  // 0.5 * half the 72 dB range = 18 dB
  reg->setById("lfo.1.target", static_cast<float>(reg->indexOf("output.gain")));
  LiveEngine engine(*reg);
  engine.openWithoutDevice(ModelRuntime::load(fixture("identity_44k.ts")), 44100, 128, 1, 1);
  ModulationSources sources;
  PerformanceModulation modulation(*reg, sources);
  modulation.attachTo(engine);
  REQUIRE(engine.addModel(ModelRuntime::load(fixture("identity_44k.ts"))) == 1);
  engine.start();
  const int blocks = static_cast<int>(4.0 * 44100 / 128), switchAt = static_cast<int>(2.25 * 44100 / 128);
  std::vector<float> in(128), out(128), all;
  all.reserve(static_cast<size_t>(blocks) * 128);
  for (int k = 0; k < blocks; ++k) {
    for (int i = 0; i < 128; ++i) in[i] = 0.1f * std::sin(2 * M_PI * 300.0 * (k * 128 + i) / 44100.0);
    if (k == switchAt) engine.selectModel(1, 30.0);
    engine.processBlock(in.data(), out.data(), 128, false);
    all.insert(all.end(), out.begin(), out.end());
    std::this_thread::sleep_for(std::chrono::microseconds(2800));
  }
  const uint64_t late = engine.status().lateCallbacks;
  engine.stop();
  CHECK(engine.currentModel() == 1);
  // The level in 10 ms windows (dB against the steady input, 0.1 / sqrt 2): it follows the
  // LFO, whose steepest slope is 18 dB * 2 pi per second, 1.1 dB per window.
  const double inRms = 0.1 / std::sqrt(2.0);
  double worst = 0, worstAt = 0, swing = 0;
  double prev = std::nan("");
  for (size_t w = 44100 / 2; w + 441 <= all.size(); w += 441) {
    const double db = 20 * std::log10(std::max(1e-9, rms(all, w, w + 441)) / inRms);
    swing = std::max(swing, std::fabs(db));
    if (!std::isnan(prev) && std::fabs(db - prev) > worst) {
      worst = std::fabs(db - prev);
      worstAt = static_cast<double>(w) / 44100;
    }
    prev = db;
  }
  INFO("largest step between 10 ms windows " << worst << " dB at " << worstAt << " s; swing +-" << swing
                                             << " dB; late frames " << late);
  CHECK(swing == Approx(18.0).margin(2.0));
  if (late == 0) CHECK(worst < 2.5);  // a late frame crossfades to dry by design: not judged
}
