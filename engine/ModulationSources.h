// ModulationSources: the values that drive modulation besides LFOs — the voice (onsets,
// loudness, pitch), beatbox trigger classes and MIDI controls — published as atomics by
// whoever measures them (the audio thread's analyzers, the MIDI thread) and read once
// per block by the modulation matrix on the processing thread. Writers never wait.
#pragma once

#include <atomic>
#include <cstdint>

#include "Realtime.h"

namespace mm {

struct ModulationSources {
  static constexpr int kTriggerClasses = 8;
  static constexpr int kMidiControls = 128;
  // Voice analysis (audio thread writes).
  std::atomic<uint64_t> onsetCount{0};     // increments on every voice onset
  std::atomic<float> envelope{0.f};        // loudness envelope, 0..1 (linear amplitude)
  std::atomic<float> pitchHz{0.f};         // 0 when unvoiced
  std::atomic<float> pitchConfidence{0.f}; // 0..1
  // Beatbox triggers (audio thread writes): per class, a count of hits and the last velocity.
  std::atomic<uint64_t> triggerCount[kTriggerClasses]{};
  std::atomic<float> triggerVelocity[kTriggerClasses]{};
  // MIDI controls as modulation sources (MIDI/main thread writes), normalised 0..1.
  std::atomic<float> midiControl[kMidiControls]{};
};

// Anything that analyses the processed input on the audio thread (voice analysis,
// beatbox triggers). Built before the stream starts; analyze() is MM_REALTIME.
class InputAnalyzer {
 public:
  virtual ~InputAnalyzer() = default;
  // `mono`: the processed input (after gain and gate) at `sampleRate`; `sampleTime`: the
  // stream position of mono[0] in samples since the stream started.
  MM_REALTIME virtual void analyze(const float* mono, int n, uint64_t sampleTime) noexcept = 0;
  virtual void prepare(double sampleRate, int maxBlock) = 0;  // control thread, before start
};

}  // namespace mm
