#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "App.h"
#include "AtomicFile.h"
#include "Commands.h"
#include "ControlLoop.h"
#include "ControlSetup.h"
#include "Json.h"
#include "LfoBank.h"
#include "LiveEngine.h"
#include "MidiInputPorts.h"
#include "ModelRuntime.h"
#include "ModulationSetup.h"
#include "SourcesSetup.h"
#include "Parameters.h"
#include "Resampler.h"
#include "SetListSetup.h"
#include "TriggerSetup.h"
#include "Ui.h"

namespace mm {

namespace {

// What resampling costs a model block when the model's rate is not the audio's: one
// block's input (mono) to the model's rate and its output (`outChannels`) back, as the
// worker does, median of 30 after 3 warm-up rounds, in ms. Measured once before the show
// starts (a few ms of work).
double resampleMsPerBlock(double deviceRate, int modelRate, int modelBlock, int outChannels) {
  Resampler in(deviceRate, modelRate, 1), out(modelRate, deviceRate, outChannels);
  const long devBlock = static_cast<long>(std::ceil(modelBlock * deviceRate / modelRate));
  std::vector<float> devIn(static_cast<size_t>(devBlock)), modelIn(static_cast<size_t>(modelBlock) + 64),
      modelOut(static_cast<size_t>(modelBlock) * outChannels), devOut(static_cast<size_t>(devBlock + 64) * outChannels);
  for (size_t i = 0; i < devIn.size(); ++i) devIn[i] = 0.3f * std::sin(0.05f * static_cast<float>(i));
  for (size_t i = 0; i < modelOut.size(); ++i) modelOut[i] = 0.3f * std::sin(0.07f * static_cast<float>(i));
  std::vector<double> ms;
  for (int r = 0; r < 33; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    long used = 0;
    in.process(devIn.data(), devBlock, modelIn.data(), static_cast<long>(modelIn.size()), &used);
    out.process(modelOut.data(), modelBlock, devOut.data(), devBlock + 64, &used);
    const double took = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (r >= 3) ms.push_back(took);
  }
  std::nth_element(ms.begin(), ms.begin() + static_cast<long>(ms.size() / 2), ms.end());
  return ms[ms.size() / 2];
}
std::atomic<bool> gStop{false};
void onSignal(int) { gStop.store(true); }

}  // namespace

namespace {
std::string statusLine(const EngineStatus& s) {
  char b[256];
  std::snprintf(b, sizeof b,
                "latency %.1f ms | callback %3.0f%% | model %3.0f%% | xruns %llu | late %llu | in %5.1f dB | out %5.1f dB%s",
                s.latencyMs, 100 * s.callbackCpuMean, 100 * s.workerLoad,
                static_cast<unsigned long long>(s.xruns), static_cast<unsigned long long>(s.lateCallbacks),
                20 * std::log10(std::max(1e-6f, s.inputLevel)), 20 * std::log10(std::max(1e-6f, s.outputLevel)),
                s.muted ? " | MUTED" : "");
  return b;
}
}  // namespace

bool writeFileAtomically(const std::string& path, const std::string& text) {
  return writeTextAtomically(path, text).empty();
}

std::string engineReportJson(const LiveEngine& engine, const ParameterRegistry& reg, const App& app,
                             const ControlLoop& control) {
  const std::vector<std::string> routes = app.presets ? app.presets->activeRoutes() : std::vector<std::string>{};
  const EngineStatus s = engine.status();
  JsonWriter j;
  j.beginObject()
      .key("sample_rate").value(s.sampleRate)
      .key("buffer").value(s.buffer)
      .key("model_rate").value(s.modelRate)
      .key("ratio").value(s.ratio)
      .key("latency_ms").value(s.latencyMs)
      .key("latency_samples").value(s.latencySamples)
      .key("start_latency_ms").value(1000.0 * s.startLatencySamples / s.sampleRate)
      .key("latency_growths").value(static_cast<unsigned long long>(s.latencyGrowths))
      .key("latency_shrinks").value(static_cast<unsigned long long>(s.latencyShrinks))
      .key("preroll_samples").value(s.preRollSamples)
      .key("floor_ms").value(s.floorMs)
      .key("compute_budget_ms").value(s.computeBudgetMs)
      .key("worker_realtime").value(s.workerRealtime)
      .key("model_too_slow").value(s.modelTooSlow)
      .key("xruns").value(static_cast<unsigned long long>(s.xruns))
      .key("late_frames").value(static_cast<unsigned long long>(s.lateCallbacks))
      .key("audio_reconnects").value(static_cast<unsigned long long>(engine.audioReconnects()))
      .key("callbacks").value(static_cast<unsigned long long>(s.callbacks))
      .key("callback_cpu_mean").value(s.callbackCpuMean)
      .key("callback_wall_max").value(s.callbackLoad)
      .key("frames_processed").value(static_cast<unsigned long long>(s.blocksProcessed))
      .key("dropped_input_samples").value(static_cast<unsigned long long>(s.droppedInput))
      .key("non_finite_blocks").value(static_cast<unsigned long long>(s.nonFiniteBlocks))
      .key("model_fault_blocks").value(static_cast<unsigned long long>(s.faultBlocks))
      .key("partner_non_finite_blocks").value(static_cast<unsigned long long>(s.partnerNonFiniteBlocks))
      .key("control_ticks").value(static_cast<unsigned long long>(control.ticks()))
      .key("control_longest_tick_ms").value(control.longestTickMs())
      .key("midi_dropped").value(static_cast<unsigned long long>(app.midi ? app.midi->dropped() : 0))
      .key("compute_ms").beginObject()
      .key("median").value(s.compute.medianMs)
      .key("p99").value(s.compute.p99Ms)
      .key("max").value(s.compute.maxMs)
      .key("count").value(static_cast<unsigned long long>(s.compute.count))
      .endObject()
      .key("routes").beginArray();
  for (const std::string& r : routes) j.value(r);  // the modulation routes playing, in --mod syntax
  j.endArray().key("params").beginObject();
  for (int i = 0; i < reg.size(); ++i) j.key(reg.spec(i).id).value(static_cast<double>(reg.get(i)));
  j.endObject().endObject();
  return j.str() + "\n";
}

int runPerform(const Args& args, const char* argv0) {
  // Checked before anything starts, with or without a display.
  if (const std::string redraw = args.get("ui-redraw", "changes"); redraw != "changes" && redraw != "always") {
    std::cerr << "musicmill perform: --ui-redraw takes 'changes' or 'always', not '" << redraw << "'\n";
    return 2;
  }
  const std::string modelPath = args.get("model", bundledModelPath(argv0));
  ModelRuntime::Options mo;
  mo.device = args.get("device", "cpu");
  mo.threads = args.getInt("threads", 1);
  mo.executor = executorOption(args);
  mo.weights = weightsOption(args);
  mo.checkStreaming = true;  // an export without streaming would click at every block: say so
  std::unique_ptr<ModelRuntime> model;
  try {
    model = ModelRuntime::load(modelPath, mo);
  } catch (const ModelError& e) {
    std::cerr << "musicmill perform: " << e.what() << "\n";
    return 2;
  }
  for (const auto& w : model->info().warnings) std::cerr << "musicmill perform: warning: " << w << "\n";
  // Multi-model blending: --model-b M sounds together with the first model.
  std::unique_ptr<ModelRuntime> partner;
  if (!loadPartnerModel(args, mo, "perform", partner)) return 2;
  std::vector<std::string> setLists;
  if (auto s = args.get("set-list")) setLists.push_back(*s);
  const ShowSizes sizes = showSizes(setLists, args.all("preset"), modelLibraryFor(args, argv0), mo);
  auto registry = makeShowRegistry(*model, partner.get(), sizes.latent, sizes.partnerLatent);
  if (!applySetOptions(args, *registry)) return 2;
  if (!applyAttributeOptions(args, *model, partner.get(), *registry)) return 2;

  AudioConfig cfg;
  cfg.api = args.get("audio-api", "auto");
  cfg.inputDevice = args.get("input", "");
  cfg.outputDevice = args.get("output", "");
  cfg.rate = args.getInt("rate", 0);
  cfg.buffer = args.getInt("buffer", 128);
  cfg.framesPerBlock = args.getInt("block", 0);
  cfg.autoConnect = !args.has("no-connect");
  cfg.extraSafetyMs = args.getDouble("safety-ms", 0.0);
  cfg.adaptiveLatency = !args.has("fixed-latency");
  cfg.realtimeWorker = !args.has("no-realtime-worker");
  if (cfg.buffer < 16 || cfg.buffer > 8192) {
    std::cerr << "musicmill perform: --buffer must lie in 16 .. 8192 frames\n";
    return 2;
  }
  LiveEngine engine(*registry);
  try {
    if (partner) engine.setPartnerForNextModel(std::move(partner));
    engine.open(std::move(model), cfg);
  } catch (const std::invalid_argument& e) {
    std::cerr << "musicmill perform: --model-b: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "musicmill perform: " << e.what() << "\n";
    return 3;
  }
  if (auto dir = args.get("record")) {
    const std::string err = engine.startRecording(*dir);
    if (!err.empty()) {
      std::cerr << "musicmill perform: " << err << "\n";
      return 2;
    }
  }
  App app;
  app.args = &args;
  app.argv0 = argv0;
  app.modelPath = modelPath;
  app.registry = registry.get();
  app.engine = &engine;
  app.library = modelLibraryFor(args, argv0);
  // The parts, each from its own file, in the order App declares them.
  if (!app.build()) return 2;

  // Resampling, when the model's rate is not the audio's: its cost, measured before the show.
  double resampleMs = -1;
  if (InferenceWorker* w = engine.worker(); w && static_cast<int>(engine.sampleRate()) != w->info().sampleRate)
    resampleMs = resampleMsPerBlock(engine.sampleRate(), w->info().sampleRate, w->blockSamplesModel(), w->info().outChannels);

  std::signal(SIGINT, onSignal);
  std::signal(SIGTERM, onSignal);
  try {
    engine.start();
  } catch (const std::exception& e) {
    std::cerr << "musicmill perform: " << e.what() << "\n";
    return 3;
  }
  const EngineStatus s0 = engine.status();
  std::printf("musicmill: playing %s at %d Hz, buffer %d, model %d Hz ratio %d; latency %.1f ms "
              "(%ld samples, mic to speaker). Ctrl-C stops.\n"
              "audio: %s\n",
              modelPath.c_str(), s0.sampleRate, s0.buffer, s0.modelRate, s0.ratio, s0.latencyMs,
              s0.latencySamples, engine.audioRoute().c_str());
  if (s0.modelRate != s0.sampleRate)
    std::fprintf(stderr, "musicmill perform: note: the model runs at %d Hz and the audio at %d Hz: the model's input and "
                         "output are resampled on its worker thread, %.3f ms a block of %.1f ms measured here (part of "
                         "the compute; the latency above includes it)\n",
                 s0.modelRate, s0.sampleRate, resampleMs,
                 1000.0 * (engine.worker() ? engine.worker()->blockSamplesModel() : s0.ratio) / s0.modelRate);
  if (s0.modelTooSlow)
    std::fprintf(stderr, "musicmill perform: warning: at its warm-up this model took about as long to compute as "
                         "the audio it makes (budget %.1f ms per block) on this machine: expect late frames; a "
                         "lighter model, a larger --block or a quieter machine helps\n",
                 s0.computeBudgetMs);
  std::fflush(stdout);
  // Every control (MIDI, OSC, navigation, ramps, autosave) from here on is carried out on
  // the control thread, whatever the UI or this thread do.
  bool headless = args.has("headless") || !uiAvailable();
  // With the UI the control thread also publishes what it shows of the parts (App::view).
  app.uiAttached = !headless;
  ControlLoop control(app);
  control.start();
  const double duration = args.getDouble("duration", 0.0);
  int exitStatus = 0;
  uint64_t shownMessages = 0;  // headless: messages printed so far
  if (!headless) {
    exitStatus = runUi(app, duration);
    if (exitStatus == 3) {
      // No window (display gone, driver refused): the show goes on without the UI.
      std::fprintf(stderr, "musicmill perform: the UI could not open; the sound goes on headless (Ctrl-C stops)\n");
      exitStatus = 0;
      headless = true;
      app.uiAttached = false;
    }
  }
  if (headless) {
    const bool tty = isatty(fileno(stdout));
    const auto t0 = std::chrono::steady_clock::now();
    auto lastPrint = t0;
    while (!gStop.load() && !app.stopRequested.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      for (const auto& m : app.messagesSince(shownMessages)) std::printf("%s%s\n", tty ? "\r" : "", m.c_str());
      const auto now = std::chrono::steady_clock::now();
      if (duration > 0 && std::chrono::duration<double>(now - t0).count() >= duration) break;
      const double sincePrint = std::chrono::duration<double>(now - lastPrint).count();
      if ((tty && sincePrint >= 0.25) || (!tty && sincePrint >= 5.0)) {
        lastPrint = now;
        std::string line;
        {
          // The control thread may be reopening the audio stream under the engine.
          std::lock_guard<std::mutex> lock(app.controlMutex);
          line = statusLine(engine.status());
        }
        if (tty) std::printf("\r%s   ", line.c_str());
        else std::printf("%s\n", line.c_str());
        std::fflush(stdout);
      }
    }
  }
  control.stop();
  // What the control thread said in its last ticks (a switch just before Ctrl-C).
  if (headless)
    for (const auto& m : app.messagesSince(shownMessages)) std::printf("%s\n", m.c_str());
  app.stop();
  engine.stop();
  const EngineStatus s = engine.status();
  std::printf("%s%s\n", isatty(fileno(stdout)) ? "\n" : "", statusLine(s).c_str());
  if (engine.recorder().writtenFrames() > 0)
    std::printf("recorded %s\n", engine.recorder().path().c_str());
  if (auto report = args.get("report")) {
    if (!writeFileAtomically(*report, engineReportJson(engine, *registry, app, control))) {
      std::cerr << "musicmill perform: cannot write the report '" << *report << "'\n";
      return 2;
    }
  }
  return exitStatus;
}

int runDevices(const Args& args) {
  for (const auto& line : listAudioDevices(args.get("audio-api", "auto"))) std::printf("%s\n", line.c_str());
  const std::string midiApi = chooseMidiApi(args);
  for (const auto& line : listMidiPorts(midiApi)) std::printf("%s\n", line.c_str());
  return 0;
}

}  // namespace mm
