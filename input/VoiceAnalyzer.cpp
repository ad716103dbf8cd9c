#include "VoiceAnalyzer.h"

#include <aubio/aubio.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace mm {

VoiceAnalyzer::VoiceAnalyzer(ModulationSources& out, VoiceAnalysisSettings settings)
    : out_(out), settings_(std::move(settings)) {
  if (settings_.onset.hop < 64 || settings_.onset.hop > 256)
    throw std::invalid_argument("onset hop must lie in 64..256 samples");
  if (settings_.pitchMethod != "yin" && settings_.pitchMethod != "yinfft")
    throw std::invalid_argument("pitch method must be yin or yinfft");
}

VoiceAnalyzer::~VoiceAnalyzer() {
  if (pitch_) del_aubio_pitch(static_cast<aubio_pitch_t*>(pitch_));
  if (pitchIn_) del_fvec(static_cast<fvec_t*>(pitchIn_));
  if (pitchOut_) del_fvec(static_cast<fvec_t*>(pitchOut_));
}

void VoiceAnalyzer::prepare(double sampleRate, int) {
  rate_ = sampleRate;
  onset_ = std::make_unique<OnsetDetector>(sampleRate, settings_.onset);
  if (pitch_) del_aubio_pitch(static_cast<aubio_pitch_t*>(pitch_));
  if (pitchIn_) del_fvec(static_cast<fvec_t*>(pitchIn_));
  if (pitchOut_) del_fvec(static_cast<fvec_t*>(pitchOut_));
  const uint_t hop = static_cast<uint_t>(settings_.onset.hop);
  aubio_pitch_t* p = new_aubio_pitch(settings_.pitchMethod.c_str(), static_cast<uint_t>(settings_.pitchWindow),
                                     hop, static_cast<uint_t>(sampleRate));
  if (!p) throw std::runtime_error("aubio cannot create the " + settings_.pitchMethod + " pitch detector");
  aubio_pitch_set_unit(p, "Hz");
  aubio_pitch_set_silence(p, settings_.onset.silenceDb);
  pitch_ = p;
  pitchIn_ = new_fvec(hop);
  pitchOut_ = new_fvec(1);
  pitchFill_ = 0;
  attack_ = std::exp(-1.f / (settings_.attackMs * 0.001f * static_cast<float>(sampleRate)));
  release_ = std::exp(-1.f / (settings_.releaseMs * 0.001f * static_cast<float>(sampleRate)));
  env_ = 0.f;
  onsetWritten_ = 0;
}

void VoiceAnalyzer::analyze(const float* x, int n, uint64_t sampleTime) noexcept {
  if (!onset_) return;
  double times[16];
  const int found = onset_->process(x, n, times, 16);
  for (int i = 0; i < found; ++i) {
    onsetTimes_[onsetWritten_ % 1024] = times[i];
    ++onsetWritten_;
  }
  if (found > 0) out_.onsetCount.fetch_add(static_cast<uint64_t>(found), std::memory_order_relaxed);
  (void)sampleTime;
  for (int i = 0; i < n; ++i) {
    const float a = std::fabs(x[i]);
    const float c = a > env_ ? attack_ : release_;
    env_ = c * env_ + (1.f - c) * a;
  }
  out_.envelope.store(env_, std::memory_order_relaxed);
  auto* in = static_cast<fvec_t*>(pitchIn_);
  auto* po = static_cast<fvec_t*>(pitchOut_);
  auto* p = static_cast<aubio_pitch_t*>(pitch_);
  const int hop = settings_.onset.hop;
  for (int i = 0; i < n; ++i) {
    in->data[pitchFill_++] = x[i];
    if (pitchFill_ < hop) continue;
    pitchFill_ = 0;
    aubio_pitch_do(p, in, po);
    const float conf = aubio_pitch_get_confidence(p);
    out_.pitchHz.store(po->data[0], std::memory_order_relaxed);
    out_.pitchConfidence.store(conf, std::memory_order_relaxed);
  }
}

int VoiceAnalyzer::onsetLog(double* out, int max) const {
  const int n = std::min({onsetWritten_, 1024, max});
  const int first = onsetWritten_ - n;
  for (int i = 0; i < n; ++i) out[i] = onsetTimes_[(first + i) % 1024];
  return n;
}

}  // namespace mm
