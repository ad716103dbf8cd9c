// LfoBank: the "evolution" controls — LFOs (sine, triangle, square, random) at 0.1-10 Hz,
// free or synced to the BPM, depth 0-100 %, each aimed at any parameter or latent dimension
// through its lfo.N.target parameter (a registry index). Applied to the parameter snapshot
// once per block, so anything the worker reads can be modulated.
//
// One bank per performance, not per model: its clock is the audio stream. analyze() (an
// InputAnalyzer: live in the audio callback, offline in the renderer, per audio block)
// advances every LFO by the block's duration at the rates the registry holds now and
// publishes each output; modulate() only reads those outputs, so every model slot's
// worker can apply the same LFOs at once and an LFO keeps its phase through a model switch.
// Threads: analyze() on the audio thread (one at a time), MM_REALTIME; modulate() on any
// processing thread; outputs() from any thread (the UI draws them, the modulation matrix
// reads them): each output is an atomic, so a reader sees a whole recent value and
// neither side waits.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "FrameProcessor.h"
#include "ModulationSources.h"
#include "Parameters.h"

namespace mm {

enum class LfoShape { Sine = 0, Triangle = 1, Square = 2, Random = 3 };

class LfoBank : public ParamModulator, public InputAnalyzer {
 public:
  LfoBank(const ParameterRegistry& registry, uint64_t seed = 7);
  void prepare(double sampleRate, int maxBlock) override;
  MM_REALTIME void analyze(const float* mono, int n, uint64_t sampleTime) noexcept override;
  void modulate(float* params, int count, int frames, double frameRate) override;

  // Current output (-1..1) of each LFO: a read-only view over the atomics (any thread).
  class Outputs {
   public:
    Outputs(const std::atomic<float>* values, size_t count) : values_(values), count_(count) {}
    size_t size() const { return count_; }
    float operator[](size_t i) const { return values_[i].load(std::memory_order_relaxed); }

   private:
    const std::atomic<float>* values_;
    size_t count_;
  };
  Outputs outputs() const { return Outputs(out_.get(), count_); }
  size_t size() const { return count_; }
  // Effective frequency of LFO i given its params (sync snaps to BPM multiples).
  static double effectiveRate(float rateHz, bool sync, float bpm);
  static float shapeValue(LfoShape shape, double phase, float randomValue);

 private:
  const ParameterRegistry& registry_;
  StandardParams p_;
  double sampleRate_ = 44100.0;
  std::vector<double> phase_;
  size_t count_ = 0;
  std::unique_ptr<std::atomic<float>[]> out_;  // written by modulate(), read by anyone
  std::vector<float> random_, randomPrev_;
  std::mt19937_64 rng_;
};

}  // namespace mm
