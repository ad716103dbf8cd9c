#include "LiveEngine.h"

#include <rtaudio/RtAudio.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace mm {

namespace {

RtAudio::Api apiFromName(const std::string& name) {
  if (name == "jack") return RtAudio::UNIX_JACK;
  if (name == "alsa") return RtAudio::LINUX_ALSA;
  if (name == "pulse") return RtAudio::LINUX_PULSE;
  if (name == "coreaudio") return RtAudio::MACOSX_CORE;
  if (name == "auto" || name.empty()) return RtAudio::UNSPECIFIED;
  throw std::runtime_error("--audio-api '" + name +
                           "' is not known: use jack, alsa, pulse, coreaudio or auto");
}

std::string apiName(RtAudio::Api api) {
  switch (api) {
    case RtAudio::UNIX_JACK: return "jack";
    case RtAudio::LINUX_ALSA: return "alsa";
    case RtAudio::LINUX_PULSE: return "pulse";
    case RtAudio::MACOSX_CORE: return "coreaudio";
    default: return "other";
  }
}

// Finds a device by index or by (part of) its name; -1 when none matches.
int findDevice(RtAudio& audio, const std::string& spec, bool wantInput) {
  const unsigned count = audio.getDeviceCount();
  if (spec.empty()) return wantInput ? static_cast<int>(audio.getDefaultInputDevice())
                                     : static_cast<int>(audio.getDefaultOutputDevice());
  char* end = nullptr;
  const long idx = std::strtol(spec.c_str(), &end, 10);
  if (end != spec.c_str() && *end == '\0') return idx >= 0 && idx < static_cast<long>(count) ? static_cast<int>(idx) : -1;
  for (unsigned i = 0; i < count; ++i) {
    RtAudio::DeviceInfo info = audio.getDeviceInfo(i);
    if (info.probed && info.name.find(spec) != std::string::npos &&
        (wantInput ? info.inputChannels : info.outputChannels) > 0)
      return static_cast<int>(i);
  }
  return -1;
}

int rtCallback(void* out, void* in, unsigned int n, double, RtAudioStreamStatus status, void* user) {
  static_cast<LiveEngine*>(user)->processBlock(static_cast<const float*>(in), static_cast<float*>(out),
                                               static_cast<int>(n), status != 0);
  return 0;
}

}  // namespace

std::vector<std::string> compiledAudioApis() {
  std::vector<RtAudio::Api> apis;
  RtAudio::getCompiledApi(apis);
  std::vector<std::string> names;
  for (auto a : apis) names.push_back(apiName(a));
  return names;
}

std::vector<std::string> listAudioDevices(const std::string& api) {
  std::vector<std::string> lines;
  std::vector<RtAudio::Api> apis;
  if (api.empty() || api == "auto") RtAudio::getCompiledApi(apis);
  else apis.push_back(apiFromName(api));
  for (auto a : apis) {
    try {
      RtAudio audio(a);
      audio.showWarnings(false);
      const unsigned count = audio.getDeviceCount();
      lines.push_back(apiName(a) + ": " + std::to_string(count) + " device(s)");
      for (unsigned i = 0; i < count; ++i) {
        RtAudio::DeviceInfo d = audio.getDeviceInfo(i);
        if (!d.probed) continue;
        lines.push_back("  [" + std::to_string(i) + "] " + d.name + "  (in " +
                        std::to_string(d.inputChannels) + ", out " + std::to_string(d.outputChannels) +
                        ", " + std::to_string(d.preferredSampleRate) + " Hz)" +
                        (d.isDefaultInput ? " default-in" : "") + (d.isDefaultOutput ? " default-out" : ""));
      }
    } catch (const RtAudioError& e) {
      lines.push_back(apiName(a) + ": unavailable (" + e.getMessage() + ")");
    }
  }
  return lines;
}

LiveEngine::LiveEngine(ParameterRegistry& registry)
    : registry_(registry), sp_(StandardParams::resolve(registry)) {}

LiveEngine::~LiveEngine() {
  stop();
  std::lock_guard<std::mutex> lock(audioMutex_);
  if (audio_ && audio_->isStreamOpen()) audio_->closeStream();
}

long LiveEngine::minimumPreRoll(double blockDevice, int buffer, double computeSamples) {
  // Callback n (n = 1, 2, ...) runs at time n*b, after which input [0, n*b) is in, and it
  // pops output positions [(n-1)*b - P, n*b - P). Frame j (input [j*B, (j+1)*B)) can start
  // once the callback that delivers its last sample has run and the previous frame is
  // done; it is ready `computeSamples` later. The smallest P with every pop satisfied is
  // the pre-roll; nothing else is added.
  const double B = blockDevice, b = buffer;
  const int frames = 64 + static_cast<int>(std::ceil(16.0 * b / B));
  std::vector<double> finish(frames);
  double prev = 0;
  for (int j = 0; j < frames; ++j) {
    const double arrive = std::ceil((j + 1) * B / b - 1e-9) * b;
    prev = std::max(arrive, prev) + computeSamples;
    finish[j] = prev;
  }
  const long maxP = static_cast<long>(std::ceil(4 * (B + b) + computeSamples * 2));
  for (long P = 0; P <= maxP; ++P) {
    bool ok = true;
    for (int n = 1; ok; ++n) {
      const double last = n * b - P - 1;  // last output position this callback needs
      if (last < 0) continue;
      const int j = static_cast<int>(std::floor(last / B));
      if (j >= frames - 1) break;
      if (finish[j] > n * b) ok = false;
    }
    if (ok) return P;
  }
  return maxP;
}

std::unique_ptr<InferenceWorker> LiveEngine::makeWorker(std::unique_ptr<ModelRuntime> model,
                                                        std::unique_ptr<ModelRuntime> partner, Slot& slot) {
  const ModelInfo info = model->info();
  const int fpb = framesPerBlock_ > 0 ? framesPerBlock_ : defaultFramesPerBlock(info.ratio);
  auto worker = std::make_unique<InferenceWorker>(std::move(model), registry_, fpb, rate_);
  if (partner) worker->processor().setPartner(std::move(partner));
  worker->prepare(std::max(buffer_, 8192));
  // The first calls of a TorchScript model are slow (profiling executor): skip them, then
  // budget 1.5x the 90th percentile of blocks run at the live pace (one a block's
  // duration, the thread asleep in between: a block that starts cold costs about twice
  // one run back to back, and a budget measured back to back made the bundled model late
  // within seconds of every start). A single scheduling spike during warm-up must not set
  // the latency for the whole show; a real spike later is a counted late frame.
  constexpr int kSkip = 16, kMeasured = 32;
  auto ms = worker->warmUp(kSkip + kMeasured, kSkip);
  ms.erase(ms.begin(), ms.begin() + std::min<size_t>(kSkip, ms.size()));
  std::sort(ms.begin(), ms.end());
  const double typical = ms.empty() ? 1.0 : ms[static_cast<size_t>(0.9 * (ms.size() - 1))];
  slot.budgetMs = typical * 1.5 + 0.3 + config_.extraSafetyMs;
  const double blockMs = 1000.0 * worker->blockSamplesModel() / info.sampleRate;
  slot.realtimeOk = config_.realtimeWorker && typical < 0.5 * blockMs;
  // The budget is a tail (one slow frame), not the worker's pace: a worker whose median
  // fits in a block catches up after a slow frame. Planned as a steady pace, a budget of a
  // block or more would pile up without end in the schedule below (on a busy machine the
  // warm-up's tail did reach that: 100+ ms of pre-roll); so it is planned as at most just
  // under one block, and a model that cannot keep up even at its median is reported.
  const double medianMs = ms.empty() ? 0.0 : ms[ms.size() / 2];
  slot.tooSlow = medianMs > 0.9 * blockMs;
  const double plannedMs = std::min(slot.budgetMs, 0.95 * blockMs);
  slot.preRoll = minimumPreRoll(worker->blockSamplesDevice(), buffer_, plannedMs * rate_ / 1000.0);
  if (rate_ != info.sampleRate) slot.preRoll += 2 * 48;  // two sinc resamplers' look-ahead
  slot.growCap = static_cast<long>(config_.maxGrowthBlocks * worker->blockSamplesDevice());
  slot.floorMs = 1000.0 * (worker->blockSamplesDevice() + 2.0 * buffer_) / rate_ + medianMs;
  return worker;
}

void LiveEngine::prepare(std::unique_ptr<ModelRuntime> model, double rate, int buffer,
                         int framesPerBlock) {
  rate_ = rate;
  buffer_ = buffer;
  framesPerBlock_ = framesPerBlock;
  const int maxBuf = std::max(buffer, 8192);
  Slot& first = slots_[0];
  first.worker = makeWorker(std::move(model), std::move(pendingPartner_), first);
  first.active = true;
  first.delay = first.preRoll;
  slotCount_.store(1);
  reserved_.store(1);
  current_.store(0);
  requested_.store(0);
  audioCurrent_ = 0;
  audioTarget_ = -1;
  inStage_.setup(rate);
  outStage_.setup(rate);
  mono_.assign(maxBuf, 0.f);
  wet_.assign(static_cast<size_t>(maxBuf) * 2, 0.f);
  skip_.assign(static_cast<size_t>(maxBuf + buffer) * 2, 0.f);
  wet2_.assign(static_cast<size_t>(maxBuf) * std::max(devOut_, 2), 0.f);
  dev_.assign(static_cast<size_t>(maxBuf) * std::max(devOut_, 2), 0.f);
  fadeStep_ = static_cast<float>(1.0 / (0.005 * rate));  // 5 ms crossfade to dry when late
}

int LiveEngine::addModel(std::unique_ptr<ModelRuntime> model, std::unique_ptr<ModelRuntime> partner) {
  const int k = prepareModel(std::move(model), std::move(partner));
  publishModel(k);
  return k;
}

int LiveEngine::prepareModel(std::unique_ptr<ModelRuntime> model, std::unique_ptr<ModelRuntime> partner) {
  const int k = reserved_.fetch_add(1);
  if (k >= kMaxSlots) {
    reserved_.fetch_sub(1);
    throw std::runtime_error("too many models loaded at once (" + std::to_string(kMaxSlots) + ")");
  }
  try {
    Slot& slot = slots_[k];  // nobody else reads a slot at or past slotCount_
    slot.worker = makeWorker(std::move(model), std::move(partner), slot);
  } catch (...) {
    reserved_.fetch_sub(1);  // one loader at a time: this was the last reservation
    throw;
  }
  return k;
}

void LiveEngine::publishModel(int k) {
  Slot& slot = slots_[k];
  for (auto& setup : processorSetups_) setup(slot.worker->processor());
  if (running_.load()) slot.worker->start(slot.realtimeOk);
  slotCount_.store(k + 1);  // publish: the audio thread may now select it
}

void LiveEngine::setProcessorSetup(std::function<void(FrameProcessor&)> setup) {
  if (!setup) return;
  for (int k = 0; k < slotCount_.load(); ++k) setup(slots_[k].worker->processor());
  processorSetups_.push_back(std::move(setup));
}

void LiveEngine::addInputAnalyzer(InputAnalyzer* analyzer) {
  if (!analyzer || analyzerCount_ >= kMaxAnalyzers) return;
  analyzer->prepare(rate_, std::max(buffer_, 8192));
  analyzers_[analyzerCount_++] = analyzer;
}

void LiveEngine::sharePatternCaptures() {
  const int n = slotCount_.load();
  for (int k = 0; k < n; ++k) {
    auto captured = slots_[k].worker->processor().pattern().takeCaptured();
    if (!captured) continue;
    for (int j = 0; j < n; ++j)
      if (j != k && slots_[j].worker->info().latentSize == captured->clip.dims)
        slots_[j].worker->processor().pattern().load(captured->slot, std::make_unique<LatentClip>(captured->clip));
  }
}

void LiveEngine::selectModel(int slot, double crossfadeMs) {
  if (slot < 0 || slot >= slotCount_.load()) return;
  crossfadeSamples_.store(std::max(1L, static_cast<long>(crossfadeMs * rate_ / 1000.0)));
  current_.store(slot);
  requested_.store(slot);
}

void LiveEngine::openWithoutDevice(std::unique_ptr<ModelRuntime> model, double rate, int buffer,
                                   int inCh, int outCh, int framesPerBlock) {
  devIn_ = inCh;
  devOut_ = outCh;
  prepare(std::move(model), rate, buffer, framesPerBlock);
}

std::unique_ptr<RtAudio> LiveEngine::openDevice(const AudioConfig& cfg, int rate, unsigned& frames, int& inCh,
                                                int& outCh, std::string* route) {
  std::unique_ptr<RtAudio> audio;
  try {
    audio = std::make_unique<RtAudio>(apiFromName(cfg.api));
  } catch (const RtAudioError& e) {
    throw std::runtime_error("audio API '" + cfg.api + "' cannot start: " + e.getMessage());
  }
  audio->showWarnings(false);
  if (audio->getDeviceCount() == 0)
    throw std::runtime_error(
        "no audio devices found through " + apiName(audio->getCurrentApi()) +
        ". On a machine without a sound card, start a JACK dummy server "
        "(jackd -r -d dummy -r 44100 -p 128) and use --audio-api jack; `make run` does this "
        "for you. `musicmill devices` lists what is there.");
  const int inDev = findDevice(*audio, cfg.inputDevice, true);
  const int outDev = findDevice(*audio, cfg.outputDevice, false);
  if (inDev < 0)
    throw std::runtime_error("--input '" + cfg.inputDevice + "' matches no input device; " +
                             "`musicmill devices` lists them");
  if (outDev < 0)
    throw std::runtime_error("--output '" + cfg.outputDevice + "' matches no output device; " +
                             "`musicmill devices` lists them");
  RtAudio::DeviceInfo inInfo = audio->getDeviceInfo(inDev), outInfo = audio->getDeviceInfo(outDev);
  if (inInfo.inputChannels == 0)
    throw std::runtime_error("audio device '" + inInfo.name + "' has no inputs (a microphone is needed)");
  if (outInfo.outputChannels == 0)
    throw std::runtime_error("audio device '" + outInfo.name + "' has no outputs");
  inCh = std::min<int>(inInfo.inputChannels, std::max(1, cfg.inputChannel + 1));
  outCh = std::min<int>(outInfo.outputChannels, 2);
  if (rate <= 0) rate = static_cast<int>(outInfo.preferredSampleRate);
  if (rate <= 0) rate = 44100;

  RtAudio::StreamParameters ip, op;
  ip.deviceId = static_cast<unsigned>(inDev);
  ip.nChannels = static_cast<unsigned>(inCh);
  op.deviceId = static_cast<unsigned>(outDev);
  op.nChannels = static_cast<unsigned>(outCh);
  RtAudio::StreamOptions so;
  so.streamName = cfg.clientName;
  so.flags = RTAUDIO_MINIMIZE_LATENCY | RTAUDIO_SCHEDULE_REALTIME;
  if (!cfg.autoConnect) so.flags |= RTAUDIO_JACK_DONT_CONNECT;
  so.priority = 80;
  frames = static_cast<unsigned>(cfg.buffer);
  try {
    audio->openStream(&op, &ip, RTAUDIO_FLOAT32, static_cast<unsigned>(rate), &frames, &rtCallback, this, &so);
  } catch (const RtAudioError& e) {
    throw std::runtime_error("cannot open the audio stream (" + apiName(audio->getCurrentApi()) +
                             ", " + std::to_string(rate) + " Hz, buffer " + std::to_string(cfg.buffer) +
                             "): " + e.getMessage() +
                             (audio->getCurrentApi() == RtAudio::UNIX_JACK
                                  ? " Under JACK the rate and buffer are the server's: start jackd "
                                    "with the ones you want, or leave --rate out."
                                  : ""));
  }
  if (route) {
    const bool jack = audio->getCurrentApi() == RtAudio::UNIX_JACK;
    std::string api = apiName(audio->getCurrentApi());
    for (char& c : api) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    *route = api + ": in '" + inInfo.name + "' (" + std::to_string(inCh) + " ch) -> out '" + outInfo.name + "' (" +
             std::to_string(outCh) + " ch)" +
             (jack ? cfg.autoConnect ? ", client '" + cfg.clientName + "' connected to them"
                                     : ", client '" + cfg.clientName + "' not connected (--no-connect)"
                   : "");
  }
  return audio;
}

void LiveEngine::open(std::unique_ptr<ModelRuntime> model, const AudioConfig& cfg) {
  config_ = cfg;
  unsigned frames = 0;
  audio_ = openDevice(cfg, cfg.rate, frames, devIn_, devOut_, &audioRoute_);
  prepare(std::move(model), audio_->getStreamSampleRate(), static_cast<int>(frames), cfg.framesPerBlock);
}

bool LiveEngine::audioLost() const {
  // RtAudio closes the stream itself (from a thread of its own) when the server shuts the
  // client down: a JACK server that stopped or was killed.
  if (!running_.load()) return false;
  std::unique_lock<std::mutex> lock(audioMutex_, std::try_to_lock);
  if (!lock.owns_lock()) return true;  // a reopen is under way: not back yet
  return audio_ && !audio_->isStreamOpen();
}

std::string LiveEngine::reopenAudio() {
  std::lock_guard<std::mutex> lock(audioMutex_);
  if (!running_.load() || !audio_ || audio_->isStreamOpen()) return "";
  unsigned frames = 0;
  int inCh = 0, outCh = 0;
  std::unique_ptr<RtAudio> fresh;
  try {
    fresh = openDevice(config_, static_cast<int>(rate_), frames, inCh, outCh);
  } catch (const std::exception& e) {
    return e.what();
  }
  const double rate = fresh->getStreamSampleRate();
  std::string refused;
  if (rate != rate_)
    refused = "the audio server now runs at " + std::to_string(static_cast<int>(rate)) + " Hz; this set was "
              "prepared at " + std::to_string(static_cast<int>(rate_)) + " Hz: restart it at that rate";
  else if (inCh != devIn_ || outCh != devOut_)
    refused = "the audio device now has other channels (" + std::to_string(inCh) + " in, " + std::to_string(outCh) +
              " out; was " + std::to_string(devIn_) + " in, " + std::to_string(devOut_) + " out)";
  else if (static_cast<size_t>(frames) > mono_.size())
    refused = "the audio server's buffer (" + std::to_string(frames) + ") is larger than this engine allows (" +
              std::to_string(mono_.size()) + ")";
  if (!refused.empty()) {
    try {
      fresh->closeStream();
    } catch (const RtAudioError&) {
    }
    return refused;
  }
  audio_ = std::move(fresh);  // the old RtAudio's stream is already closed
  try {
    audio_->startStream();
  } catch (const RtAudioError& e) {
    return "cannot start the audio stream again: " + e.getMessage();
  }
  reconnects_.fetch_add(1);
  return "";
}

void LiveEngine::start() {
  if (running_.exchange(true)) return;
  for (int k = 0; k < slotCount_.load(); ++k) slots_[k].worker->start(slots_[k].realtimeOk);
  std::lock_guard<std::mutex> lock(audioMutex_);
  if (audio_) {
    try {
      audio_->startStream();
    } catch (const RtAudioError& e) {
      running_.store(false);
      for (int k = 0; k < slotCount_.load(); ++k) slots_[k].worker->stop();
      throw std::runtime_error("cannot start the audio stream: " + e.getMessage());
    }
  }
}

void LiveEngine::stop() {
  if (!running_.exchange(false)) return;
  std::unique_lock<std::mutex> lock(audioMutex_);
  if (audio_ && audio_->isStreamRunning()) {
    try {
      audio_->stopStream();
    } catch (const RtAudioError&) {
    }
  }
  lock.unlock();
  for (int k = 0; k < slotCount_.load(); ++k) slots_[k].worker->stop();
  recorder_.stop();
}

void LiveEngine::panic() {
  InferenceWorker* w = worker();
  panicTarget_.store(w->reloads() + 1);
  muted_.store(true);
  w->requestPanic();
}

std::string LiveEngine::startRecording(const std::string& dir) {
  return recorder_.start(dir, static_cast<int>(rate_), devOut_, status().latencySamples);
}

void LiveEngine::stopRecording() { recorder_.stop(); }

void LiveEngine::readSlot(Slot& slot, float* dst, int n) noexcept {
  auto& fifo = slot.worker->output();
  const int ch = slot.worker->outputChannels();
  // A newly selected model plays silence for its pre-roll: its first block is computing.
  long start = 0;
  if (slot.delay > 0) {
    start = std::min<long>(slot.delay, n);
    slot.delay -= start;
    std::fill(wet_.begin(), wet_.begin() + start * ch, 0.f);
  }
  // Samples the model has not delivered: the last sample decays (no step) while the
  // crossfade below goes to dry.
  auto bridge = [&](long from, long to) {
    for (long i = from; i < to; ++i)
      for (int c = 0; c < ch; ++c) {
        slot.hold[c] *= 0.995f;
        wet_[static_cast<size_t>(i) * ch + c] = slot.hold[c];
      }
  };
  // After a latency growth: bridge the rest of the added buffer as a late block sounds.
  const long gapped = std::min<long>(slot.gap, n - start);
  slot.gap -= gapped;
  bridge(start, start + gapped);
  const long first = start + gapped;  // first sample taken from the model's output
  const long want = n - first;
  long avail = static_cast<long>(fifo.available()) / ch;
  // Pay what the worker owes first: keeps the latency fixed after a late block.
  if (slot.debt > 0 && avail > 0) {
    const long d = std::min(slot.debt, avail);
    fifo.discard(static_cast<size_t>(d) * ch);
    slot.debt -= d;
    avail -= d;
  }
  // After a quiet spell, take one buffer of grown latency back out: read one buffer ahead
  // and crossfade into it over this block.
  const long grownNow = slot.grown.load(std::memory_order_relaxed);
  slot.quiet += n;
  const long shrinkAfter = static_cast<long>(config_.shrinkAfterSeconds * rate_);
  long got = 0;
  if (config_.adaptiveLatency && grownNow >= buffer_ && slot.quiet >= shrinkAfter && slot.debt == 0 &&
      slot.gap == 0 && want > 0 && avail >= want + buffer_ &&
      static_cast<size_t>((want + buffer_) * ch) <= skip_.size()) {
    fifo.pop(skip_.data(), static_cast<size_t>(want + buffer_) * ch);
    crossfadeSkip(skip_.data(), static_cast<int>(want), buffer_, ch, wet_.data() + first * ch);
    got = want;
    slot.grown.store(grownNow - buffer_, std::memory_order_relaxed);
    slot.shrinks.fetch_add(1, std::memory_order_relaxed);
    slot.quiet = shrinkAfter - static_cast<long>(config_.shrinkStepSeconds * rate_);
  } else {
    got = std::min<long>(avail, want);
    fifo.pop(wet_.data() + first * ch, static_cast<size_t>(got) * ch);
  }
  const long have = first + got;
  if (got < want) {
    const long shortfall = want - got;
    const long grown = slot.grown.load(std::memory_order_relaxed);
    const long step = ((shortfall + buffer_ - 1) / buffer_) * buffer_;
    if (config_.adaptiveLatency && grown + step <= slot.growCap) {
      // Settle later: the missing output plays when it arrives, and the latency stays
      // `step` samples higher from now on (the rest of the step is bridged next time).
      slot.grown.store(grown + step, std::memory_order_relaxed);
      slot.growths.fetch_add(1, std::memory_order_relaxed);
      slot.gap += step - shortfall;
    } else {
      slot.debt += shortfall;
    }
    late_.fetch_add(1, std::memory_order_relaxed);
    slot.quiet = 0;
    fallback_.store(true, std::memory_order_relaxed);
    bridge(have, n);
  } else {
    fallback_.store(gapped > 0, std::memory_order_relaxed);
  }
  if (got > 0)
    for (int c = 0; c < ch; ++c) slot.hold[c] = wet_[static_cast<size_t>(have - 1) * ch + c];
  for (int i = 0; i < n; ++i) {
    const bool present = i < start || (i >= first && i < have);
    slot.fade = present ? std::min(1.f, slot.fade + fadeStep_) : std::max(0.f, slot.fade - fadeStep_);
    for (int c = 0; c < devOut_; ++c) {
      const float w = wet_[static_cast<size_t>(i) * ch + std::min(c, ch - 1)];
      dst[static_cast<size_t>(i) * devOut_ + c] = slot.fade * w + (1.f - slot.fade) * mono_[i];
    }
  }
}

void LiveEngine::processBlock(const float* in, float* out, int n, bool xrun) noexcept {
  RealtimeScope scope;
  flushDenormals();
  const auto t0 = std::chrono::steady_clock::now();
  const double cpu0 = threadCpuSeconds();
  if (xrun) xruns_.fetch_add(1, std::memory_order_relaxed);
  callbacks_.fetch_add(1, std::memory_order_relaxed);
  n = std::min(n, static_cast<int>(mono_.size()));

  // 1. Input: the voice channel, gain and gate, to every listening model.
  for (int i = 0; i < n; ++i) mono_[i] = in ? in[i * devIn_ + std::min(config_.inputChannel, devIn_ - 1)] : 0.f;
  // The set value plus what modulation routes and LFOs add (FrameProcessor publishes it
  // once per model block): the current model's, whichever is playing.
  const FrameProcessor& mod = slots_[audioCurrent_].worker->processor();
  auto modulated = [&](int index, FrameProcessor::AudioSideParam k) {
    const ParamSpec& spec = registry_.spec(index);
    return std::clamp(registry_.get(index) + mod.audioSideOffset(k), spec.min, spec.max);
  };
  inStage_.process(mono_.data(), n, modulated(sp_.inputGain, FrameProcessor::kInputGain),
                   modulated(sp_.gateThreshold, FrameProcessor::kGateThreshold));
  for (int a = 0; a < analyzerCount_; ++a) analyzers_[a]->analyze(mono_.data(), n, sampleTime_);
  sampleTime_ += static_cast<uint64_t>(n);

  // A model switch requested by the control thread: the target starts listening now.
  const int requested = requested_.load(std::memory_order_relaxed);
  if (requested != audioCurrent_ && requested != audioTarget_ && requested < slotCount_.load(std::memory_order_acquire)) {
    if (audioTarget_ >= 0 && audioTarget_ != audioCurrent_) slots_[audioTarget_].active = false;
    Slot& t = slots_[requested];
    t.worker->output().discard(t.worker->output().available());  // stale output from before
    t.active = true;
    t.delay = t.preRoll + t.grown.load(std::memory_order_relaxed);
    t.debt = 0;
    t.gap = 0;
    t.fade = 1.f;
    audioTarget_ = requested;
    switchMix_ = 0.f;
  }
  for (int k = 0; k < slotCount_.load(std::memory_order_acquire); ++k)
    if (slots_[k].active) slots_[k].worker->pushInput(mono_.data(), n);

  // 2. Output of the current model (and the incoming one while switching).
  Slot& cur = slots_[audioCurrent_];
  readSlot(cur, dev_.data(), n);
  if (audioTarget_ >= 0) {
    Slot& tgt = slots_[audioTarget_];
    const long preRollLeft = tgt.delay;
    readSlot(tgt, wet2_.data(), n);
    if (preRollLeft <= 0) {
      const float step = 1.f / static_cast<float>(crossfadeSamples_.load(std::memory_order_relaxed));
      for (int i = 0; i < n; ++i) {
        switchMix_ = std::min(1.f, switchMix_ + step);
        for (int c = 0; c < devOut_; ++c) {
          float& o = dev_[static_cast<size_t>(i) * devOut_ + c];
          o = (1.f - switchMix_) * o + switchMix_ * wet2_[static_cast<size_t>(i) * devOut_ + c];
        }
      }
      if (switchMix_ >= 1.f) {
        cur.active = false;  // the old model stops listening; its worker idles
        audioCurrent_ = audioTarget_;
        audioTarget_ = -1;
      }
    }
  }
  InferenceWorker* w = slots_[audioCurrent_].worker.get();
  if (muted_.load(std::memory_order_relaxed) && w->reloads() >= panicTarget_.load(std::memory_order_relaxed))
    muted_.store(false, std::memory_order_relaxed);  // the model is fresh: sound returns
  const bool muted = muted_.load(std::memory_order_relaxed);
  outStage_.process(dev_.data(), mono_.data(), n, devOut_, modulated(sp_.dryWet, FrameProcessor::kDryWet),
                    modulated(sp_.outputGain, FrameProcessor::kOutputGain));
  // Panic: ramp to silence within ~3 ms, back up once the worker has reloaded the model.
  const float muteTarget = muted ? 0.f : 1.f;
  const float muteStep = static_cast<float>(1.0 / (0.003 * rate_));
  for (int i = 0; i < n; ++i) {
    muteGain_ = muteTarget > muteGain_ ? std::min(muteTarget, muteGain_ + muteStep)
                                       : std::max(muteTarget, muteGain_ - muteStep);
    for (int c = 0; c < devOut_; ++c) dev_[static_cast<size_t>(i) * devOut_ + c] *= muteGain_;
  }
  if (out) std::memcpy(out, dev_.data(), sizeof(float) * static_cast<size_t>(n) * devOut_);
  recorder_.push(mono_.data(), dev_.data(), n);

  // 3. Meters and load.
  inLevel_.store(inStage_.level(), std::memory_order_relaxed);
  outLevel_.store(outStage_.level() * muteGain_, std::memory_order_relaxed);
  gateOpen_.store(inStage_.gateOpen(), std::memory_order_relaxed);
  const double used = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpuUsed = threadCpuSeconds() - cpu0;
  const float load = static_cast<float>(used * rate_ / std::max(1, n));
  loadMax_ = std::max(loadMax_, load);
  cpuSum_ += static_cast<float>(cpuUsed * rate_ / std::max(1, n));
  if (++loadCount_ * n >= rate_) {
    load_.store(loadMax_, std::memory_order_relaxed);
    cpuMean_.store(cpuSum_ / static_cast<float>(loadCount_), std::memory_order_relaxed);
    loadMax_ = cpuSum_ = 0.f;
    loadCount_ = 0;
  }
}

EngineStatus LiveEngine::status() const {
  EngineStatus s;
  s.running = running_.load();
  s.sampleRate = static_cast<int>(rate_);
  s.buffer = buffer_;
  const Slot& slot = slots_[current_.load()];
  if (const InferenceWorker* worker_ = slot.worker.get()) {
    s.modelRate = worker_->info().sampleRate;
    s.ratio = worker_->info().ratio;
    s.blocksProcessed = worker_->blocksProcessed();
    s.droppedInput = worker_->droppedInput();
    s.nonFiniteBlocks = worker_->nonFiniteBlocks();
    s.faultBlocks = worker_->faultBlocks();
    s.partnerNonFiniteBlocks = worker_->partnerNonFiniteBlocks();
    s.blendLevelDbA = worker_->blendLevelDbA();
    s.blendLevelDbB = worker_->blendLevelDbB();
    s.compute = worker_->computeStats();
    const double blockMs = 1000.0 * worker_->blockSamplesModel() / worker_->info().sampleRate;
    s.workerLoad = worker_->lastComputeMs() / blockMs;
    s.workerRealtime = worker_->realtimeGranted();
    s.modelTooSlow = slot.tooSlow;
  }
  s.preRollSamples = slot.preRoll;
  s.startLatencySamples = slot.preRoll + 2L * buffer_;
  s.latencySamples = s.startLatencySamples + slot.grown.load(std::memory_order_relaxed);
  s.latencyGrowths = slot.growths.load(std::memory_order_relaxed);
  s.latencyShrinks = slot.shrinks.load(std::memory_order_relaxed);
  s.latencyMs = 1000.0 * s.latencySamples / rate_;
  s.floorMs = slot.floorMs;
  s.computeBudgetMs = slot.budgetMs;
  s.xruns = xruns_.load();
  s.lateCallbacks = late_.load();
  s.callbacks = callbacks_.load();
  s.callbackLoad = load_.load();
  s.callbackCpuMean = cpuMean_.load();
  s.inputLevel = inLevel_.load();
  s.outputLevel = outLevel_.load();
  s.gateOpen = gateOpen_.load();
  s.fallbackActive = fallback_.load();
  s.muted = muted_.load();
  return s;
}

}  // namespace mm
