// The committed synth model (models/musicmill_synth.ts, `--model synth`): loads, passes the
// probe, has the interface issue 19 asks for, streams block by block as in one call, and
// a sung line it never heard (a glottal source through vowel formants, with a melody,
// vibrato and swells) comes out at the voice's pitch, following its loudness.
#include <catch2/catch.hpp>

#include <aubio/aubio.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <random>

#include "FrameProcessor.h"
#include "ModelRuntime.h"
#include "OfflineRenderer.h"
#include "Parameters.h"
#include "TestSupport.h"

using namespace mm;
using namespace mmtest;
namespace fs = std::filesystem;

namespace {

constexpr int kRate = 44100;

// A sung line: a glottal pulse train (harmonics falling at 12 dB an octave) through three
// vowel formants, 18 notes of 0.45 .. 0.8 s in MIDI 45 .. 69 (110 .. 440 Hz), vibrato
// 5.5 Hz +-25 cents after each note's start, glides between notes, and a loudness that
// swells and falls over 18 dB. Seeded; the model never heard it.
std::vector<float> sungLine(uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<float> x;
  double phase = 0, semis = 57, t = 0;
  const double formants[3][2] = {{730, 90}, {1090, 110}, {2440, 160}};  // /a/: centre, bandwidth
  double state[3][2] = {};
  for (int note = 0; note < 18; ++note) {
    const double target = 45 + static_cast<int>(rng() % 25);
    const double len = std::uniform_real_distribution<double>(0.45, 0.8)(rng);
    const double peakDb = std::uniform_real_distribution<double>(-18, 0)(rng);
    const int n = static_cast<int>(len * kRate);
    const double from = semis;
    for (int i = 0; i < n; ++i, t += 1.0 / kRate) {
      const double u = static_cast<double>(i) / n;
      const double glide = std::min(1.0, u / 0.08);
      const double vib = u > 0.25 ? 0.25 * std::sin(2 * M_PI * 5.5 * t) : 0.0;
      semis = from + (target - from) * glide;
      const double f0 = 440.0 * std::pow(2.0, (semis + vib - 69) / 12.0);
      phase += f0 / kRate;
      phase -= std::floor(phase);
      // Glottal pulse: the sum of harmonics k with amplitude 1/k^2 (band-limited).
      double s = 0;
      for (int k = 1; k * f0 < 0.45 * kRate && k <= 40; ++k) s += std::sin(2 * M_PI * k * phase) / (k * k);
      double y = 0;
      for (int f = 0; f < 3; ++f) {  // two-pole resonators in parallel
        const double r = std::exp(-M_PI * formants[f][1] / kRate), w = 2 * M_PI * formants[f][0] / kRate;
        const double o = s + 2 * r * std::cos(w) * state[f][0] - r * r * state[f][1];
        state[f][1] = state[f][0];
        state[f][0] = o;
        y += o * (1 - r) / (f + 1);
      }
      const double env = std::min({1.0, u / 0.06, (1 - u) / 0.1}) * std::pow(10.0, peakDb / 20);
      x.push_back(static_cast<float>(y * env));
    }
  }
  float peak = 0;
  for (float v : x) peak = std::max(peak, std::fabs(v));
  for (float& v : x) v *= 0.5f / peak;
  return x;
}

struct Track {
  std::vector<float> hz, confidence, db;  // per hop of 512
};

// aubio yin (the measure) and the RMS level per 512-sample hop (2048 window).
Track track(const std::vector<float>& x) {
  constexpr int hop = 512, win = 2048;
  Track t;
  aubio_pitch_t* p = new_aubio_pitch("yin", win, hop, kRate);
  REQUIRE(p);
  aubio_pitch_set_unit(p, "Hz");
  fvec_t* in = new_fvec(hop);
  fvec_t* out = new_fvec(1);
  for (size_t a = 0; a + hop <= x.size(); a += hop) {
    for (int i = 0; i < hop; ++i) in->data[i] = x[a + static_cast<size_t>(i)];
    aubio_pitch_do(p, in, out);
    t.hz.push_back(out->data[0]);
    t.confidence.push_back(aubio_pitch_get_confidence(p));
    double e = 0;
    const size_t from = a + hop >= static_cast<size_t>(win) ? a + hop - win : 0;
    for (size_t i = from; i < a + hop; ++i) e += double(x[i]) * x[i];
    t.db.push_back(static_cast<float>(10 * std::log10(e / static_cast<double>(a + hop - from) + 1e-12)));
  }
  del_fvec(out);
  del_fvec(in);
  del_aubio_pitch(p);
  return t;
}

struct Following {
  double medianCents = 0, voicedShare = 0, loudnessCorrelation = 0;
  size_t voicedFrames = 0;
};

Following following(const std::vector<float>& in, const std::vector<float>& out) {
  const Track a = track(in), b = track(out);
  std::vector<double> cents;
  std::vector<double> la, lb;
  size_t voiced = 0, both = 0;
  for (size_t i = 0; i < std::min(a.hz.size(), b.hz.size()); ++i) {
    if (a.db[i] > -60) {
      la.push_back(a.db[i]);
      lb.push_back(b.db[i]);
    }
    if (a.confidence[i] < 0.8f || a.hz[i] <= 0) continue;
    ++voiced;
    if (b.confidence[i] < 0.8f || b.hz[i] <= 0) continue;
    ++both;
    cents.push_back(std::fabs(1200.0 * std::log2(b.hz[i] / a.hz[i])));
  }
  Following f;
  f.voicedFrames = voiced;
  f.voicedShare = voiced ? static_cast<double>(both) / voiced : 0;
  if (!cents.empty()) {
    std::nth_element(cents.begin(), cents.begin() + static_cast<long>(cents.size() / 2), cents.end());
    f.medianCents = cents[cents.size() / 2];
  }
  const double ma = std::accumulate(la.begin(), la.end(), 0.0) / std::max<size_t>(1, la.size());
  const double mb = std::accumulate(lb.begin(), lb.end(), 0.0) / std::max<size_t>(1, lb.size());
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < la.size(); ++i) {
    sab += (la[i] - ma) * (lb[i] - mb);
    saa += (la[i] - ma) * (la[i] - ma);
    sbb += (lb[i] - mb) * (lb[i] - mb);
  }
  f.loudnessCorrelation = saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : 0;
  return f;
}

}  // namespace

TEST_CASE("bundled synth model: probe, interface (16 dims, R 512, 44.1 kHz, pitch and loudness dims)",
          "[bundled][model][synth]") {
  const std::string path = sourcePath("models/musicmill_synth.ts");
  REQUIRE(fs::exists(path));
  ModelRuntime::Options options;
  options.checkStreaming = true;  // as perform loads it: told apart from a non-streaming export
  auto model = ModelRuntime::load(path, options);  // includes the probe
  const ModelInfo& info = model->info();
  CHECK(info.interfaceVersion == 2);
  CHECK(info.sampleRate == kRate);
  CHECK(info.ratio == 512);
  CHECK(info.latentSize == 16);
  CHECK(info.inChannels == 1);
  CHECK(info.pitchDim == 0);
  CHECK(info.loudnessDim == 1);
  CHECK(info.streaming == 1);
}

TEST_CASE("bundled synth model: block by block equals one call", "[bundled][model][synth]") {
  const std::string path = sourcePath("models/musicmill_synth.ts");
  REQUIRE(fs::exists(path));
  const std::vector<float> x = sungLine(3);
  const int R = 512, n = static_cast<int>(x.size()) / (8 * R) * (8 * R);
  // One long call against frames of one and of eight model frames, each on a fresh load.
  auto run = [&](int block) {
    auto m = ModelRuntime::load(path);
    const int L = m->info().latentSize;
    std::vector<float> z(static_cast<size_t>(L) * (block / R)), out(static_cast<size_t>(block)), y;
    for (int a = 0; a + block <= n; a += block) {
      m->encode(x.data() + a, block, z.data());
      m->decode(z.data(), block / R, out.data());
      y.insert(y.end(), out.begin(), out.end());
    }
    return y;
  };
  const std::vector<float> whole = run(n), one = run(R), eight = run(8 * R);
  REQUIRE(whole.size() == one.size());
  REQUIRE(whole.size() == eight.size());
  double e1 = 0, e8 = 0;
  for (size_t i = 0; i < whole.size(); ++i) {
    e1 = std::max(e1, double(std::fabs(whole[i] - one[i])));
    e8 = std::max(e8, double(std::fabs(whole[i] - eight[i])));
  }
  INFO("max difference: 1 frame " << e1 << ", 8 frames " << e8);
  CHECK(e1 < 1e-4);
  CHECK(e8 < 1e-4);
}

TEST_CASE("bundled synth model: a sung line it never heard comes out at its pitch, following its loudness",
          "[bundled][model][synth]") {
  const std::string path = sourcePath("models/musicmill_synth.ts");
  REQUIRE(fs::exists(path));
  auto model = ModelRuntime::load(path);
  AudioBuffer in;
  in.sampleRate = kRate;
  in.samples = sungLine(7);
  auto reg = makeStandardRegistry(model->info().latentSize);
  FrameProcessor proc(*model, *reg, 1);
  RenderOptions ro;
  ro.applyOutputStage = false;
  const AudioBuffer out = renderBuffer(proc, *reg, in, ro);
  REQUIRE(out.samples.size() == in.samples.size());
  const Following f = following(in.samples, out.samples);
  std::printf("%s: sung line %.1f s: pitch median error %.1f cents, %.0f%% of %zu voiced frames voiced, loudness "
              "correlation %.3f\n",
              path.c_str(), in.samples.size() / double(kRate), f.medianCents, 100 * f.voicedShare, f.voicedFrames,
              f.loudnessCorrelation);
  INFO("median " << f.medianCents << " cents, voiced " << f.voicedShare << " of " << f.voicedFrames
                 << ", loudness correlation " << f.loudnessCorrelation);
  REQUIRE(f.voicedFrames > 200);
  // A little under what the committed model measured (12.8 cents, 99 %, 0.984); the
  // issue's targets are 50 cents, 80 % and 0.8.
  CHECK(f.medianCents <= 25.0);
  CHECK(f.voicedShare >= 0.9);
  CHECK(f.loudnessCorrelation >= 0.9);
}

TEST_CASE("musicmill demo --model synth: the demo set for the synth, a hummed line played at its pitch",
          "[bundled][model][synth][demo]") {
  REQUIRE(fs::exists(sourcePath("models/musicmill_synth.ts")));
  const std::string dir = tempDir();
  const auto r = runCommand(binary() + " demo --model synth --out " + dir);
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK(r.output.find("wrote 11 files") != std::string::npos);
  // The tempo demos' pattern is a hummed melody (not noise bursts), and the eleventh file
  // is that melody through the voice source: out at the melody's pitch.
  const AudioBuffer hum = readAudioFile(dir + "/demo_pattern_source.wav");
  const AudioBuffer out = readAudioFile(dir + "/control_demo_6_hummed_line.wav");
  REQUIRE(out.samples.size() >= hum.samples.size());
  const std::vector<float> played(out.samples.begin(), out.samples.begin() + static_cast<long>(hum.samples.size()));
  const Following f = following(hum.samples, played);
  INFO("hummed line: median " << f.medianCents << " cents, voiced " << f.voicedShare << " of " << f.voicedFrames);
  REQUIRE(f.voicedFrames > 100);
  CHECK(f.medianCents <= 20.0);  // measured 1.2 cents, 99.6 % voiced
  CHECK(f.voicedShare >= 0.9);
}
