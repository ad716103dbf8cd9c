// LiveEngine: mic -> input stage -> InferenceWorker (encode -> latent controls -> decode)
// -> output stage -> speakers, through a full-duplex RtAudio stream.
//
// Threads:
//  - audio thread: processBlock() only (MM_REALTIME). It copies input into the worker's
//    FIFO, pulls decoded audio, crossfades to dry when the model is late, applies dry/wet,
//    gain and the safety limiter, feeds meters and the recorder. Never waits.
//  - control thread (main/UI): open/start/stop, panic, status(), parameter writes.
//  - the worker thread (InferenceWorker) and the recorder thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "InferenceWorker.h"
#include "ModulationSources.h"
#include "ModelRuntime.h"
#include "Parameters.h"
#include "PerformanceRecorder.h"
#include "SignalStages.h"

class RtAudio;

namespace mm {

struct AudioConfig {
  std::string api = "auto";  // jack | alsa | pulse | coreaudio | auto
  std::string inputDevice;   // name (or part of it) or index; "" = default
  std::string outputDevice;
  int rate = 0;              // 0 = the device's (JACK: the server's) rate
  int buffer = 128;
  int framesPerBlock = 0;    // latent frames per model call; 0 = defaultFramesPerBlock
  int inputChannel = 0;      // which input channel carries the voice
  bool autoConnect = true;   // JACK: connect to the system ports
  std::string clientName = "musicmill";
  double extraSafetyMs = 0;  // added to the measured compute budget
  // The inference worker asks for the lowest real-time priority when its measured load
  // leaves at least half a core free (best effort; see promoteToLowRealtimePriority).
  bool realtimeWorker = true;
  // When the worker misses a deadline (a scheduling spike, an xrun), the engine settles
  // at a higher latency instead of dropping out again at the next spike: it plays the
  // late output when it comes, rounded up to whole buffers, up to `maxGrowthBlocks` model
  // blocks in all. Off: the latency stays fixed and late output is skipped.
  bool adaptiveLatency = true;
  double maxGrowthBlocks = 2.0;
  // ... and after this long without a late frame it comes back down, one buffer at a time
  // (each step crossfaded over one buffer, so no click), a step every `shrinkStepSeconds`
  // while it stays quiet, never below where it started.
  double shrinkAfterSeconds = 30.0;
  double shrinkStepSeconds = 2.0;
};

struct EngineStatus {
  bool running = false;
  int sampleRate = 0, buffer = 0, modelRate = 0, ratio = 0;
  long preRollSamples = 0;       // what the engine adds: frame + compute, in device samples
  long latencySamples = 0;       // mic to speaker: pre-roll + growth + input and output buffers
  long startLatencySamples = 0;  // what it started at (before adaptive growth)
  uint64_t latencyGrowths = 0;   // times the engine settled at a higher latency
  uint64_t latencyShrinks = 0;   // times it came back down a buffer after a quiet period
  double latencyMs = 0, floorMs = 0, computeBudgetMs = 0;
  uint64_t xruns = 0, lateCallbacks = 0, callbacks = 0, blocksProcessed = 0, droppedInput = 0;
  uint64_t faultBlocks = 0;             // blocks muted because the playing model threw
  uint64_t nonFiniteBlocks = 0;         // blocks the playing model was muted for NaN/Inf
  uint64_t partnerNonFiniteBlocks = 0;  // the same for its blend partner (model B)
  // A blend's two models as they sound now (after Model A/B's gains), dBFS RMS over
  // ~0.3 s; -120 when the playing model has no partner.
  double blendLevelDbA = -120, blendLevelDbB = -120;
  // The audio callback against its buffer's duration, over the last second. Wall time
  // (the max) includes any time the callback's thread was preempted, which a busy or
  // virtual machine inflates; CPU time (the mean, what the UI's "audio CPU" shows) is the
  // callback's own work only, so another thread's load (the UI's renderer) never shows there.
  double callbackLoad = 0;       // wall time, max
  double callbackCpuMean = 0;    // CPU time of the callback's thread, mean
  double workerLoad = 0;         // last compute time / block duration
  float inputLevel = 0, outputLevel = 0;
  bool gateOpen = false, fallbackActive = false, muted = false;
  bool workerRealtime = false;   // the current model's worker got real-time priority
  bool modelTooSlow = false;     // its median compute per block is over 90 % of the block
  ComputeStats compute;
};

class LiveEngine {
 public:
  explicit LiveEngine(ParameterRegistry& registry);
  ~LiveEngine();

  // Control thread. Opens the device and prepares everything (throws std::runtime_error
  // with a user-facing message). The model is moved into the worker.
  void open(std::unique_ptr<ModelRuntime> model, const AudioConfig& config);
  // Same without a device: for tests that drive processBlock() themselves.
  void openWithoutDevice(std::unique_ptr<ModelRuntime> model, double rate, int buffer,
                         int deviceInChannels, int deviceOutChannels, int framesPerBlock = 0);
  void start();
  void stop();
  // Control thread. True when the audio server went away under a running engine (a JACK
  // server stopped or killed: RtAudio closed the stream), and while a reopen runs. The
  // models, parameters and set stay as they are; only the sound stops until reopenAudio()
  // succeeds. Never waits (a reopen in progress holds the stream's mutex).
  bool audioLost() const;
  // Any one thread at a time (EngineWatch's ReopenThread), after audioLost(): opens and
  // starts the same stream again (same API, devices, rate and channels). Returns "" on
  // success, else why not (the server is not back yet, or it came back at another rate).
  // Never throws.
  std::string reopenAudio();
  uint64_t audioReconnects() const { return reconnects_.load(); }

  MM_REALTIME void processBlock(const float* in, float* out, int n, bool xrun) noexcept;

  // Control thread: preloads another model (own worker, warmed up, pre-roll measured) and
  // returns its slot. Slot 0 is the model given to open(). Throws std::runtime_error.
  int addModel(std::unique_ptr<ModelRuntime> model, std::unique_ptr<ModelRuntime> partner = nullptr);
  // The same in two steps, so that a model loaded during the show never holds the control
  // thread: prepareModel() on a loader thread (one load at a time) builds the worker, warms
  // it up and measures its pre-roll in the next free slot, still invisible to everyone;
  // publishModel() on the control thread runs the processor setups, starts the worker
  // and makes the slot selectable. Slots are published in the order they were prepared.
  // `partner`: a model B sounding with it (as setPartnerForNextModel), or none.
  int prepareModel(std::unique_ptr<ModelRuntime> model, std::unique_ptr<ModelRuntime> partner = nullptr);
  void publishModel(int slot);
  // Control thread, before open(): the model opened gets `partner` as
  // its model B (multi-model blending, FrameProcessor::setPartner), in place before its
  // warm-up so that the measured compute and the latency include both models. Throws
  // std::invalid_argument (from setPartner) when B cannot partner that model.
  void setPartnerForNextModel(std::unique_ptr<ModelRuntime> partner) { pendingPartner_ = std::move(partner); }
  // Control thread: switch to `slot`. The new model starts listening now; once its
  // pre-roll has passed, the old model's output crossfades into it over `crossfadeMs`
  // (equal-gain, on the audio thread). No click, no gap.
  void selectModel(int slot, double crossfadeMs = 50.0);
  int currentModel() const { return current_.load(); }
  int modelCount() const { return slotCount_.load(); }
  InferenceWorker* workerAt(int slot) { return slot >= 0 && slot < slotCount_.load() ? slots_[slot].worker.get() : nullptr; }

  // Control thread: called for the processor of every model slot, now and for slots added
  // later (attach per-slot modulators here; each slot runs on its own worker thread, so
  // each needs its own modulator objects).
  // Several subsystems may each add one; they run in the order added.
  void setProcessorSetup(std::function<void(FrameProcessor&)> setup);

  // Control thread, every tick: a pattern captured by one model slot's worker is loaded into
  // every other slot with the same latent size, so it plays after a switch too.
  void sharePatternCaptures();
  // Control thread, before start(): analyzers run on the processed input in the callback.
  void addInputAnalyzer(InputAnalyzer* analyzer);
  double sampleRate() const { return rate_; }
  int bufferSize() const { return buffer_; }

  void panic();  // silence now; reload the model off the audio path; sound returns after
  EngineStatus status() const;
  std::string startRecording(const std::string& dir);
  void stopRecording();
  PerformanceRecorder& recorder() { return recorder_; }
  InferenceWorker* worker() { return slots_[current_.load()].worker.get(); }  // current model
  const AudioConfig& config() const { return config_; }
  int deviceOutChannels() const { return devOut_; }
  // What open() opened, for the start line: "JACK: in 'system' (1 ch) -> out 'system' (2 ch),
  // ports connected". Set by open() (main thread) only.
  const std::string& audioRoute() const { return audioRoute_; }

  // Pre-roll (device samples) that a block of `blockDevice` samples, callbacks of
  // `buffer` samples and `computeSamples` of compute need so that no callback ever finds
  // its output missing. Found by simulating the schedule (exposed for tests/benchmarks).
  static long minimumPreRoll(double blockDevice, int buffer, double computeSamples);

 private:
  void prepare(std::unique_ptr<ModelRuntime> model, double rate, int buffer, int framesPerBlock);
  struct Slot {
    std::unique_ptr<InferenceWorker> worker;
    long preRoll = 0;
    double floorMs = 0, budgetMs = 0;
    bool realtimeOk = false;  // light enough for a real-time worker thread
    bool tooSlow = false;     // median compute close to or over one block: cannot keep up
    // audio-thread state
    bool active = false;
    long delay = 0;   // samples of silence still to play before reading its output
    long debt = 0;    // output samples owed by the worker (skipped when they arrive)
    long gap = 0;     // samples still to bridge (hold, fade to dry) after a latency growth
    long growCap = 0; // most the latency may grow (samples)
    std::atomic<long> grown{0};         // audio thread writes; status() reads
    std::atomic<uint64_t> growths{0};
    std::atomic<uint64_t> shrinks{0};
    long quiet = 0;   // samples played since its last late frame
    float fade = 1.f; // 1 = model output, 0 = fallback to dry (late)
    float hold[2] = {0.f, 0.f};
  };
  std::unique_ptr<InferenceWorker> makeWorker(std::unique_ptr<ModelRuntime> model,
                                              std::unique_ptr<ModelRuntime> partner, Slot& slot);
  // Audio thread: reads one buffer of `slot`'s output (device channel layout) into `dst`.
  void readSlot(Slot& slot, float* dst, int n) noexcept;
  static constexpr int kMaxSlots = 16;

  ParameterRegistry& registry_;
  StandardParams sp_;
  AudioConfig config_;
  std::unique_ptr<RtAudio> openDevice(const AudioConfig& cfg, int rate, unsigned& frames, int& inCh, int& outCh,
                                      std::string* route = nullptr);
  std::unique_ptr<RtAudio> audio_;
  // Guards audio_ between the control thread (start, stop, audioLost) and a reopen on a
  // thread of its own; audioLost() only tries it.
  mutable std::mutex audioMutex_;
  std::atomic<uint64_t> reconnects_{0};
  Slot slots_[kMaxSlots];
  std::unique_ptr<ModelRuntime> pendingPartner_;
  std::atomic<int> slotCount_{0}, current_{0}, requested_{0};
  std::atomic<long> crossfadeSamples_{2205};
  int audioCurrent_ = 0, audioTarget_ = -1;  // audio-thread view of the switch
  float switchMix_ = 0.f;
  std::vector<float> wet2_;
  std::vector<std::function<void(FrameProcessor&)>> processorSetups_;
  static constexpr int kMaxAnalyzers = 8;
  InputAnalyzer* analyzers_[kMaxAnalyzers] = {};
  int analyzerCount_ = 0;
  std::atomic<int> reserved_{0};  // slots prepared or published (loader, control thread)
  uint64_t sampleTime_ = 0;
  int framesPerBlock_ = 0;
  InputStage inStage_;
  OutputStage outStage_;
  PerformanceRecorder recorder_;
  double rate_ = 44100;
  int buffer_ = 128, devIn_ = 1, devOut_ = 2;
  std::string audioRoute_;
  std::vector<float> mono_, wet_, dev_;
  std::vector<float> skip_;  // a block and one buffer ahead, for a latency step down
  float fadeStep_ = 0.f;
  float muteGain_ = 1.f;
  std::atomic<bool> muted_{false}, fallback_{false};
  std::atomic<uint64_t> xruns_{0}, late_{0}, callbacks_{0};
  std::atomic<float> inLevel_{0.f}, outLevel_{0.f}, load_{0.f}, cpuMean_{0.f};
  std::atomic<bool> gateOpen_{false};
  std::atomic<bool> running_{false};
  std::atomic<uint64_t> panicTarget_{0};  // worker reload count that ends the mute
  float loadMax_ = 0.f, cpuSum_ = 0.f;
  int loadCount_ = 0;
};

// Lists audio devices of an API (or all compiled APIs) as printable lines.
std::vector<std::string> listAudioDevices(const std::string& api);
std::vector<std::string> compiledAudioApis();

}  // namespace mm
