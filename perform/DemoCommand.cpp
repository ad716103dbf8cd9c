// `musicmill demo`: renders the ten demo files of the original design through the shared
// processing code and measures what each control did (demo_report.json); a pitched model
// (`--model synth`) gets a hummed melody as its pattern and an eleventh file, the hummed
// line through its voice source.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>

#include "AudioFeatures.h"
#include "AudioFile.h"
#include "Commands.h"
#include "FrameProcessor.h"
#include "Json.h"
#include "LatentSources.h"
#include "LfoBank.h"
#include "ModelRuntime.h"
#include "OfflineRenderer.h"

namespace fs = std::filesystem;

namespace mm {

namespace {

struct DemoSpec {
  std::string file, what;
  std::function<void(ParameterRegistry&)> setup;
  bool usesPattern = false;
};

// A hummed line for pitched models: a harmonic tone (a voice's falling harmonics) on a
// minor-pentatonic figure of 8th notes at 80 BPM around A3, with vibrato and per-note
// swells: what a person humming into the mic gives the synth.
AudioBuffer humLine(int rate, double seconds) {
  AudioBuffer b;
  b.sampleRate = rate;
  const int notes[] = {57, 60, 62, 64, 67, 64, 62, 60};
  const double step = 60.0 / 80.0 / 2.0;
  const size_t n = static_cast<size_t>(seconds * rate);
  b.samples.assign(n, 0.f);
  double phase = 0;
  for (size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / rate;
    const int k = static_cast<int>(t / step);
    const double u = t / step - k;
    const double f0 = 440.0 * std::pow(2.0, (notes[k % 8] - 69) / 12.0 + 0.02 * std::sin(2 * M_PI * 5.5 * t) / 12.0);
    phase += f0 / rate;
    phase -= std::floor(phase);
    double v = 0;
    for (int h = 1; h <= 10; ++h) v += std::sin(2 * M_PI * h * phase) / (h * h);
    const double env = std::min({1.0, u / 0.1, (1.0 - u) / 0.15}) * (k % 4 == 0 ? 0.5 : 0.35);
    b.samples[i] = static_cast<float>(env * v);
  }
  return b;
}

void randomSource(ParameterRegistry& r) {
  r.setById("source.voice", 0.f);
  r.setById("source.prior", 1.f);  // the model's prior, or a smooth random walk
  r.setById("texture", 0.3f);
}

}  // namespace

int runDemo(const Args& args, const char* argv0) {
  const auto outDir = args.get("out");
  if (!outDir) {
    std::cerr << "musicmill demo: needs --out DIR\n";
    return 2;
  }
  const std::string modelPath = args.get("model", bundledModelPath(argv0));
  const double seconds = args.getDouble("seconds", 8.0);
  ModelInfo info;
  try {
    info = ModelRuntime::load(modelPath)->info();
  } catch (const ModelError& e) {
    std::cerr << "musicmill demo: " << e.what() << "\n";
    return 2;
  }
  std::error_code ec;
  fs::create_directories(*outDir, ec);
  // Pattern for the tempo demos, declared at 80 BPM so that 40 BPM plays it at 0.5x and
  // 160 BPM at 2x: --pattern FILE, or by default a synthesized 8th-note accent pattern of
  // noise bursts at 80 BPM (the drum model turns each burst into a hit), written beside
  // the renders as demo_pattern_source.wav. A pitched model (a synth) gets a hummed
  // melody instead (humLine), which it plays at its pitch.
  const bool pitched = info.pitchDim >= 0;
  std::string patternFile = args.get("pattern", "");
  if (patternFile.empty() && pitched) {
    patternFile = (fs::path(*outDir) / "demo_pattern_source.wav").string();
    try {
      writeWav(patternFile, humLine(info.sampleRate, 16 * 60.0 / 80.0 / 2.0));
    } catch (const std::exception& e) {
      std::cerr << "musicmill demo: " << e.what() << "\n";
      return 2;
    }
  } else if (patternFile.empty()) {
    AudioBuffer pat;
    pat.sampleRate = info.sampleRate;
    const double step = 60.0 / 80.0 / 2.0;
    pat.samples.assign(static_cast<size_t>(16 * step * info.sampleRate), 0.f);
    uint32_t rng = 12345;
    for (int i = 0; i < 16; ++i) {
      const float amp = i % 4 == 0 ? 0.8f : (i % 2 == 0 ? 0.6f : 0.35f);
      const size_t start = static_cast<size_t>(i * step * info.sampleRate);
      const size_t len = static_cast<size_t>(0.08 * info.sampleRate);
      for (size_t k = 0; k < len && start + k < pat.samples.size(); ++k) {
        rng = rng * 1664525u + 1013904223u;
        const float noise = static_cast<float>(rng >> 8) / 8388608.f - 1.f;
        pat.samples[start + k] += amp * noise * std::exp(-static_cast<float>(k) / (0.015f * info.sampleRate));
      }
    }
    patternFile = (fs::path(*outDir) / "demo_pattern_source.wav").string();
    try {
      writeWav(patternFile, pat);
    } catch (const std::exception& e) {
      std::cerr << "musicmill demo: " << e.what() << "\n";
      return 2;
    }
  }
  std::vector<DemoSpec> demos = {
      {"control_demo_1_base.wav", "random generation (prior / random walk), neutral controls", randomSource},
      {"control_demo_2_low_energy.wav", "energy 0 (latent x0.3)", [](ParameterRegistry& r) { randomSource(r); r.setById("energy", 0.f); }},
      {"control_demo_2_high_energy.wav", "energy 1 (latent x2.0)", [](ParameterRegistry& r) { randomSource(r); r.setById("energy", 1.f); }},
  };
  for (int d = 0; d < std::min(4, info.latentSize); ++d) {
    demos.push_back({"control_demo_3_dim" + std::to_string(d) + "_only.wav",
                     "only dim." + std::to_string(d) + " moving, the others neutral (0)",
                     [d, n = info.latentSize](ParameterRegistry& r) {
                       randomSource(r);
                       r.setById("texture", 0.f);
                       for (int k = 0; k < n; ++k) r.setById("dim." + std::to_string(k) + ".scale", k == d ? 1.5f : 0.f);
                     }});
  }
  auto tempo = [](float bpm) {
    return [bpm](ParameterRegistry& r) {
      r.setById("source.voice", 0.f);
      r.setById("source.pattern", 1.f);
      r.setById("bpm", bpm);
    };
  };
  demos.push_back({"control_demo_4_slow_tempo.wav", "pattern at 0.5x (40 BPM, pattern at 80)", tempo(40.f), true});
  demos.push_back({"control_demo_4_fast_tempo.wav", "pattern at 2x (160 BPM, pattern at 80)", tempo(160.f), true});
  demos.push_back({"control_demo_5_smooth_evolution.wav",
                   "LFO 1 sine 1 Hz on energy (depth 0.6), LFO 2 triangle 0.25 Hz on dim.0 (depth 0.5)",
                   [](ParameterRegistry& r) {
                     randomSource(r);
                     r.setById("lfo.1.rate", 1.f);
                     r.setById("lfo.1.depth", 0.6f);
                     r.setById("lfo.1.shape", 0.f);
                     r.setById("lfo.1.target", static_cast<float>(r.indexOf("energy")));
                     r.setById("lfo.2.rate", 0.25f);
                     r.setById("lfo.2.depth", 0.5f);
                     r.setById("lfo.2.shape", 1.f);
                     r.setById("lfo.2.target", static_cast<float>(r.indexOf("dim.0")));
                   }});

  // A pitched model (a synth) also plays a hummed line through its voice source: the
  // voice -> synth use, the pitch and loudness of the line coming out in its sound.
  AudioBuffer hum;
  if (pitched) {
    hum = humLine(info.sampleRate, seconds);
    demos.push_back({"control_demo_6_hummed_line.wav",
                     "a hummed line (demo_pattern_source.wav's melody) through the voice source: the synth at its pitch",
                     [](ParameterRegistry& r) { r.setById("source.voice", 1.f); }});
  }
  std::unique_ptr<LatentClip> patternClip;
  JsonWriter j;
  j.beginObject().key("model").value(modelPath).key("seconds").value(seconds).key("files").beginArray();
  std::printf("%-36s %8s %8s %9s %10s  %s\n", "file", "RMS", "peak", "onsets/s", "centroid", "what");
  for (const DemoSpec& demo : demos) {
    try {
      auto model = ModelRuntime::load(modelPath);  // fresh streaming state for every file
      auto reg = makeStandardRegistry(info.latentSize);
      demo.setup(*reg);
      FrameProcessor proc(*model, *reg, defaultFramesPerBlock(info.ratio), 42);
      LfoBank lfos(*reg, 9);
      proc.setModulator(&lfos);
      if (demo.usesPattern) {
        if (!patternClip) patternClip = std::make_unique<LatentClip>(encodeFileToClip(modelPath, patternFile, 80.0));
        proc.pattern().load(0, std::make_unique<LatentClip>(*patternClip));
      }
      AudioBuffer input;  // silence (the sources play), or the hummed line for its demo
      input.sampleRate = info.sampleRate;
      if (demo.file == "control_demo_6_hummed_line.wav") input = hum;
      else input.samples.assign(static_cast<size_t>(seconds * info.sampleRate), 0.f);
      RenderOptions ro;
      ro.analyzers.push_back(&lfos);  // the LFOs' clock
      AudioBuffer out = renderBuffer(proc, *reg, input, ro);
      writeWav((fs::path(*outDir) / demo.file).string(), out);
      const AudioFeatures f = measureAudio(downmix(out), out.sampleRate);
      double strength = 0;
      const double period = envelopePeriod(f, 0.3, 2.5, &strength);
      std::printf("%-36s %8.4f %8.4f %9.2f %8.0f Hz  %s\n", demo.file.c_str(), f.rms, f.peak,
                  f.onsetsPerSecond, f.centroidHz, demo.what.c_str());
      j.beginObject()
          .key("file").value(demo.file)
          .key("what").value(demo.what)
          .key("rms").value(f.rms)
          .key("peak").value(f.peak)
          .key("onsets_per_second").value(f.onsetsPerSecond)
          .key("centroid_hz").value(f.centroidHz)
          .key("envelope_period_s").value(period)
          .key("envelope_period_strength").value(strength)
          .key("log_spectrum_db").beginArray();
      for (size_t b = 0; b < f.logSpectrum.size(); b += 8) j.value(f.logSpectrum[b] * 20.0 / std::log(10.0));
      j.endArray().endObject();
    } catch (const std::exception& e) {
      std::cerr << "musicmill demo: " << demo.file << ": " << e.what() << "\n";
      return 2;
    }
  }
  j.endArray().endObject();
  const std::string report = (fs::path(*outDir) / "demo_report.json").string();
  if (!writeFileAtomically(report, j.str() + "\n")) {
    std::cerr << "musicmill demo: cannot write " << report << "\n";
    return 2;
  }
  std::printf("wrote %zu files and %s\n", demos.size(), report.c_str());
  return 0;
}

}  // namespace mm
