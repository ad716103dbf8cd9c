#include "InferenceWorker.h"

#include <algorithm>
#include <chrono>
#include <thread>
#include <cmath>
#include <cstdio>

namespace mm {

InferenceWorker::InferenceWorker(std::unique_ptr<ModelRuntime> model, ParameterRegistry& registry,
                                 int framesPerBlock, double deviceRate, uint64_t seed)
    : model_(std::move(model)),
      registry_(registry),
      framesPerBlock_(framesPerBlock),
      deviceRate_(deviceRate),
      seed_(seed),
      outCh_(model_->info().outChannels) {
  processor_ = std::make_unique<FrameProcessor>(*model_, registry_, framesPerBlock_, seed_);
  const double modelRate = model_->info().sampleRate;
  if (modelRate != deviceRate_) {
    toModel_ = std::make_unique<Resampler>(deviceRate_, modelRate, 1);
    toDevice_ = std::make_unique<Resampler>(modelRate, deviceRate_, outCh_);
  }
  computeMs_ = std::make_unique<std::atomic<double>[]>(kComputeSlots);
  for (size_t i = 0; i < kComputeSlots; ++i) computeMs_[i].store(0.0, std::memory_order_relaxed);
}

InferenceWorker::~InferenceWorker() { stop(); }

double InferenceWorker::blockSamplesDevice() const {
  return processor_->blockSamples() * deviceRate_ / processor_->info().sampleRate;  // any thread
}

void InferenceWorker::prepare(int maxCallbackFrames) {
  const int block = processor_->blockSamples();
  // Room for 2 s of audio on both sides: a model reload after panic or a compute spike
  // must never make the audio thread drop input.
  const size_t cap = static_cast<size_t>(std::max<double>(2.0 * deviceRate_, 16.0 * (block + maxCallbackFrames)));
  inFifo_.reset(cap);
  outFifo_.reset(cap * outCh_);
  devIn_.assign(cap, 0.f);
  modelIn_.assign(static_cast<size_t>(block) * 4 + cap, 0.f);
  modelOut_.assign(static_cast<size_t>(block) * outCh_, 0.f);
  modelOutInterleaved_.assign(static_cast<size_t>(block) * outCh_, 0.f);
  devOut_.assign((static_cast<size_t>(block * deviceRate_ / model_->info().sampleRate) + 256) * outCh_, 0.f);
  modelFill_ = 0;
  const size_t latentSize = processor_->lastLatents().size();
  latents_.forEach([&](std::vector<float>& b) { b.assign(latentSize, 0.f); });
}

std::vector<double> InferenceWorker::warmUp(int blocks, int paceFrom) {
  std::vector<float> in(static_cast<size_t>(processor_->blockSamples()) * model_->info().inChannels, 0.f);
  const auto period = std::chrono::duration<double>(static_cast<double>(blockSamplesModel()) / model_->info().sampleRate);
  std::vector<double> ms;
  for (int i = 0; i < blocks; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    processor_->process(in.data(), modelOut_.data());
    const auto spent = std::chrono::steady_clock::now() - t0;
    ms.push_back(std::chrono::duration<double, std::milli>(spent).count());
    // As live: the next block comes a block's duration after this one started, and the
    // thread sleeps until then (a frame that starts cold costs more than one run back to
    // back: bench/worker_gap.py).
    if (i >= paceFrom && spent < period) std::this_thread::sleep_for(period - spent);
  }
  return ms;
}

void InferenceWorker::primeOutput(int deviceFrames) {
  std::vector<float> zeros(static_cast<size_t>(deviceFrames) * outCh_, 0.f);
  outFifo_.push(zeros.data(), zeros.size());
}

void InferenceWorker::start(bool realtime) {
  if (running_.exchange(true)) return;
  thread_ = std::thread([this, realtime] {
    if (realtime) realtimeGranted_.store(promoteToLowRealtimePriority());
    loop();
  });
}

void InferenceWorker::stop() {
  if (!running_.exchange(false)) return;
  wake_.post();
  if (thread_.joinable()) thread_.join();
}

void InferenceWorker::pushInput(const float* x, int n) noexcept {
  const size_t put = inFifo_.push(x, static_cast<size_t>(n));
  if (put < static_cast<size_t>(n)) droppedInput_.fetch_add(n - put, std::memory_order_relaxed);
  wake_.post();
}

void InferenceWorker::loop() {
  flushDenormals();
  while (running_.load()) {
    wake_.waitFor(std::chrono::milliseconds(20));
    if (!running_.load()) break;
    // Whatever model code throws must not end the show: processAvailable mutes the block
    // that failed and goes on; this outer net catches what is thrown around it.
    try {
      if (panic_.exchange(false)) reloadModel();
      processAvailable();
    } catch (const std::exception& e) {
      noteFault(e.what());
    } catch (...) {
      noteFault("an exception that is not a std::exception");
    }
  }
}

void InferenceWorker::noteFault(const char* what) noexcept {
  faults_.fetch_add(1);
  try {
    std::lock_guard<std::mutex> lock(faultMutex_);
    lastFault_ = what;
  } catch (...) {  // no memory for the text: the count still says it happened
  }
}

std::string InferenceWorker::lastFault() const {
  std::lock_guard<std::mutex> lock(faultMutex_);
  return lastFault_;
}

void InferenceWorker::processAvailable() {
  const int block = processor_->blockSamples();
  const ModelInfo& info = model_->info();
  for (;;) {
    // 1. Move device-rate input into the model-rate accumulator.
    const size_t avail = inFifo_.available();
    if (avail > 0 && modelFill_ < static_cast<size_t>(block)) {
      const size_t n = inFifo_.pop(devIn_.data(), avail);
      if (toModel_) {
        long used = 0, pos = 0;
        while (pos < static_cast<long>(n)) {
          const long got = toModel_->process(devIn_.data() + pos, static_cast<long>(n) - pos,
                                             modelIn_.data() + modelFill_,
                                             static_cast<long>(modelIn_.size() - modelFill_), &used);
          modelFill_ += static_cast<size_t>(got);
          pos += used;
          if (used == 0 && got == 0) break;
        }
      } else {
        std::copy(devIn_.begin(), devIn_.begin() + n, modelIn_.begin() + modelFill_);
        modelFill_ += n;
      }
    }
    if (modelFill_ < static_cast<size_t>(block)) return;

    // 2. One model block: the frame starts as soon as it is complete.
    const double delay = artificialDelayMs_.load();
    const auto t0 = std::chrono::steady_clock::now();
    if (delay > 0) std::this_thread::sleep_for(std::chrono::microseconds(static_cast<long>(delay * 1000)));
    try {
      if (!processor_->process(modelIn_.data(), modelOut_.data())) nonFinite_.fetch_add(1);
      if (processor_->lastPartnerMuted()) partnerNonFinite_.fetch_add(1);
      if (processor_->hasPartner()) {  // one-pole smoothing of the blend's two levels, ~0.3 s
        const float k = std::min(1.f, static_cast<float>(processor_->blockSamples()) /
                                          (0.3f * static_cast<float>(processor_->info().sampleRate)));
        powerA_.store(powerA_.load(std::memory_order_relaxed) * (1.f - k) + k * processor_->lastPowerA(),
                      std::memory_order_relaxed);
        powerB_.store(powerB_.load(std::memory_order_relaxed) * (1.f - k) + k * processor_->lastPowerB(),
                      std::memory_order_relaxed);
      }
    } catch (const std::exception& e) {
      // The block is muted as a NaN block is, and consumed: the stream keeps its timing
      // (a missing block would read as a late frame and grow the latency).
      std::fill(modelOut_.begin(), modelOut_.end(), 0.f);
      noteFault(e.what());
    } catch (...) {
      std::fill(modelOut_.begin(), modelOut_.end(), 0.f);
      noteFault("an exception that is not a std::exception");
    }
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    lastComputeMs_.store(ms);
    const uint64_t k = computeCount_.load(std::memory_order_relaxed);
    computeMs_[k % kComputeSlots].store(ms, std::memory_order_relaxed);
    computeCount_.store(k + 1, std::memory_order_release);
    blocks_.fetch_add(1);
    latents_.back() = processor_->lastLatents();  // same size: no allocation
    latents_.publish();
    std::copy(modelIn_.begin() + block, modelIn_.begin() + modelFill_, modelIn_.begin());
    modelFill_ -= static_cast<size_t>(block);

    // 3. Interleave, convert back to the device rate, hand to the audio thread.
    for (int i = 0; i < block; ++i)
      for (int c = 0; c < outCh_; ++c)
        modelOutInterleaved_[static_cast<size_t>(i) * outCh_ + c] = modelOut_[static_cast<size_t>(c) * block + i];
    if (toDevice_) {
      long used = 0, pos = 0;
      while (pos < block) {
        const long got = toDevice_->process(modelOutInterleaved_.data() + static_cast<size_t>(pos) * outCh_,
                                            block - pos, devOut_.data(),
                                            static_cast<long>(devOut_.size() / outCh_), &used);
        outFifo_.push(devOut_.data(), static_cast<size_t>(got) * outCh_);
        pos += used;
        if (used == 0 && got == 0) break;
      }
    } else {
      outFifo_.push(modelOutInterleaved_.data(), static_cast<size_t>(block) * outCh_);
    }
    (void)info;
  }
}

void InferenceWorker::reloadModel() {
  // Panic: a fresh copy of the model resets its streaming (cached-conv) state. Loading
  // happens here, off the audio path; the audio thread keeps running (muted by the engine).
  reloading_.store(true);
  const std::string path = model_->info().path;
  ModelRuntime::Options opt;
  opt.device = model_->info().device;
  // The fresh copy runs where this one ran (TorchScript stays TorchScript when asked for).
  opt.executor = model_->info().executor == "native" ? ModelRuntime::Options::Executor::Auto
                                                      : ModelRuntime::Options::Executor::TorchScript;
  // bf16 weights stay bf16 (the note says so only when they were taken).
  if (model_->info().bf16Weights)
    opt.weights = ModelRuntime::Options::Weights::Bf16;
  try {
    auto fresh = ModelRuntime::load(path, opt);
    // The file may have been replaced on disk since the show started: a different model
    // cannot take over this worker's buffers and latency, so the loaded one stays.
    const ModelInfo& was = model_->info();
    const ModelInfo& now = fresh->info();
    if (now.sampleRate != was.sampleRate || now.ratio != was.ratio || now.latentSize != was.latentSize ||
        now.inChannels != was.inChannels || now.outChannels != was.outChannels)
      throw ModelError(ModelErrorKind::BadInterface,
                       "'" + path + "' changed on disk since it was loaded (now " + std::to_string(now.sampleRate) +
                           " Hz, R " + std::to_string(now.ratio) + ", " + std::to_string(now.latentSize) +
                           " latent dimensions; was " + std::to_string(was.sampleRate) + " Hz, R " +
                           std::to_string(was.ratio) + ", " + std::to_string(was.latentSize) + ")");
    // The processor stays (the control thread holds on to it: presets, anchors, patterns,
    // status); only its model changes, here on the thread that runs it. The old model is
    // freed at the end of this scope, after the processor has let go of it.
    processor_->replaceModel(*fresh);
    model_.swap(fresh);
  } catch (const ModelError& e) {
    std::fprintf(stderr, "musicmill: panic could not reload the model, keeping the old one: %s\n", e.what());
  }
  // Input that piled up during the reload is replaced by silence of the same length so
  // that stream positions (and so the latency) stay exactly as they were.
  const size_t backlog = inFifo_.available() + modelFill_;
  const size_t keep = backlog % static_cast<size_t>(processor_->blockSamples());
  inFifo_.discard(inFifo_.available());
  const double ratio = deviceRate_ / model_->info().sampleRate;
  size_t silence = static_cast<size_t>((backlog - keep) * (toModel_ ? ratio : 1.0));
  std::fill(modelIn_.begin(), modelIn_.end(), 0.f);
  modelFill_ = std::min(keep, modelIn_.size());
  std::vector<float> zeros(4096 * outCh_, 0.f);
  while (silence > 0) {
    const size_t n = std::min<size_t>(silence, 4096);
    outFifo_.push(zeros.data(), n * outCh_);
    silence -= n;
  }
  reloads_.fetch_add(1);
  reloading_.store(false);
}

ComputeStats InferenceWorker::computeStats() const {
  ComputeStats s;
  const uint64_t n = computeCount_.load(std::memory_order_acquire);
  std::vector<double> v(static_cast<size_t>(std::min<uint64_t>(n, kComputeSlots)));
  for (size_t i = 0; i < v.size(); ++i) v[i] = computeMs_[i].load(std::memory_order_relaxed);
  s.count = n;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.medianMs = v[v.size() / 2];
  s.p99Ms = v[std::min(v.size() - 1, static_cast<size_t>(0.99 * (v.size() - 1) + 0.5))];
  s.maxMs = v.back();
  return s;
}

void InferenceWorker::latestLatents(std::vector<float>& out) const {
  out = latents_.read();
}

}  // namespace mm
