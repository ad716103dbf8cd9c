#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <cstdlib>
#include <iostream>
#include <stdexcept>

#include "AtomicFile.h"
#include "AudioFile.h"
#include "Commands.h"
#include "ControlSetup.h"
#include "FrameProcessor.h"
#include "LatentSources.h"
#include "LfoBank.h"
#include "ModulationMatrix.h"
#include "MidiFilePlayer.h"
#include "ModelRuntime.h"
#include "OfflineRenderer.h"
#include "Parameters.h"
#include "StandardMidiFile.h"
#include "TriggerAnalyzer.h"
#include "TriggerClassifier.h"
#include "TriggerProfile.h"
#include "VoiceAnalyzer.h"

namespace fs = std::filesystem;

namespace mm {

bool applySetOptions(const Args& args, ParameterRegistry& registry, std::vector<TimedSet>* timed) {
  for (const auto& a : args.all("set")) {
    const size_t at = a.rfind('@');
    if (at == std::string::npos) {
      if (auto err = registry.applyAssignment(a)) {
        std::cerr << "musicmill: " << *err << "\n";
        return false;
      }
      continue;
    }
    if (!timed) {
      std::cerr << "musicmill: --set " << a << ": a time (@SECONDS) is for render; live, move the control\n";
      return false;
    }
    const std::string assignment = a.substr(0, at), when = a.substr(at + 1);
    char* end = nullptr;
    const double seconds = std::strtod(when.c_str(), &end);
    if (when.empty() || end == when.c_str() || (*end != '\0' && std::string(end) != "s") || !std::isfinite(seconds) ||
        seconds < 0) {
      std::cerr << "musicmill: --set " << a << ": '" << when
                << "' is not a time in seconds (e.g. --set output.gain=-20@1.5)\n";
      return false;
    }
    // Checked as a plain --set would be, then the value in force now is put back.
    const int index = registry.indexOf(assignment.substr(0, assignment.find('=')));
    const float before = index >= 0 ? registry.get(index) : 0.f;
    if (auto err = registry.applyAssignment(assignment)) {
      std::cerr << "musicmill: " << *err << "\n";
      return false;
    }
    timed->push_back({seconds, index, registry.get(index)});
    registry.set(index, before);
  }
  if (timed)
    std::stable_sort(timed->begin(), timed->end(), [](const TimedSet& x, const TimedSet& y) { return x.seconds < y.seconds; });
  return true;
}

std::unique_ptr<ParameterRegistry> makeShowRegistry(const ModelRuntime& model, const ModelRuntime* partner,
                                                    int minLatent, int minPartnerLatent) {
  std::vector<std::vector<ModelAttribute>> attributes{model.info().attributes};
  if (partner) attributes.push_back(partner->info().attributes);
  return makeStandardRegistry(std::max(model.info().latentSize, minLatent), 2,
                              std::max(partner ? partner->info().latentSize : 0, minPartnerLatent),
                              attributeParamSpecs(attributes));
}

bool applyAttributeOptions(const Args& args, ModelRuntime& model, ModelRuntime* partner, ParameterRegistry& registry) {
  for (const auto& a : args.all("attr")) {
    const std::string name = a.substr(0, a.find('='));
    ModelRuntime* target = &model;
    if (partner) {
      bool inA = false;
      for (const auto& x : model.info().attributes) inA = inA || x.name == name;
      if (!inA) target = partner;
    }
    AttributeAssignment as;
    if (auto err = parseAttributeAssignment(target->info().attributes, a, as)) {
      std::cerr << "musicmill: " << *err << (target == partner ? " (model B)" : "") << "\n";
      return false;
    }
    const ModelAttribute& attr = target->info().attributes[static_cast<size_t>(as.index)];
    if (attr.playable()) {
      registry.setById(attributeParamId(attr.name), static_cast<float>(as.number));
      continue;
    }
    if (const std::string err = target->setAttribute(as.index, as.number, as.text); !err.empty()) {
      std::cerr << "musicmill: --attr '" << a << "': " << err << "\n";
      return false;
    }
  }
  return true;
}

bool loadPartnerModel(const Args& args, const ModelRuntime::Options& options, const char* command,
                      std::unique_ptr<ModelRuntime>& partner) {
  const auto path = args.get("model-b");
  if (!path) return true;
  try {
    partner = ModelRuntime::load(*path, options);
  } catch (const ModelError& e) {
    std::cerr << "musicmill " << command << ": --model-b: " << e.what() << "\n";
    return false;
  }
  return true;
}

int runRender(const Args& args, const char* argv0) {
  const auto in = args.get("in");
  const auto out = args.get("out");
  if (!in || !out) {
    std::cerr << "musicmill render: needs --in INPUT and --out OUTPUT.wav\n"
                 "  example: musicmill render --in voice.wav --out drums.wav --set energy=0.8\n";
    return 2;
  }
  // Refused before any compute: a name whose format is not written, or the input itself.
  if (!audioFormatForPath(*out)) {
    std::cerr << "musicmill render: --out " << *out
              << ": write .wav, .flac, .ogg or .aiff (the extension names the format)\n";
    return 2;
  }
  {
    std::error_code e1, e2;
    if (fs::weakly_canonical(*in, e1) == fs::weakly_canonical(*out, e2) && !e1 && !e2) {
      std::cerr << "musicmill render: --out " << *out << " is the input file; write the result to another file\n";
      return 2;
    }
  }
  const std::string modelPath = args.get("model", bundledModelPath(argv0));
  ModelRuntime::Options opt;
  opt.device = args.get("device", "cpu");
  opt.threads = args.getInt("threads", 1);
  opt.executor = executorOption(args);
  opt.weights = weightsOption(args);
  opt.checkStreaming = true;
  std::unique_ptr<ModelRuntime> model;
  try {
    model = ModelRuntime::load(modelPath, opt);
  } catch (const ModelError& e) {
    std::cerr << "musicmill render: " << e.what() << "\n";
    return 2;
  }
  for (const auto& w : model->info().warnings) std::cerr << "musicmill render: warning: " << w << "\n";
  AudioBuffer input;
  try {
    input = readAudioFile(*in);
  } catch (const AudioFileError& e) {
    std::cerr << "musicmill render: " << e.what() << "\n";
    return 2;
  }
  // Multi-model blending: --model-b M sounds together with the first model.
  std::unique_ptr<ModelRuntime> partner;
  if (!loadPartnerModel(args, opt, "render", partner)) return 2;
  auto registry = makeShowRegistry(*model, partner.get());
  std::vector<TimedSet> timedSets;
  if (!applySetOptions(args, *registry, &timedSets)) return 2;
  if (!applyAttributeOptions(args, *model, partner.get(), *registry)) return 2;
  const int block = args.getInt("block", 0);
  if (block < 0) {
    std::cerr << "musicmill render: --block must be a positive number of latent frames\n";
    return 2;
  }
  FrameProcessor proc(*model, *registry,
                      block > 0 ? block : defaultFramesPerBlock(model->info().ratio),
                      static_cast<uint64_t>(args.getInt("seed", 1)));
  if (partner) {
    try {
      proc.setPartner(std::move(partner));
    } catch (const std::invalid_argument& e) {
      std::cerr << "musicmill render: --model-b: " << e.what() << "\n";
      return 2;
    }
  }
  LfoBank lfos(*registry);
  proc.setModulator(&lfos);
  // Voice analysis and modulation routes, exactly as live.
  ModulationSources modSources;
  std::unique_ptr<VoiceAnalyzer> voice;
  ModulationMatrix matrix(*registry, modSources, &lfos);
  try {
    VoiceAnalysisSettings vs;
    vs.onset.method = args.get("onset-method", "hfc");
    vs.onset.hop = args.getInt("onset-hop", 128);
    vs.onset.threshold = static_cast<float>(args.getDouble("onset-threshold", 0.3));
    voice = std::make_unique<VoiceAnalyzer>(modSources, vs);
  } catch (const std::exception& e) {
    std::cerr << "musicmill render: voice analysis: " << e.what() << "\n";
    return 2;
  }
  std::vector<ModRoute> routes;
  for (const std::string& text : args.all("mod")) {
    std::string err;
    auto r = parseRoute(text, *registry, &err);
    if (!r) {
      std::cerr << "musicmill render: " << err << "\n";
      return 2;
    }
    routes.push_back(*r);
  }
  matrix.setRoutes(routes);
  proc.addModulator(&matrix);
  // Style anchors and a pattern from files (encoded through a separate copy of the model).
  try {
    if (auto a = args.get("anchor-a")) proc.style().load(0, std::make_unique<LatentClip>(encodeFileToClip(modelPath, *a)));
    if (auto b = args.get("anchor-b")) proc.style().load(1, std::make_unique<LatentClip>(encodeFileToClip(modelPath, *b)));
    if (auto p = args.get("pattern"))
      proc.pattern().load(0, std::make_unique<LatentClip>(encodeFileToClip(modelPath, *p, args.getDouble("pattern-bpm", 120.0))));
  } catch (const std::exception& e) {
    std::cerr << "musicmill render: " << e.what() << "\n";
    return 2;
  }

  RenderOptions ro;
  ro.analyzers.push_back(voice.get());
  // Beatbox triggers, as live: after the voice analysis, before the routes (triggerK).
  std::unique_ptr<TriggerAnalyzer> triggers;
  TriggerProfile triggerProfile;
  std::vector<MidiEvent> triggerNotes;
  if (auto path = args.get("triggers")) {
    if (LoadReport report; !loadTriggerProfile(*path, triggerProfile, report)) {
      std::cerr << "musicmill render: the trigger profile cannot be used:\n" << report.text();
      return 2;
    }
    if (const std::string bad = applyTriggerOptions(args, triggerProfile.settings); !bad.empty()) {
      std::cerr << "musicmill render: " << bad << "\n";
      return 2;
    }
    try {
      triggers = std::make_unique<TriggerAnalyzer>(&modSources, triggerProfile.settings);
    } catch (const std::exception& e) {
      std::cerr << "musicmill render: triggers: " << e.what() << "\n";
      return 2;
    }
    triggers->setClassifier(std::make_unique<TriggerClassifier>(triggerProfile));
    ro.analyzers.push_back(triggers.get());
  } else if (args.get("trigger-midi")) {
    std::cerr << "musicmill render: --trigger-midi needs --triggers PROFILE.toml\n";
    return 2;
  }
  ro.analyzers.push_back(&lfos);  // the clocks of the LFOs and the routes are the audio, as live
  ro.analyzers.push_back(&matrix);
  std::unique_ptr<MidiFilePlayer> performance;  // --midi PERFORMANCE.mid --mapping MAP
  if (!attachMidiPerformance(args, *registry, modSources, ro, performance)) return 2;
  if (triggers) {
    // The hits as the live trigger output would send them: a note at the moment each hit
    // is decided (onset + listen window), note off after the profile's note length.
    ro.beforeBlock = [before = ro.beforeBlock, t = triggers.get(), &triggerNotes, &triggerProfile](double time) {
      if (before) before(time);
      TriggerReport r;
      while (t->popReport(r)) {
        if (r.hit.cls < 0 || r.hit.cls >= static_cast<int>(triggerProfile.classes.size())) continue;
        const double at = static_cast<double>(r.hit.decidedSample) / t->sampleRate();
        const uint8_t ch = static_cast<uint8_t>((triggerProfile.settings.midiChannel - 1) & 15);
        const uint8_t note = static_cast<uint8_t>(triggerProfile.classes[static_cast<size_t>(r.hit.cls)].note & 127);
        triggerNotes.push_back(MidiEvent::make(at, 0x90 | ch, note, static_cast<uint8_t>(std::clamp(r.hit.velocity, 1, 127))));
        triggerNotes.push_back(MidiEvent::make(at + triggerProfile.settings.noteLengthMs / 1000.0, 0x80 | ch, note, 0));
      }
    };
  }
  if (!timedSets.empty()) {
    // --set id=value@SECONDS: applied at the first piece at or after its time, after the
    // MIDI performance's events of that piece.
    ro.beforeBlock = [midi = ro.beforeBlock, &timedSets, &registry, next = size_t{0}](double t) mutable {
      if (midi) midi(t);
      for (; next < timedSets.size() && timedSets[next].seconds <= t; ++next)
        registry->set(timedSets[next].index, timedSets[next].value);
    };
  }
  const bool tty = isatty(fileno(stderr));
  const double seconds = static_cast<double>(input.frames()) / input.sampleRate;
  if (tty && seconds > 5.0) {
    ro.progress = [last = -1](double p) mutable {
      const int pct = static_cast<int>(p * 100);
      if (pct == last) return;
      last = pct;
      const int bars = pct / 4;
      std::fprintf(stderr, "\r  rendering [%-25.*s] %3d%%", bars, "#########################", pct);
      if (pct == 100) std::fprintf(stderr, "\n");
    };
  }
  RenderStats stats;
  AudioBuffer result;
  try {
    result = renderBuffer(proc, *registry, input, ro, &stats);
  } catch (const std::exception& e) {  // a ModelError, or an analyzer that cannot start
    std::cerr << "musicmill render: " << e.what() << "\n";
    return 2;
  }
  if (triggers) {
    ro.beforeBlock(static_cast<double>(input.frames()) / input.sampleRate);  // the hits of the last piece
    size_t hits = 0;
    for (const MidiEvent& e : triggerNotes) hits += (e.bytes[0] & 0xF0) == 0x90;
    std::printf("triggers: %zu hits\n", hits);
    if (auto midiOut = args.get("trigger-midi")) {
      const std::vector<uint8_t> bytes = midiFileBytes(triggerNotes);
      if (const std::string err = writeTextAtomically(*midiOut, std::string(bytes.begin(), bytes.end())); !err.empty()) {
        std::cerr << "musicmill render: --trigger-midi: " << err << "\n";
        return 2;
      }
      std::printf("wrote %s: the trigger notes\n", midiOut->c_str());
    }
  }
  try {
    writeAudioFile(*out, result);
  } catch (const AudioFileError& e) {
    std::cerr << "musicmill render: " << e.what() << "\n";
    return 2;
  }
  std::printf("wrote %s: %.2f s, %d Hz, %d channel%s (model %d Hz, %ld blocks of %d samples)\n",
              out->c_str(), seconds, result.sampleRate, result.channels,
              result.channels == 1 ? "" : "s", stats.modelRate, stats.blocks, proc.blockSamples());
  std::printf("compute %.2f s for %.2f s of audio: %.1fx real time; per block median %.3f ms, "
              "p99 %.3f ms, max %.3f ms\n",
              stats.computeSeconds, stats.audioSeconds,
              stats.computeSeconds > 0 ? stats.audioSeconds / stats.computeSeconds : 0.0,
              stats.medianBlockMs, stats.p99BlockMs, stats.maxBlockMs);
  if (stats.nonFiniteBlocks)
    std::printf("warning: the model produced NaN/Inf in %llu blocks; those were muted\n",
                static_cast<unsigned long long>(stats.nonFiniteBlocks));
  return 0;
}


}  // namespace mm
