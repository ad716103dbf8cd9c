// Offline render through the real musicmill binary and the shared processing code.
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>

#include "AudioFile.h"
#include "FrameProcessor.h"
#include "LiveEngine.h"
#include "ModelRuntime.h"
#include "OfflineRenderer.h"
#include "TestSupport.h"

using namespace mm;
using namespace mmtest;

namespace {
std::string writeInput(const std::string& dir, const std::string& name, const std::vector<float>& x,
                       int rate, int channels = 1) {
  AudioBuffer b;
  b.sampleRate = rate;
  b.channels = channels;
  b.samples.resize(x.size() * channels);
  for (size_t i = 0; i < x.size(); ++i)
    for (int c = 0; c < channels; ++c) b.samples[i * channels + c] = x[i] * (c == 0 ? 1.f : 0.5f);
  const std::string path = dir + "/" + name;
  writeWav(path, b);
  return path;
}
}  // namespace

TEST_CASE("a 48 kHz input through a 44.1 kHz model keeps its duration and pitch", "[render]") {
  const std::string dir = tempDir();
  const auto in = writeInput(dir, "sine48k.wav", sine(1000.0, 48000, 2.0), 48000);
  const auto r = runCommand(binary() + " render --model " + fixture("identity_44k.ts") + " --in " +
                            in + " --out " + dir + "/out.wav");
  INFO(r.output);
  REQUIRE(r.status == 0);
  const AudioBuffer out = readAudioFile(dir + "/out.wav");
  CHECK(out.sampleRate == 48000);
  CHECK(out.frames() == 96000);
  CHECK(zeroCrossingFrequency(out.samples, 48000) == Approx(1000.0).epsilon(0.002));
  CHECK(rms(out.samples, 24000, 72000) == Approx(0.5 / std::sqrt(2.0)).epsilon(0.02));
}

TEST_CASE("stereo inputs are downmixed and a stereo model writes two channels", "[render]") {
  const std::string dir = tempDir();
  const auto in = writeInput(dir, "stereo.wav", sine(440.0, 44100, 1.0), 44100, 2);
  auto r = runCommand(binary() + " render --model " + fixture("identity_44k.ts") + " --in " + in +
                      " --out " + dir + "/mono.wav");
  INFO(r.output);
  REQUIRE(r.status == 0);
  AudioBuffer mono = readAudioFile(dir + "/mono.wav");
  CHECK(mono.channels == 1);
  // Downmix of (x, 0.5x) is 0.75x.
  CHECK(rms(mono.samples, 11025, 33075) == Approx(0.75 * 0.5 / std::sqrt(2.0)).epsilon(0.02));
  r = runCommand(binary() + " render --model " + fixture("v1_stereo.ts") + " --in " + in +
                 " --out " + dir + "/st.wav");
  INFO(r.output);
  REQUIRE(r.status == 0);
  AudioBuffer st = readAudioFile(dir + "/st.wav");
  CHECK(st.channels == 2);
  CHECK(st.frames() == 44100);
}

TEST_CASE("block-by-block render equals one call over the whole file", "[render]") {
  const std::string dir = tempDir();
  std::vector<float> x = clicks({0.1, 0.35, 0.6, 0.8}, 48000, 1.0);
  const auto in = writeInput(dir, "clicks.wav", x, 48000);
  const auto a = runCommand(binary() + " render --model " + fixture("v2_48k.ts") + " --in " + in +
                            " --out " + dir + "/a.wav --block 1");
  const auto b = runCommand(binary() + " render --model " + fixture("v2_48k.ts") + " --in " + in +
                            " --out " + dir + "/b.wav --block 750");  // 48000/64: one call
  INFO(a.output << b.output);
  REQUIRE(a.status == 0);
  REQUIRE(b.status == 0);
  const AudioBuffer A = readAudioFile(dir + "/a.wav"), B = readAudioFile(dir + "/b.wav");
  REQUIRE(A.samples.size() == B.samples.size());
  double maxDiff = 0, energy = 0;
  for (size_t i = 0; i < A.samples.size(); ++i) {
    maxDiff = std::max(maxDiff, double(std::fabs(A.samples[i] - B.samples[i])));
    energy += A.samples[i] * A.samples[i];
  }
  CHECK(energy > 1e-3);  // the model made sound, so equality means something
  CHECK(maxDiff < 1e-4);
}

TEST_CASE("missing or unreadable input files are clear errors", "[render]") {
  const std::string dir = tempDir();
  auto r = runCommand(binary() + " render --model " + fixture("identity_44k.ts") + " --in " + dir +
                      "/nope.wav --out " + dir + "/o.wav");
  CHECK(r.status == 2);
  CHECK(r.output.find("nope.wav") != std::string::npos);
  CHECK(r.output.find("does not exist") != std::string::npos);
  {
    std::ofstream f(dir + "/garbage.wav");
    f << "this is not audio";
  }
  r = runCommand(binary() + " render --model " + fixture("identity_44k.ts") + " --in " + dir +
                 "/garbage.wav --out " + dir + "/o.wav");
  CHECK(r.status == 2);
  CHECK(r.output.find("garbage.wav") != std::string::npos);
  CHECK(r.output.find("cannot be read") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir + "/o.wav"));
}

TEST_CASE("inspect reports what it discovered, and fails cleanly on a bad file", "[render]") {
  auto r = runCommand(binary() + " inspect " + fixture("v1_stereo.ts") + " --json");
  INFO(r.output);
  CHECK(r.status == 0);
  CHECK(r.output.find("\"sample_rate\":44100") != std::string::npos);
  CHECK(r.output.find("\"stereo\":true") != std::string::npos);
  CHECK(r.output.find("\"interface\":1") != std::string::npos);
  r = runCommand(binary() + " inspect " + fixture("nan_output.ts"));
  CHECK(r.status == 2);
  CHECK(r.output.find("NaN") != std::string::npos);
}

TEST_CASE("parameter assignments (--set) reject unknown ids and out-of-range values clearly", "[render]") {
  const std::string dir = tempDir();
  const auto in = writeInput(dir, "s.wav", sine(440.0, 44100, 0.2), 44100);
  auto r = runCommand(binary() + " render --model " + fixture("identity_44k.ts") + " --in " + in +
                      " --out " + dir + "/o.wav --set energi=0.5");
  CHECK(r.status == 2);
  CHECK(r.output.find("energi") != std::string::npos);
  r = runCommand(binary() + " render --model " + fixture("identity_44k.ts") + " --in " + in +
                 " --out " + dir + "/o.wav --set energy=7");
  CHECK(r.status == 2);
  CHECK(r.output.find("0 .. 1") != std::string::npos);
}

namespace {
// Output level / input level of a 300 Hz tone rendered through the identity model (its
// latents are the audio itself, so a latent scale shows exactly) with `id` set to `value`.
double identityGain(const std::string& id, float value) {
  auto model = ModelRuntime::load(fixture("identity_44k.ts"));
  auto reg = makeStandardRegistry(model->info().latentSize);
  reg->setById(id, value);
  AudioBuffer in;
  in.sampleRate = 44100;
  in.samples = sine(300.0, 44100, 1.0, 0.2f);
  RenderOptions ro;
  ro.applyOutputStage = false;
  FrameProcessor proc(*model, *reg, 32);
  AudioBuffer out = renderBuffer(proc, *reg, in, ro);
  return rms(out.samples, 22050, 44100) / rms(in.samples, 22050, 44100);
}
}  // namespace

TEST_CASE("energy scales the latent magnitude 0.3x .. 2.0x", "[render][controls]") {
  CHECK(identityGain("energy", 0.f) == Approx(0.3).epsilon(0.02));
  CHECK(identityGain("energy", 1.f) == Approx(2.0).epsilon(0.02));
}

TEST_CASE("hit.amount accents the latent magnitude up to 2x", "[render][controls]") {
  CHECK(identityGain("hit.amount", 0.f) == Approx(1.0).epsilon(0.02));
  CHECK(identityGain("hit.amount", 0.5f) == Approx(1.5).epsilon(0.02));
  CHECK(identityGain("hit.amount", 1.f) == Approx(2.0).epsilon(0.02));
}

TEST_CASE("offline render equals the live callback for the same input and control changes, within one block",
          "[render][live]") {
  // The same 3 s of input through the identity fixture, with energy and input.gain changed
  // at given audio blocks: once through the live engine's callback (driven block by block,
  // the worker on its own thread), once through render (the changes at the same times).
  const int buffer = 128, blocks = static_cast<int>(3.0 * 44100 / buffer);
  std::vector<float> x(static_cast<size_t>(blocks) * buffer);
  uint32_t seed = 7;
  for (size_t i = 0; i < x.size(); ++i) {  // a tone with noise bursts: any lag shows
    seed = seed * 1664525u + 1013904223u;
    const double noise = (seed >> 8) / double(1 << 24) - 0.5;
    x[i] = static_cast<float>(0.2 * std::sin(2 * M_PI * 330.0 * i / 44100.0) + ((i / 4410) % 3 == 0 ? 0.3 * noise : 0.0));
  }
  struct Change {
    int block;
    const char* id;
    float value;
  };
  const std::vector<Change> changes = {{300, "energy", 1.f}, {650, "input.gain", -6.f}, {800, "energy", 0.1f}};
  auto setUp = [](ParameterRegistry& reg) {
    reg.setById("gate.threshold", -90.f);
    reg.setById("mix.dry_wet", 1.f);
  };

  auto regLive = makeStandardRegistry(8);
  setUp(*regLive);
  LiveEngine engine(*regLive);
  engine.openWithoutDevice(ModelRuntime::load(fixture("identity_44k.ts")), 44100, buffer, 1, 1);
  engine.start();
  std::vector<float> live(x.size());
  size_t next = 0;
  for (int k = 0; k < blocks; ++k) {
    for (; next < changes.size() && changes[next].block == k; ++next) regLive->setById(changes[next].id, changes[next].value);
    engine.processBlock(x.data() + static_cast<size_t>(k) * buffer, live.data() + static_cast<size_t>(k) * buffer, buffer, false);
    std::this_thread::sleep_for(std::chrono::microseconds(2800));
  }
  const uint64_t late = engine.status().lateCallbacks;
  engine.stop();

  auto regOff = makeStandardRegistry(8);
  setUp(*regOff);
  auto model = ModelRuntime::load(fixture("identity_44k.ts"));
  FrameProcessor proc(*model, *regOff, defaultFramesPerBlock(model->info().ratio));
  AudioBuffer in;
  in.sampleRate = 44100;
  in.samples = x;
  RenderOptions ro;
  size_t nextOff = 0;
  ro.beforeBlock = [&](double t) {
    for (; nextOff < changes.size() && changes[nextOff].block * buffer <= std::lround(t * 44100); ++nextOff)
      regOff->setById(changes[nextOff].id, changes[nextOff].value);
  };
  const AudioBuffer off = renderBuffer(proc, *regOff, in, ro);
  REQUIRE(off.samples.size() == x.size());

  // The live output is the offline one delayed by the engine's latency: find it.
  long lag = 0;
  double best = 1e30;
  for (long d = 0; d <= 4096; ++d) {
    double e = 0;
    for (size_t i = 44100; i < 44100 + 8820; ++i) e += std::pow(live[i + d] - off.samples[i], 2);
    if (e < best) {
      best = e;
      lag = d;
    }
  }
  // Outside one model block (256 samples) on each side of a change, sample by sample equal.
  const long guard = 2 * 256;
  double worst = 0;
  for (long i = 2205; i + lag < static_cast<long>(live.size()); ++i) {
    bool nearChange = false;
    for (const Change& c : changes) nearChange |= std::labs(i - c.block * buffer) < guard;
    if (!nearChange) worst = std::max(worst, static_cast<double>(std::fabs(live[i + lag] - off.samples[i])));
  }
  INFO("live lags render by " << lag << " samples; largest difference away from the changes " << worst
                              << "; late frames " << late);
  CHECK(lag > 0);
  if (late == 0) CHECK(worst < 1e-4);  // a late frame crossfades to dry by design: not judged
  // And the changes are really there: energy 1.0 = 2x the neutral level, -6 dB input.
  CHECK(rms(off.samples, 310 * buffer, 640 * buffer) / rms(x, 310 * buffer, 640 * buffer) == Approx(2.0).epsilon(0.05));
  CHECK(rms(off.samples, 660 * buffer, 790 * buffer) / rms(x, 660 * buffer, 790 * buffer) == Approx(1.0).epsilon(0.05));
}

TEST_CASE("render writes the format --out names, and refuses an unknown one or the input itself", "[render]") {
  const std::string dir = tempDir();
  const auto in = writeInput(dir, "s.wav", sine(440.0, 44100, 0.5), 44100);
  for (const std::string name : {"o.flac", "o.ogg", "o.aiff", "o.wav"}) {
    auto r = runCommand(binary() + " render --model " + fixture("identity_44k.ts") + " --in " + in + " --out " +
                        dir + "/" + name);
    INFO(name << ": " << r.output);
    REQUIRE(r.status == 0);
    std::ifstream f(dir + "/" + name, std::ios::binary);
    char magic[4] = {};
    f.read(magic, 4);
    const std::string m(magic, 4);
    CHECK(m == (name == "o.flac" ? "fLaC" : name == "o.ogg" ? "OggS" : name == "o.aiff" ? "FORM" : "RIFF"));
    const AudioBuffer back = readAudioFile(dir + "/" + name);
    CHECK(back.frames() > 20000);
    CHECK(rms(downmix(back)) > 0.1);  // the sine came through in every format
  }
  auto r = runCommand(binary() + " render --model " + fixture("identity_44k.ts") + " --in " + in + " --out " + dir +
                      "/o.mp3");
  CHECK(r.status == 2);
  CHECK(r.output.find(".wav, .flac, .ogg or .aiff") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir + "/o.mp3"));
  r = runCommand(binary() + " render --model " + fixture("identity_44k.ts") + " --in " + in + " --out " + in);
  CHECK(r.status == 2);
  CHECK(r.output.find("is the input file") != std::string::npos);
  CHECK(readAudioFile(in).frames() == 22050);  // untouched
}

TEST_CASE("a pitched model's measured dims (pitch, loudness) are left alone by energy and chaos", "[render][controls]") {
  // pitched_44k is the identity model (z[c, n] = x[8n + c]) declaring pitch_dim 0 and
  // loudness_dim 1: with energy at 2x, output samples 8n and 8n+1 keep their level, the
  // other six double; with chaos the measured ones stay exact.
  auto model = ModelRuntime::load(fixture("pitched_44k.ts"));
  REQUIRE(model->info().pitchDim == 0);
  REQUIRE(model->info().loudnessDim == 1);
  AudioBuffer in;
  in.sampleRate = 44100;
  in.samples = sine(300.0, 44100, 1.0, 0.2f);
  RenderOptions ro;
  ro.applyOutputStage = false;
  for (const char* setting : {"energy", "chaos"}) {
    INFO(setting);
    auto reg = makeStandardRegistry(model->info().latentSize);
    reg->setById(setting, 1.f);
    FrameProcessor proc(*model, *reg, 32);
    const AudioBuffer out = renderBuffer(proc, *reg, in, ro);
    REQUIRE(out.samples.size() == in.samples.size());
    double measuredErr = 0, otherIn = 0, otherOut = 0;
    for (size_t i = 22050; i < out.samples.size(); ++i) {
      if (i % 8 < 2) {
        measuredErr = std::max(measuredErr, std::abs(double(out.samples[i]) - in.samples[i]));
      } else {
        otherIn += double(in.samples[i]) * in.samples[i];
        otherOut += (double(out.samples[i]) - in.samples[i]) * (double(out.samples[i]) - in.samples[i]);
      }
    }
    CHECK(measuredErr < 1e-5);
    CHECK(otherOut > 0.5 * otherIn);  // the other dims changed: by 2x (energy) or by noise (chaos)
  }
  // inspect names them; a pitch_dim outside the model's dims is ignored with a warning.
  const CommandResult r = runCommand(binary() + " inspect --json " + fixture("pitched_44k.ts"));
  CHECK(r.output.find("\"pitch_dim\":0") != std::string::npos);
  CHECK(r.output.find("\"loudness_dim\":1") != std::string::npos);
  const CommandResult bad = runCommand(binary() + " inspect " + fixture("bad_pitched_44k.ts"));
  INFO(bad.output);
  CHECK(bad.status == 0);
  CHECK(bad.output.find("`pitch_dim` is") != std::string::npos);
  CHECK(bad.output.find("not one of the model's 8 latent dims; ignored") != std::string::npos);
}
