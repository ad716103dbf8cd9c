// VoiceAnalyzer: what the voice does besides making sound — onsets (aubio), a loudness
// envelope follower, pitch with confidence (aubio yin/yinfft) — published to
// ModulationSources for the modulation matrix. The same analyzer runs in the live
// callback and in offline render (RenderOptions::analyzers).
// Threads: construct/prepare on the control thread (aubio allocates there); analyze() on
// the audio thread: no allocation, no lock, no log.
#pragma once

#include <memory>
#include <string>

#include "ModulationSources.h"
#include "OnsetDetector.h"

namespace mm {

struct VoiceAnalysisSettings {
  OnsetSettings onset;            // method (hfc), hop 64-256, threshold, silence gate, min gap
  float attackMs = 5.f;           // envelope follower
  float releaseMs = 120.f;
  std::string pitchMethod = "yinfft";  // yin or yinfft
  int pitchWindow = 1024;
};

class VoiceAnalyzer : public InputAnalyzer {
 public:
  VoiceAnalyzer(ModulationSources& out, VoiceAnalysisSettings settings = {});
  ~VoiceAnalyzer() override;
  void prepare(double sampleRate, int maxBlock) override;
  MM_REALTIME void analyze(const float* mono, int n, uint64_t sampleTime) noexcept override;

  const VoiceAnalysisSettings& settings() const { return settings_; }
  // Onset times (s, stream time) seen so far, for tests and reports: the audio thread
  // writes into a preallocated ring; read after the stream stopped.
  int onsetLog(double* out, int max) const;

 private:
  ModulationSources& out_;
  VoiceAnalysisSettings settings_;
  double rate_ = 44100;
  std::unique_ptr<OnsetDetector> onset_;
  void* pitch_ = nullptr;     // aubio_pitch_t
  void* pitchIn_ = nullptr;   // fvec_t (hop)
  void* pitchOut_ = nullptr;  // fvec_t (1)
  int pitchFill_ = 0;
  float env_ = 0.f, attack_ = 0.f, release_ = 0.f;
  double onsetTimes_[1024];
  int onsetWritten_ = 0;
};

}  // namespace mm
