// InferenceWorker: the one persistent thread per loaded model (DESIGN.md threads).
// It waits for a full model block of input, runs the shared FrameProcessor
// (encode -> latent controls -> decode), and pushes the output. It converts between the
// device rate and the model rate on its side of the FIFOs so the audio thread only copies.
//
// Threads: start()/stop()/configuration on the control thread; the loop on its own thread;
// the FIFOs are SPSC: input written by the audio thread, output read by the audio thread.
#pragma once

#include <atomic>
#include <cmath>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "FrameProcessor.h"
#include "ModelRuntime.h"
#include "Resampler.h"
#include "Semaphore.h"
#include "SpscFifo.h"
#include "TripleBuffer.h"

namespace mm {

struct ComputeStats {
  double medianMs = 0, p99Ms = 0, maxMs = 0;
  uint64_t count = 0;
};

class InferenceWorker {
 public:
  InferenceWorker(std::unique_ptr<ModelRuntime> model, ParameterRegistry& registry,
                  int framesPerBlock, double deviceRate, uint64_t seed = 1);
  ~InferenceWorker();

  // Control thread, before start(): sizes the FIFOs for `maxCallbackFrames` per callback.
  void prepare(int maxCallbackFrames);
  // Runs the model on silence `blocks` times and returns per-block compute times (ms).
  // From block `paceFrom` on, each block starts a block's duration after the previous one
  // (the thread sleeps between them), as the live worker's blocks do.
  std::vector<double> warmUp(int blocks, int paceFrom);
  // `realtime`: the worker thread asks for the lowest real-time priority (best effort;
  // realtimeGranted() says whether it got it).
  void start(bool realtime = false);
  void stop();
  bool realtimeGranted() const { return realtimeGranted_.load(); }

  // Audio thread: hand over mono input at the device rate; wake the worker.
  MM_REALTIME void pushInput(const float* x, int n) noexcept;
  // Audio thread: output FIFO (model output channels interleaved, device rate).
  SingleReaderSingleWriterFifo<float>& output() { return outFifo_; }
  int outputChannels() const { return outCh_; }
  // Control thread, before start(): silence ahead of the first real output (pre-roll).
  void primeOutput(int deviceFrames);

  // Any thread.
  void requestPanic() { panic_.store(true); }
  bool reloading() const { return reloading_.load(); }
  void setArtificialDelayMs(double ms) { artificialDelayMs_.store(ms); }  // test hook
  uint64_t blocksProcessed() const { return blocks_.load(); }
  uint64_t droppedInput() const { return droppedInput_.load(); }
  uint64_t nonFiniteBlocks() const { return nonFinite_.load(); }
  uint64_t partnerNonFiniteBlocks() const { return partnerNonFinite_.load(); }
  // A blend's two models as they sound (FrameProcessor::lastPowerA/B), each smoothed over
  // about 0.3 s, in dBFS RMS (-120 when silent or no blend).
  double blendLevelDbA() const { return levelDb(powerA_.load(std::memory_order_relaxed)); }
  double blendLevelDbB() const { return levelDb(powerB_.load(std::memory_order_relaxed)); }
  // Blocks where model code threw (a c10::Error, std::bad_alloc, a ModelError, anything):
  // each was muted like a NaN block and the worker went on. The last reason, for the
  // control thread to say (any thread; copies under a mutex the audio thread never takes).
  uint64_t faultBlocks() const { return faults_.load(); }
  std::string lastFault() const;
  uint64_t reloads() const { return reloads_.load(); }  // completed panic reloads
  ComputeStats computeStats() const;  // control thread, after stop() or approximate live
  double lastComputeMs() const { return lastComputeMs_.load(); }
  const ModelInfo& info() const { return processor_->info(); }
  int blockSamplesModel() const { return processor_->blockSamples(); }
  double blockSamplesDevice() const;
  FrameProcessor& processor() { return *processor_; }
  // Copy of the latest performed latents (dims x frames) for the UI: one reader thread
  // at a time (the UI's), lock-free, never a half-written block.
  void latestLatents(std::vector<float>& out) const;

 private:
  void loop();
  void processAvailable();
  void reloadModel();
  void noteFault(const char* what) noexcept;

  std::unique_ptr<ModelRuntime> model_;
  ParameterRegistry& registry_;
  std::unique_ptr<FrameProcessor> processor_;
  int framesPerBlock_;
  double deviceRate_;
  uint64_t seed_;
  int outCh_;
  std::unique_ptr<Resampler> toModel_, toDevice_;
  SingleReaderSingleWriterFifo<float> inFifo_, outFifo_;
  std::vector<float> devIn_, modelIn_, modelOut_, modelOutInterleaved_, devOut_;
  size_t modelFill_ = 0;
  WakeSignal wake_;
  std::thread thread_;
  std::atomic<bool> running_{false}, panic_{false}, reloading_{false}, realtimeGranted_{false};
  std::atomic<double> artificialDelayMs_{0.0}, lastComputeMs_{0.0};
  std::atomic<uint64_t> blocks_{0}, droppedInput_{0}, nonFinite_{0}, partnerNonFinite_{0}, faults_{0};
  std::atomic<float> powerA_{0.f}, powerB_{0.f};  // worker writes, anyone reads
  static double levelDb(float power) { return power > 1e-12f ? 10.0 * std::log10(power) : -120.0; }
  mutable std::mutex faultMutex_;  // worker and control threads only
  std::string lastFault_;
  // Per-block compute times: the worker writes slot [count % size] then publishes count.
  // Atomic slots: a status read while the worker writes (after the ring wrapped) is not
  // a data race, only slightly stale.
  static constexpr size_t kComputeSlots = size_t{1} << 18;
  std::unique_ptr<std::atomic<double>[]> computeMs_;
  std::atomic<uint64_t> computeCount_{0};
  std::atomic<uint64_t> reloads_{0};
  mutable TripleBuffer<std::vector<float>> latents_;
};

}  // namespace mm
