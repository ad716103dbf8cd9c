#include "TriggerAnalyzer.h"

#include <aubio/aubio.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace mm {

TriggerAnalyzer::TriggerAnalyzer(ModulationSources* publishTo, const TriggerSettings& settings)
    : sources_(publishTo), settings_(settings), minRiseDb_(settings.minRiseDb) {
  notes_.reset(256);
  reports_.reset(256);
}

TriggerAnalyzer::~TriggerAnalyzer() {
  releaseAubio();
}

void TriggerAnalyzer::releaseAubio() {
  if (onset_) del_aubio_onset(static_cast<aubio_onset_t*>(onset_));
  if (hopIn_) del_fvec(static_cast<fvec_t*>(hopIn_));
  if (onsetOut_) del_fvec(static_cast<fvec_t*>(onsetOut_));
  onset_ = hopIn_ = onsetOut_ = nullptr;
}

void TriggerAnalyzer::prepare(double sampleRate, int maxBlock) {
  const TriggerSettings& s = settings_;
  releaseAubio();
  rate_ = sampleRate;
  hop_ = std::clamp(s.hop, 16, 4096);
  listen_ = std::max(1, static_cast<int>(std::lround(s.listenMs * 0.001 * sampleRate)));
  pre_ = std::max(0, static_cast<int>(std::lround(s.preMs * 0.001 * sampleRate)));
  auto* o = new_aubio_onset(s.onsetMethod.c_str(), static_cast<uint_t>(std::max(s.window, hop_)),
                            static_cast<uint_t>(hop_), static_cast<uint_t>(sampleRate));
  if (!o)
    throw std::runtime_error("trigger onset method '" + s.onsetMethod +
                             "' is not known to aubio (try hfc, energy, specflux, complex)");
  aubio_onset_set_threshold(o, s.onsetThreshold);
  aubio_onset_set_silence(o, s.silenceDb);
  aubio_onset_set_minioi_ms(o, s.minGapMs);
  onset_ = o;
  hopIn_ = new_fvec(static_cast<uint_t>(hop_));
  onsetOut_ = new_fvec(1);
  extractor_ = std::make_unique<TriggerFeatureExtractor>(sampleRate, pre_ + listen_);
  segment_.assign(static_cast<size_t>(pre_ + listen_), 0.f);
  // The ring holds the feature window plus aubio's reporting delay (a few hops) plus a
  // block, twice over.
  size_t ring = 16384;
  const size_t hold = static_cast<size_t>(std::max(0.f, s.holdMs) * 0.001 * sampleRate);
  while (ring < 2 * (hold + static_cast<size_t>(pre_ + listen_ + std::max(s.window, hop_) + 8 * hop_ + maxBlock)))
    ring *= 2;
  ring_.assign(ring, 0.f);
  ringMask_ = ring - 1;
  started_ = false;
  base_ = fed_ = 0;
  hopFill_ = 0;
  pendingCount_ = 0;
  haveLastHit_ = false;
}

void TriggerAnalyzer::setClassifier(std::unique_ptr<TriggerClassifier> classifier) {
  // One the audio thread has let go of, or never took, is freed here.
  classifiers_.write(std::move(classifier));
}

void TriggerAnalyzer::analyze(const float* mono, int n, uint64_t sampleTime) noexcept {
  if (!onset_ || n <= 0) return;
  classifiers_.update();
  if (!started_) {
    started_ = true;
    base_ = sampleTime;
  }
  auto* o = static_cast<aubio_onset_t*>(onset_);
  auto* in = static_cast<fvec_t*>(hopIn_);
  auto* out = static_cast<fvec_t*>(onsetOut_);
  int i = 0;
  while (i < n) {
    // Pieces end at hop boundaries (aubio's decisions) and at due decisions, so that a
    // hit is classified exactly when its listen window is over.
    int chunk = std::min(n - i, hop_ - hopFill_);
    if (pendingCount_ > 0) {
      const uint64_t due = pending_[0] + static_cast<uint64_t>(listen_);
      const uint64_t now = base_ + fed_;
      if (due > now) chunk = static_cast<int>(std::min<uint64_t>(static_cast<uint64_t>(chunk), due - now));
    }
    for (int j = 0; j < chunk; ++j) {
      const float x = std::isfinite(mono[i + j]) ? mono[i + j] : 0.f;
      in->data[hopFill_ + j] = x;
      ring_[(fed_ + static_cast<uint64_t>(j)) & ringMask_] = x;
    }
    hopFill_ += chunk;
    fed_ += static_cast<uint64_t>(chunk);
    i += chunk;
    if (hopFill_ == hop_) {
      hopFill_ = 0;
      aubio_onset_do(o, in, out);
      if (out->data[0] != 0.f) {
        // aubio's time of the onset (its own delay compensated), in samples since the
        // first sample it saw; an early onset can wrap below zero.
        uint64_t t = aubio_onset_get_last(o);
        if (t > fed_) t = 0;
        if (pendingCount_ < kMaxPending) {
          pendingDetected_[pendingCount_] = base_ + fed_;
          pending_[pendingCount_++] = base_ + t;
        }
      }
    }
    while (pendingCount_ > 0 && pending_[0] + static_cast<uint64_t>(listen_) <= base_ + fed_) {
      decide(pending_[0], pendingDetected_[0]);
      std::copy(pending_ + 1, pending_ + pendingCount_, pending_);
      std::copy(pendingDetected_ + 1, pendingDetected_ + pendingCount_, pendingDetected_);
      --pendingCount_;
    }
  }
}

float TriggerAnalyzer::riseDb(uint64_t onset) const noexcept {
  // Mean square of 2.5 ms frames every 1.25 ms from 75 ms before the onset to now.
  const uint64_t now = base_ + fed_;
  const uint64_t frame = std::max<uint64_t>(2, static_cast<uint64_t>(0.0025 * rate_)), step = frame / 2;
  const uint64_t back = static_cast<uint64_t>(0.075 * rate_);
  const uint64_t from = std::max(base_, onset > back ? onset - back : 0);
  constexpr int kMaxFrames = 256;
  float e[kMaxFrames];
  int count = 0;
  for (uint64_t t = from; t + frame <= now && count < kMaxFrames; t += step) {
    float sum = 0.f;
    for (uint64_t u = t; u < t + frame; ++u) {
      const float x = now - u <= ringMask_ ? ring_[(u - base_) & ringMask_] : 0.f;
      sum += x * x;
    }
    e[count++] = sum / static_cast<float>(frame);
  }
  // aubio reports a slow attack (a sung "b") up to tens of ms late: look for where the
  // sound rose, from 50 ms before the reported onset to just after it. At each candidate
  // start: the loudest frame of the 20 ms after it against the loudest of 3..20 ms before.
  auto at = [&](uint64_t t) { return t < from ? -1 : static_cast<int>((t - from) / step); };
  const uint64_t ms = static_cast<uint64_t>(0.001 * rate_);
  float best = -200.f;
  for (int c = std::max(0, at(onset > 50 * ms ? onset - 50 * ms : 0)); c <= at(onset + 2 * ms) && c < count; ++c) {
    const int beforeFrom = std::max(0, c - static_cast<int>(20 * ms / step)), beforeTo = c - static_cast<int>(3 * ms / step);
    const int afterTo = std::min(count, c + static_cast<int>(20 * ms / step));
    float before = 0.f, after = 0.f;
    for (int k = beforeFrom; k < beforeTo; ++k) before = std::max(before, e[k]);
    for (int k = c; k < afterTo; ++k) after = std::max(after, e[k]);
    best = std::max(best, 10.f * std::log10((after + 1e-12f) / (before + 1e-12f)));
  }
  return best;
}

float TriggerAnalyzer::meanSquare(uint64_t from, uint64_t len) const noexcept {
  const uint64_t now = base_ + fed_;
  float sum = 0.f;
  for (uint64_t u = from; u < from + len; ++u) {
    const float x = u >= base_ && u < now && now - u <= ringMask_ ? ring_[(u - base_) & ringMask_] : 0.f;
    sum += x * x;
  }
  return sum / static_cast<float>(std::max<uint64_t>(1, len));
}

bool TriggerAnalyzer::sameSoundAsLastHit(uint64_t onset) const noexcept {
  const uint64_t hold = static_cast<uint64_t>(settings_.holdMs * 0.001 * rate_);
  if (!haveLastHit_ || hold == 0 || onset <= lastHit_ || onset - lastHit_ >= hold) return false;
  // 10 ms frames every 2.5 ms (long enough that a voice's pitch periods do not read as
  // dips): the hit's peak in its first 40 ms, the quietest frame from 20 ms after it to
  // just before this onset.
  const uint64_t ms = std::max<uint64_t>(1, static_cast<uint64_t>(0.001 * rate_));
  const uint64_t frame = 10 * ms, step = std::max<uint64_t>(1, frame / 4);
  float peak = 0.f;
  for (uint64_t t = lastHit_; t + frame <= lastHit_ + 40 * ms; t += step) peak = std::max(peak, meanSquare(t, frame));
  float dip = peak;
  for (uint64_t t = lastHit_ + 20 * ms; t + frame + 2 * ms <= onset; t += step) dip = std::min(dip, meanSquare(t, frame));
  return 10.f * std::log10((peak + 1e-12f) / (dip + 1e-12f)) < settings_.holdDecayDb;
}

void TriggerAnalyzer::decide(uint64_t onset, uint64_t detected) noexcept {
  const uint64_t now = base_ + fed_;
  // A held vowel, a hum or a hit's own tail makes onsets that hardly rise above what
  // sounded just before: those are not hits (neither sent nor reported for learning).
  const float rise = riseDb(onset);
  if (rise < minRiseDb_.load(std::memory_order_relaxed)) {
    gated_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (sameSoundAsLastHit(onset)) {
    held_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  lastHit_ = onset;
  haveLastHit_ = true;
  const uint64_t start = onset >= static_cast<uint64_t>(pre_) ? onset - static_cast<uint64_t>(pre_) : 0;
  const int len = static_cast<int>(std::min<uint64_t>(segment_.size(), now - std::min(now, start)));
  for (int j = 0; j < len; ++j) {
    const uint64_t t = start + static_cast<uint64_t>(j);
    segment_[static_cast<size_t>(j)] = t >= base_ && now - t <= ringMask_ ? ring_[(t - base_) & ringMask_] : 0.f;
  }
  TriggerMeasurement m;
  extractor_->extract(segment_.data(), len, static_cast<int>(onset - start), m);

  TriggerReport& r = scratch_;
  r.hit.onsetSample = onset;
  r.hit.detectedSample = detected;
  r.hit.decidedSample = now;
  r.hit.peakDb = m.peakDb;
  r.hit.riseDb = rise;
  const float span = settings_.velocityCeilDb - settings_.velocityFloorDb;
  const float v = span > 0.f ? (m.peakDb - settings_.velocityFloorDb) / span : 1.f;
  r.hit.velocity = 1 + static_cast<int>(std::lround(126.f * std::clamp(v, 0.f, 1.f)));
  r.hit.cls = -1;
  r.hit.distance = 0.f;
  if (const TriggerClassifier* classifier = classifiers_.front().get()) {
    const TriggerDecision d = classifier->classify(m.features);
    r.hit.cls = d.cls;
    r.hit.distance = d.distance;
  }
  r.learning = learning_.load(std::memory_order_relaxed);
  std::copy(m.features, m.features + kTriggerFeatureCount, r.features);

  if (!r.learning && r.hit.cls >= 0) {
    hits_.fetch_add(1, std::memory_order_relaxed);
    if (sources_ && r.hit.cls < ModulationSources::kTriggerClasses) {
      // Velocity first: a reader that sees the new count sees this hit's velocity.
      sources_->triggerVelocity[r.hit.cls].store(r.hit.velocity / 127.f, std::memory_order_relaxed);
      sources_->triggerCount[r.hit.cls].fetch_add(1, std::memory_order_release);
    }
    if (noteOutput_.load(std::memory_order_relaxed)) {
      if (notes_.push(&r.hit, 1) == 1)
        noteSignal_.post();
      else
        droppedNotes_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  if (reports_.push(&r, 1) != 1) droppedReports_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<TriggerReport> analyzeTriggersOffline(const std::vector<float>& mono, double sampleRate,
                                                  const TriggerSettings& settings,
                                                  const TriggerClassifier* classifier) {
  TriggerAnalyzer a(nullptr, settings);
  a.prepare(sampleRate, 128);
  if (classifier) a.setClassifier(std::make_unique<TriggerClassifier>(*classifier));
  std::vector<TriggerReport> out;
  TriggerReport r;
  TriggerHit h;
  // Pieces of 128 samples as the offline renderer feeds analyzers, then the listen window
  // of silence so that a hit right at the end is still decided.
  std::vector<float> x(mono);
  x.resize(x.size() + static_cast<size_t>(a.listenSamples() + 4 * settings.hop), 0.f);
  for (size_t pos = 0; pos < x.size(); pos += 128) {
    const int n = static_cast<int>(std::min<size_t>(128, x.size() - pos));
    a.analyze(x.data() + pos, n, pos);
    while (a.popReport(r)) out.push_back(r);
    while (a.popNote(h)) {
    }
  }
  return out;
}

}  // namespace mm
