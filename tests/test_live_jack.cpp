// The live engine through a real JACK server (dummy backend): latency, continuity, rate
// conversion, late frames and the limiter, as a performer would notice them.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include "AudioFile.h"
#include "JackHarness.h"
#include "LiveEngine.h"
#include "MidiTestSupport.h"
#include "SignalStages.h"
#include "ModelRuntime.h"
#include "OnsetDetector.h"
#include "TestSupport.h"
#include "TimingCheck.h"

using namespace mm;
using namespace mmtest;

namespace {

std::string bundledModel() { return sourcePath("models/musicmill_drums.ts"); }

struct LiveRun {
  std::vector<float> out;
  std::string report, log;
  int status = -1;
  uint64_t testerXruns = 0;  // xruns the test's own client saw (the graph's, any client's)
};

// Starts musicmill perform against the current server, plays `signal` into it and
// records its first output.
LiveRun playThrough(const std::string& extraArgs, const std::vector<float>& signal, double maxSeconds) {
  LiveRun run;
  const std::string report = tempDir() + "/report.json";
  MusicmillProcess mm("perform --headless --audio-api jack --no-connect --report " + report + " " + extraArgs);
  if (!mm.waitForPorts(60)) {
    run.log = mm.output();
    return run;
  }
  JackTestClient client("tester", 1, 1, maxSeconds);
  REQUIRE(client.ok());
  REQUIRE(client.connectOut(0, "musicmill:inport 0"));
  REQUIRE(client.connectIn("musicmill:outport 0", 0));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  client.play(0, signal);
  client.waitFinished(maxSeconds + 30);
  run.out = client.recorded(0);
  run.testerXruns = client.xruns();
  run.status = mm.stop();
  run.report = readFile(report);
  run.log = mm.output();
  return run;
}

std::vector<float> loadMono(const std::string& path, int rate) {
  AudioBuffer b = readAudioFile(path);
  REQUIRE(b.sampleRate == rate);
  return downmix(b);
}

double peak(const std::vector<float>& x) {
  double p = 0;
  for (float v : x) p = std::max(p, double(std::fabs(v)));
  return p;
}

// The engine on the known-delay model (gate open, not connected to the system ports), with
// a test client playing a 220 Hz sine into it and recording its output.
struct DelayRig {
  std::unique_ptr<ParameterRegistry> reg = makeStandardRegistry(64);
  std::unique_ptr<LiveEngine> engine;
  std::unique_ptr<JackTestClient> client;

  DelayRig(double seconds, float energy, bool adaptiveLatency = true, double shrinkAfterSeconds = 30.0) {
    reg->setById("energy", energy);
    reg->setById("gate.threshold", -90.f);
    engine = std::make_unique<LiveEngine>(*reg);
    AudioConfig cfg;
    cfg.api = "jack";
    cfg.autoConnect = false;
    cfg.adaptiveLatency = adaptiveLatency;
    cfg.shrinkAfterSeconds = shrinkAfterSeconds;
    cfg.shrinkStepSeconds = 0.5;
    engine->open(ModelRuntime::load(fixture("delay_44k.ts")), cfg);
    engine->start();
    client = std::make_unique<JackTestClient>("tester", 1, 1, seconds);
    REQUIRE(client->connectOut(0, "musicmill:inport 0"));
    REQUIRE(client->connectIn("musicmill:outport 0", 0));
    client->play(0, sine(220.0, 44100, seconds, 0.5f));
  }
  // Windows are measured in JACK cycles (sample time), not wall time: a dummy server on a
  // busy machine may run slower than real time.
  void waitCycles(uint64_t cycles) const {
    const uint64_t until = client->cycles() + cycles;
    while (client->cycles() < until) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
};

}  // namespace

TEST_CASE("measured latency equals the reported latency (known-delay model)", "[live][jack]") {
  JackServer server(44100, 128);
  REQUIRE(server.ok());
  // A single click: the delay model outputs it exactly 64 samples late; the engine adds its
  // pre-roll; the JACK graph adds one period on the way in and one on the way out, exactly
  // as a sound card's capture and playback buffers do. So the measured delay must be the
  // engine's reported mic-to-speaker latency plus the model's own 64 samples.
  std::vector<float> x(44100 * 2, 0.f);
  x[44100] = 0.9f;
  LiveRun r = playThrough("--model " + fixture("delay_44k.ts") + " --set gate.threshold=-90", x, 2.0);
  INFO(r.log);
  REQUIRE(r.status == 0);
  const auto at = std::max_element(r.out.begin(), r.out.end()) - r.out.begin();
  const double measured = static_cast<double>(at - 44100);
  const double preroll = jsonNumber(r.report, "preroll_samples");
  const double reported = jsonNumber(r.report, "latency_samples");
  INFO("measured " << measured << " samples, pre-roll " << preroll << ", reported " << reported);
  CHECK(r.out[at] > 0.5f);
  // After a late frame the engine settles at a higher latency (by whole buffers) and
  // reports it; the click must arrive exactly when the report says.
  const double growth = jsonNumber(r.report, "latency_samples") - (preroll + 2 * 128);
  CHECK(std::fmod(growth, 128.0) == 0.0);
  if (jsonNumber(r.report, "xruns") > 0 || r.testerXruns > 0) {
    // An xrun can skip a cycle of one client but not the other, shifting the two clients'
    // timelines by whole periods: only the order of magnitude can be judged then.
    WARN("the JACK server xrun during this run: the exact latency check is skipped");
    CHECK(std::fabs(measured - (reported + 64)) <= 4 * 128);
  } else {
    CHECK(measured == Approx(reported + 64).margin(1));
  }
}

TEST_CASE("bundled model: output onsets follow input onsets within the reported latency", "[live][jack][bundled]") {
  REQUIRE(std::filesystem::exists(bundledModel()));
  JackServer server(44100, 128);
  REQUIRE(server.ok());
  const std::vector<float> voice = loadMono(sourcePath("models/demo/beatbox_demo.wav"), 44100);
  LiveRun r = playThrough("--model " + bundledModel(), voice, voice.size() / 44100.0);
  INFO(r.log);
  REQUIRE(r.status == 0);
  const auto inOn = detectOnsets(voice, 44100);
  const auto outOn = detectOnsets(r.out, 44100);
  const double reportedMs = jsonNumber(r.report, "latency_ms");
  // Match each input onset to the first output onset after it, within latency + 50 ms.
  const double tol = (reportedMs + 2.9) / 1000.0 + 0.05;
  std::vector<double> shifted;
  for (double t : outOn) shifted.push_back(t - reportedMs / 1000.0);
  const OnsetMatch m = matchOnsets(inOn, shifted, tol);
  const double medianOffsetMs = m.medianOffsetMs + reportedMs;
  INFO("input onsets " << inOn.size() << ", output onsets " << outOn.size() << ", F " << m.fMeasure
                       << ", median offset " << medianOffsetMs << " ms, reported latency " << reportedMs);
  CHECK(inOn.size() >= 20);
  CHECK(m.fMeasure >= 0.6);
  CHECK(medianOffsetMs >= 0.0);
  if (jsonNumber(r.report, "xruns") > 0 || jsonNumber(r.report, "late_frames") > 0 || r.testerXruns > 0) {
    // Each xrun that skips one client's cycle shifts the player's and the instrument's
    // timelines by a period (the test's own client included: its recording then misses a
    // cycle), and a late frame makes the latency settle higher during the run (the final
    // latency is not the one every onset had), so the offset is only judged on a clean run.
    WARN("the JACK server xrun " << jsonNumber(r.report, "xruns") << " times (the test's client saw "
         << r.testerXruns << ") and " << jsonNumber(r.report, "late_frames")
         << " frames were late during this run: the offset check is skipped (median offset " << medianOffsetMs
         << " ms)");
  } else {
    // Beyond the reported latency: the onset detector's hop (128 samples, 2.9 ms) and one
    // model frame (R = 256, 5.8 ms): the model hears an onset anywhere inside a frame and
    // may sound its hit anywhere inside the frame it returns, so which of two phases the
    // input happens to have against the frames (the JACK cycle the player starts on)
    // moves the median by up to a frame (15.4 ms against 18.4 ms here, both runs of it
    // exact and repeatable).
    const double frameMs = 1000.0 * 256 / 44100;
    CHECK_TIMING(medianOffsetMs <= reportedMs + 2.9 + frameMs + 1.0);
  }
}

TEST_CASE("bundled model: 60 s at 44.1 kHz / 128 frames with no xrun and no late frame", "[live][jack][bundled][long]") {
  REQUIRE(std::filesystem::exists(bundledModel()));
  JackServer server(44100, 128);
  REQUIRE(server.ok());
  // The target is no xrun and no late frame. On a virtual machine the scheduler wakes even
  // a real-time JACK thread milliseconds late at times, in bursts nothing inside the
  // instrument can predict or prevent (an idle dummy server here made 0 to 16 xruns in
  // 20 s, and 0 in the 3 s before a run that then made 51). So this test asserts what the
  // instrument controls on every machine, and reports xruns with the idle server's own
  // rate beside them:
  // - the callback ran on every cycle of the graph (it never blocked);
  // - xruns are rare events, not a pattern: a callback that overran or blocked would
  //   xrun on most of the 20,000 cycles;
  // - the worker kept up: every late frame is explained by an xrun or by one of the few
  //   steps in which the engine settles at a higher latency (then never again).
  const uint64_t own = serverOwnXruns(10.0);
  const std::vector<float> voice = loadMono(sourcePath("models/demo/beatbox_demo.wav"), 44100);
  std::vector<float> minute;
  while (minute.size() < 44100u * 60) minute.insert(minute.end(), voice.begin(), voice.end());
  minute.resize(44100u * 60);
  LiveRun r = playThrough("--model " + bundledModel(), minute, 60.0);
  INFO(r.log << r.report);
  REQUIRE(r.status == 0);
  const double xruns = jsonNumber(r.report, "xruns"), late = jsonNumber(r.report, "late_frames");
  const double growths = jsonNumber(r.report, "latency_growths"), callbacks = jsonNumber(r.report, "callbacks");
  INFO("idle server: " << own << " xruns in 10 s; this run: " << xruns << " xruns in " << callbacks
                       << " callbacks, " << late << " late callbacks, " << growths << " latency steps, latency "
                       << jsonNumber(r.report, "start_latency_ms") << " -> " << jsonNumber(r.report, "latency_ms")
                       << " ms");
  if (xruns > 0 || late > 0)
    WARN("not the target of zero: " << xruns << " xruns and " << late << " late callbacks in 60 s (the idle "
         "server alone: " << own << " xruns in 10 s on this machine)");
  CHECK_TIMING(callbacks >= 60.0 * 44100 / 128 * 0.98);
  CHECK_TIMING(xruns <= 0.01 * callbacks);
  CHECK_TIMING(late <= xruns + growths + 2);
  // How often the latency steps depends on how the machine schedules the worker (a
  // sanitized build is several times slower, and after 30 quiet seconds a step is taken
  // back, so it may step again): judged as timing. What the engine guarantees anywhere:
  // the steps up, less the steps back, never pass the cap (2 blocks of 256, in 128-sample
  // buffers: 4).
  const double shrinks = jsonNumber(r.report, "latency_shrinks");
  CHECK_TIMING(growths <= 2 * 2 + 2);
  CHECK(growths - shrinks <= 4);
  CHECK(jsonNumber(r.report, "latency_ms") <= jsonNumber(r.report, "start_latency_ms") + 2 * 256 * 1000.0 / 44100 + 0.01);
  CHECK_TIMING(jsonNumber(r.report, "frames_processed") >= 60.0 * 44100 / 256 * 0.98);
  CHECK(r.out.size() == minute.size());
}

TEST_CASE("48 kHz server with a 44.1 kHz model keeps pitch and duration", "[live][jack]") {
  JackServer server(48000, 128);
  REQUIRE(server.ok());
  const std::vector<float> tone = sine(1000.0, 48000, 4.0, 0.4f);
  for (const char* dryWet : {"1", "0"}) {
    LiveRun r = playThrough("--model " + fixture("identity_44k.ts") + " --set mix.dry_wet=" + dryWet, tone, 4.0);
    INFO("dry_wet " << dryWet << "\n" << r.log << r.report);
    REQUIRE(r.status == 0);
    CHECK(jsonNumber(r.report, "sample_rate") == 48000);
    CHECK(jsonNumber(r.report, "model_rate") == 44100);
    // The start line names the audio system, the devices and what the ports do.
    CHECK(r.log.find("audio: JACK: in 'system' (1 ch) -> out 'system' (2 ch), client 'musicmill'") !=
          std::string::npos);
    // And that the model runs at another rate, resampled.
    CHECK(r.log.find("the model runs at 44100 Hz and the audio at 48000 Hz") != std::string::npos);
    // With what it costs, measured before the show (a figure, not "-1").
    const size_t cost = r.log.find("resampled on its worker thread, ");
    REQUIRE(cost != std::string::npos);
    CHECK(std::strtod(r.log.c_str() + cost + std::strlen("resampled on its worker thread, "), nullptr) > 0.0);
    // A late frame here comes with an xrun (see the 60 s test) or a latency step. An xrun
    // costs at most one period of the recording, too little to move the pitch or level
    // checks below, so they hold on a busy machine too.
    CHECK_TIMING(jsonNumber(r.report, "late_frames") <=
                 jsonNumber(r.report, "xruns") + jsonNumber(r.report, "latency_growths") + 3);
    const std::vector<float> tail(r.out.begin() + 24000, r.out.end());
    CHECK(zeroCrossingFrequency(tail, 48000) == Approx(1000.0).epsilon(0.003));
    // The model path neither starves nor piles up: the level holds to the end.
    CHECK(rms(r.out, 48000, 96000) == Approx(0.4 / std::sqrt(2.0)).epsilon(0.05));
    CHECK(rms(r.out, r.out.size() - 48000, r.out.size()) == Approx(0.4 / std::sqrt(2.0)).epsilon(0.05));
  }
}

TEST_CASE("a slowed frame is counted late, crossfades to dry, and the callback keeps time", "[live][jack]") {
  JackServer server(44100, 128);
  REQUIRE(server.ok());
  DelayRig rig(6.0, 0.f);  // energy 0: wet = 0.3 x the (delayed) input, dry = 1.0 x
  LiveEngine& engine = *rig.engine;
  JackTestClient& client = *rig.client;
  rig.waitCycles(690);  // ~2 s
  const uint64_t cb0 = engine.status().callbacks, jc0 = client.cycles();
  engine.worker()->setArtificialDelayMs(40.0);  // every frame now takes 40 ms
  rig.waitCycles(345);  // ~1 s
  engine.worker()->setArtificialDelayMs(0.0);
  const uint64_t cb1 = engine.status().callbacks, jc1 = client.cycles();
  client.waitFinished(20);
  engine.stop();
  const EngineStatus s = engine.status();
  const auto out = client.recorded(0);
  INFO("late " << s.lateCallbacks << ", engine callbacks " << (cb1 - cb0) << " over " << (jc1 - jc0) << " graph cycles");
  CHECK(s.lateCallbacks > 10);
  // The callback ran on every cycle of the graph while the model was late: it never waited.
  CHECK(static_cast<double>(cb1 - cb0) == Approx(static_cast<double>(jc1 - jc0)).margin(3));
  const double dry = 0.5 / std::sqrt(2.0);
  // Recorded sample k was played at client cycle k/128 after play() (which started ~cycle 0).
  const size_t s0 = 690 * 128, s1 = (690 + 345) * 128;
  const double before = rms(out, 44100, s0 - 4410) / dry;
  const double during = rms(out, s0 + 13230, s1 - 4410) / dry;  // after the first late block + fade
  const double after = rms(out, s1 + 44100, out.size() - 4410) / dry;
  INFO("level relative to dry: before " << before << ", during " << during << ", after " << after);
  CHECK(before == Approx(0.3).margin(0.05));
  CHECK(during > 0.8);   // crossfaded to dry
  CHECK(after == Approx(0.3).margin(0.05));  // back on the model once it catches up
}

TEST_CASE("a model that turns slower settles at a higher latency, in whole buffers, up to the cap", "[live][jack]") {
  JackServer server(44100, 128);
  REQUIRE(server.ok());
  for (const bool adaptive : {true, false}) {
    INFO((adaptive ? "adaptive" : "fixed") << " latency");
    DelayRig rig(8.0, kNeutralEnergy, adaptive);
    LiveEngine& engine = *rig.engine;
    auto waitCycles = [&rig](uint64_t n) { rig.waitCycles(n); };
    waitCycles(345);
    const EngineStatus s0 = engine.status();
    // Every frame now takes 3.5 ms more than the engine planned for (a tenth of a ms for
    // this model), still within the 5.8 ms a block lasts, so the worker keeps up: the
    // output needs one or two buffers more latency.
    if (s0.computeBudgetMs > 1.5) {
      engine.stop();
      WARN("this machine is too slow right now for this test (compute budget " << s0.computeBudgetMs
           << " ms for a model that copies its input); skipped");
      return;
    }
    engine.worker()->setArtificialDelayMs(3.5);
    waitCycles(690);  // ~2 s to settle
    const EngineStatus s1 = engine.status();
    waitCycles(690);  // ~2 s settled
    const EngineStatus s2 = engine.status();
    engine.worker()->setArtificialDelayMs(0.0);
    engine.stop();
    const long grown = s2.latencySamples - s0.latencySamples;
    const uint64_t lateSettled = s2.lateCallbacks - s1.lateCallbacks, xrunsSettled = s2.xruns - s1.xruns;
    INFO("latency " << s0.latencySamples << " -> " << s2.latencySamples << " samples in " << s2.latencyGrowths
                    << " steps; late callbacks " << s1.lateCallbacks << " while settling, " << lateSettled
                    << " after (xruns then: " << xrunsSettled << ")");
    const long total = s2.latencySamples - s2.startLatencySamples;  // an xrun may have started it early
    if (adaptive) {
      CHECK((grown >= 128 || s0.latencySamples - s0.startLatencySamples >= 3 * 128));
      CHECK(total <= 2 * 256);  // the cap: two model blocks
      CHECK(total % 128 == 0);
      CHECK(s2.latencyGrowths >= 1);
      CHECK(lateSettled <= xrunsSettled + 1);  // settled: no more dropouts of its own
    } else {
      CHECK(grown == 0);
      CHECK(lateSettled > 50);  // a fixed latency keeps falling back to dry
    }
  }
}

TEST_CASE("after a quiet spell the latency comes back down a buffer at a time, never below the start",
          "[live][jack]") {
  JackServer server(44100, 128);
  REQUIRE(server.ok());
  DelayRig rig(20.0, kNeutralEnergy, true, 1.0);  // quiet spell: 1 s here (30 s on stage)
  LiveEngine& engine = *rig.engine;
  rig.waitCycles(345);
  const EngineStatus s0 = engine.status();
  if (s0.computeBudgetMs > 1.5) {
    engine.stop();
    WARN("this machine is too slow right now for this test (compute budget " << s0.computeBudgetMs << " ms)");
    return;
  }
  engine.worker()->setArtificialDelayMs(3.5);  // late frames: the latency grows
  rig.waitCycles(690);
  engine.worker()->setArtificialDelayMs(0.0);
  const EngineStatus grownUp = engine.status();
  REQUIRE(grownUp.latencySamples > grownUp.startLatencySamples);
  // Quiet again: after 1 s without a late frame, a step every 0.5 s back to the start.
  EngineStatus s = grownUp;
  for (int i = 0; i < 40 && s.latencySamples > s.startLatencySamples; ++i) {
    rig.waitCycles(173);  // ~0.5 s
    s = engine.status();
    CHECK(s.latencySamples >= s.startLatencySamples);  // never below where it started
    CHECK((s.latencySamples - s.startLatencySamples) % 128 == 0);
  }
  engine.stop();
  INFO("latency " << grownUp.latencySamples << " -> " << s.latencySamples << " samples (start "
                  << s.startLatencySamples << "), " << s.latencyShrinks << " steps down, late frames "
                  << grownUp.lateCallbacks << " -> " << s.lateCallbacks << ", xruns " << s.xruns);
  // Late frames (an xrun on a busy machine) restart the quiet spell: judged as timing.
  CHECK_TIMING(s.latencySamples == s.startLatencySamples);
  CHECK_TIMING(s.latencyShrinks >= static_cast<uint64_t>((grownUp.latencySamples - s.startLatencySamples) / 128));
}

TEST_CASE("a latency step down crossfades into the later stream: no click", "[live]") {
  // A 220 Hz sine at 0.5: one buffer (128 samples) skipped by a hard cut jumps by up to
  // twice the amplitude; crossfaded over a block, no step is larger than the sine's own
  // slope plus the difference spread over the block.
  const std::vector<float> x = sine(220.0, 44100, 0.1, 0.5f);
  const int n = 128, skip = 128, p = 1000;
  std::vector<float> y(n);
  crossfadeSkip(x.data() + p, n, skip, 1, y.data());
  std::vector<float> joined{x[p - 1]};
  joined.insert(joined.end(), y.begin(), y.end());
  joined.push_back(x[p + n + skip]);  // what the next block starts with
  float worst = 0.f, slope = 0.f;
  for (size_t i = 1; i < joined.size(); ++i) worst = std::max(worst, std::fabs(joined[i] - joined[i - 1]));
  for (size_t i = 1; i < x.size(); ++i) slope = std::max(slope, std::fabs(x[i] - x[i - 1]));
  const float bound = slope + 1.f / (n + 1);
  CHECK(worst <= bound);
  CHECK(std::fabs(x[p + skip] - x[p - 1]) > 4 * bound);  // a hard cut here would click
}

TEST_CASE("a preset's modulation route plays live", "[live][jack][sets]") {
  JackServer server(44100, 128);
  REQUIRE(server.ok());
  // energy 0 (latent x 0.3) with an LFO at 2 Hz routed to energy at full depth: the
  // known-delay model's output level swings between 0.3x and 2x of a steady input. Without
  // the route reaching the modulation matrix it would stay flat.
  const std::string preset = tempDir() + "/wobble.toml";
  {
    std::ofstream f(preset);
    f << "format = 1\nname = \"Wobble\"\n[params]\nenergy = 0.0\n\"gate.threshold\" = -90.0\n"
         "\"lfo.1.rate\" = 2.0\n\n[[modulation]]\nsource = \"lfo.1\"\ntarget = \"energy\"\ndepth = 1.0\n";
  }
  const std::vector<float> tone = sine(220.0, 44100, 4.0, 0.2f);
  LiveRun r = playThrough("--model " + fixture("delay_44k.ts") + " --no-autosave --preset " + preset, tone, 4.0);
  INFO(r.log);
  REQUIRE(r.status == 0);
  REQUIRE(r.out.size() > 44100u * 3);
  double lo = 1e9, hi = 0;
  for (size_t at = 44100; at + 2205 <= 44100u * 3; at += 2205) {  // 50 ms windows, seconds 1..3
    const double level = rms(r.out, at, at + 2205);
    lo = std::min(lo, level);
    hi = std::max(hi, level);
  }
  INFO("output level over 50 ms windows: " << lo << " .. " << hi);
  CHECK(hi > 3.0 * lo);
}

TEST_CASE("the limiter holds the output under 0 dBFS with everything at maximum", "[live][jack]") {
  JackServer server(44100, 128);
  REQUIRE(server.ok());
  const auto loud = clicks({0.2, 0.5, 0.8, 1.1, 1.4, 1.7}, 44100, 2.0, 0.9f);
  std::string model = fixture("delay_44k.ts");
  for (int pass = 0; pass < 2; ++pass) {
    if (pass == 1) {
      if (!std::filesystem::exists(bundledModel())) break;
      model = bundledModel();
    }
    LiveRun r = playThrough("--model " + model + " --set energy=1 --set input.gain=24 --set output.gain=12", loud, 2.0);
    INFO(model << "\n" << r.log);
    REQUIRE(r.status == 0);
    CHECK(peak(r.out) > 0.5);   // it is loud...
    CHECK(peak(r.out) < 1.0);   // ...and never past full scale
  }
}

namespace {
// Where a level step shows: the first 64-sample window from `from` on whose level relative
// to the input's crosses halfway from `before` to `after`; -1 when none does.
long stepAt(const std::vector<float>& y, long lag, const std::vector<float>& x, long from, long to, double before,
            double after) {
  const double mid = 0.5 * (before + after);
  for (long i = from; i + 64 + lag <= static_cast<long>(y.size()) && i < to; i += 8) {
    double ey = 0, ex = 0;
    for (long k = i; k < i + 64; ++k) {
      ey += double(y[k + lag]) * y[k + lag];
      ex += double(x[k]) * x[k];
    }
    const double r = std::sqrt(ey / std::max(ex, 1e-12));
    if ((after < before) ? r < mid : r > mid) return i;
  }
  return -1;
}
}  // namespace

TEST_CASE("render of a MIDI performance equals a live run through JACK of the same input and events", "[live][jack][render]") {
  // The same 4 s of input and the same two CCs (input.gain down at 1.5 s, energy up at
  // 2.5 s, through one mapping): once live through a JACK server, the CCs sent by the
  // test's client at their samples of the input; once with `render --midi`. Outside one
  // model block around each change the two agree within float tolerance; each change lands
  // within one block of the other's (an audio block for input.gain; a model block and the
  // audio block the CC came in for energy).
  JackServer server(44100, 128);
  REQUIRE(server.ok());
  const std::string dir = tempDir();
  const int rate = 44100;
  const double seconds = 4.0;
  std::vector<float> x(static_cast<size_t>(seconds * rate));
  uint32_t seed = 11;
  for (size_t i = 0; i < x.size(); ++i) {  // a tone with noise bursts: any lag shows
    seed = seed * 1664525u + 1013904223u;
    const double noise = (seed >> 8) / double(1 << 24) - 0.5;
    x[i] = static_cast<float>(0.2 * std::sin(2 * M_PI * 330.0 * i / rate) + ((i / 4410) % 3 == 0 ? 0.3 * noise : 0.0));
  }
  AudioBuffer in;
  in.sampleRate = rate;
  in.channels = 1;
  in.samples = x;
  writeWav(dir + "/in.wav", in);
  writeText(dir + "/map.toml", "format = 2\n[[control]]\ncc = 20\nparam = \"input.gain\"\ntakeover = \"jump\"\n"
                               "[[control]]\ncc = 21\nparam = \"energy\"\ntakeover = \"jump\"\n");
  const long gainAt = static_cast<long>(1.5 * rate), energyAt = static_cast<long>(2.5 * rate);
  // 120 BPM, 480 PPQ: 1.5 s = tick 1440, 2.5 s = tick 2400.
  writeBytes(dir + "/perf.mid", makeSmf(0, 480, {{tempoEvent(0, 120.0), {1440, {0xB0, 20, 40}}, {2400, {0xB0, 21, 127}}}}));
  const std::string common = " --model " + fixture("identity_44k.ts") + " --set gate.threshold=-90 --set mix.dry_wet=1 --mapping " +
                             dir + "/map.toml";

  const CommandResult render = runCommand(binary() + " render --in " + dir + "/in.wav --midi " + dir + "/perf.mid --out " +
                                          dir + "/off.wav" + common);
  INFO(render.output);
  REQUIRE(render.status == 0);
  const std::vector<float> off = downmix(readAudioFile(dir + "/off.wav"));
  REQUIRE(off.size() == x.size());

  // Live: the test's client is there first, so that --midi-in finds its MIDI port.
  std::vector<float> played = x;
  played.resize(x.size() + rate / 2, 0.f);  // room for the latency
  JackTestClient client("mmperf", 1, 1, static_cast<double>(played.size()) / rate, true);
  REQUIRE(client.ok());
  const std::string report = dir + "/report.json";
  MusicmillProcess mm("perform --headless --audio-api jack --no-connect --no-autosave --midi-api jack --midi-in mmperf "
                      "--report " + report + common);
  REQUIRE(mm.waitForPorts(60));
  REQUIRE(waitUntil([] { return jackPortConnected("mmperf:midi_out"); }, 10));
  REQUIRE(client.connectOut(0, "musicmill:inport 0"));
  REQUIRE(client.connectIn("musicmill:outport 0", 0));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  client.setMidi({{gainAt, {0xB0, 20, 40}}, {energyAt, {0xB0, 21, 127}}});
  client.play(0, played);
  client.waitFinished(static_cast<double>(played.size()) / rate + 30);
  const std::vector<float> live = client.recorded(0);
  const uint64_t testerXruns = client.xruns();
  REQUIRE(mm.stop() == 0);
  const std::string rep = readFile(report);
  INFO(mm.output());
  REQUIRE(live.size() == played.size());

  // The live output is the render's, delayed by the latency: find it before the changes.
  long lag = 0;
  double best = 1e30;
  for (long d = 0; d <= 8192; ++d) {
    double e = 0;
    for (long i = rate / 2; i < rate; i += 2) e += std::pow(live[i + d] - off[i], 2);
    if (e < best) {
      best = e;
      lag = d;
    }
  }
  const long modelBlock = 256;  // the identity fixture's processing block: 32 latent frames of 8 samples
  // Away from the changes: from two blocks before each until its smoothing (40 ms at most)
  // has settled whichever block it landed in.
  auto nearChange = [&](long i) {
    for (long at : {gainAt, energyAt})
      if (i > at - 2 * modelBlock && i < at + rate * 3 / 10) return true;
    return false;
  };
  double worst = 0;
  for (long i = rate / 2; i + lag < static_cast<long>(live.size()) && i < static_cast<long>(off.size()); ++i)
    if (!nearChange(i)) worst = std::max(worst, static_cast<double>(std::fabs(live[i + lag] - off[i])));
  // Where each change lands, in both: input.gain -8.9 dB (0.36x), then energy 1.0 (2x the
  // neutral level).
  const double g = std::pow(10.0, (-24.0 + 48.0 * 40 / 127) / 20);
  const long offGain = stepAt(off, 0, x, gainAt - rate / 10, gainAt + rate / 4, 1.0, g);
  const long liveGain = stepAt(live, lag, x, gainAt - rate / 10, gainAt + rate / 4, 1.0, g);
  const long offEnergy = stepAt(off, 0, x, energyAt - rate / 10, energyAt + rate / 4, g, 2 * g);
  const long liveEnergy = stepAt(live, lag, x, energyAt - rate / 10, energyAt + rate / 4, g, 2 * g);
  const double xruns = jsonNumber(rep, "xruns"), late = jsonNumber(rep, "late_frames");
  INFO("live lags render by " << lag << " samples (reported latency " << jsonNumber(rep, "latency_samples")
                              << "); largest difference away from the changes " << worst << "; input.gain step at "
                              << offGain << " offline, " << liveGain << " live; energy step at " << offEnergy
                              << " offline, " << liveEnergy << " live; xruns " << xruns << " (test client " << testerXruns
                              << "), late frames " << late);
  REQUIRE(offGain > 0);
  REQUIRE(offEnergy > 0);
  REQUIRE(liveGain > 0);
  REQUIRE(liveEnergy > 0);
  CHECK(lag > 0);
  if (xruns > 0 || testerXruns > 0 || late > 0) {
    // An xrun shifts the two clients' timelines and a late frame crossfades to dry by
    // design: the exact comparison is reported, not judged.
    WARN("xruns or late frames in this run: live/offline equality not judged (" << worst << ")");
  } else {
    CHECK(worst < 1e-4);
    // When the control thread carries a CC out is real-time behaviour. An audio-side
    // control lands within one audio block of the render's (live: from the start of the
    // JACK cycle the CC arrived in). A latent control live reaches the model block whose
    // input is still arriving when the CC comes, offline the block after the piece it
    // falls in: up to one model block apart, plus the audio block the CC came in.
    const long buffer = 128;
    CHECK_TIMING(std::labs(liveGain - offGain) <= buffer);
    CHECK_TIMING(std::labs(liveEnergy - offEnergy) <= modelBlock + buffer);
  }
  WARN("live - offline: input.gain " << (liveGain - offGain) << " samples, energy " << (liveEnergy - offEnergy)
                                     << " samples; largest difference away from the changes " << worst);
}
