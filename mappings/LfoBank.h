// LfoBank: the "evolution" controls — LFOs (sine, triangle, square, random) at 0.1-10 Hz,
// free or synced to the BPM, depth 0-100 %, each aimed at any parameter or latent dimension
// through its lfo.N.target parameter (a registry index). Applied to the parameter snapshot
// once per block, so anything the worker reads can be modulated.
// Threads: the processing thread (worker or renderer) only.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "FrameProcessor.h"
#include "Parameters.h"

namespace mm {

enum class LfoShape { Sine = 0, Triangle = 1, Square = 2, Random = 3 };

class LfoBank : public ParamModulator {
 public:
  LfoBank(const ParameterRegistry& registry, uint64_t seed = 7);
  void modulate(float* params, int count, int frames, double frameRate) override;

  // Current output (-1..1) of each LFO, for the UI.
  const std::vector<float>& outputs() const { return out_; }
  // Effective frequency of LFO i given its params (sync snaps to BPM multiples).
  static double effectiveRate(float rateHz, bool sync, float bpm);
  static float shapeValue(LfoShape shape, double phase, float randomValue);

 private:
  const ParameterRegistry& registry_;
  StandardParams p_;
  std::vector<double> phase_;
  std::vector<float> out_, random_, randomPrev_;
  std::mt19937_64 rng_;
};

}  // namespace mm
