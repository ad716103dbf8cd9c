// LatentControls: what the performer does to the latent z (DESIGN.md "Latent controls").
// Runs once per block of latent frames on the inference worker (or the offline renderer)
// with one parameter snapshot. Every control is smoothed per latent frame so that a jump
// in a parameter never becomes a jump in the audio.
//
// Threads: worker only. Buffers are sized in the constructor; process() does not allocate.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "Parameters.h"
#include "Smoother.h"

namespace mm {

class LatentControls {
 public:
  LatentControls(const ParameterRegistry& registry, int dims, double frameRateHz,
                 uint64_t seed = 1);

  // z: dims planar rows of `frames` (the voice latents, already encoded); replaced in
  // place by the performed latents. `params` is the (modulated) snapshot of the registry.
  // `prior`: optional dims x frames latents from the model's prior (nullptr: the engine's
  // own smooth random walk is used for the prior/random source). `pattern`: dims x frames
  // pattern-memory latents (nullptr: none). `style`: anchors to blend toward (nullptr: none).
  void process(float* z, int frames, const float* params, const float* prior = nullptr,
               const float* pattern = nullptr, class StyleBlender* style = nullptr);

  // A pitched model's measured dims (the input's pitch and loudness, ModelInfo::pitchDim and
  // loudnessDim; -1 for none): energy, hits, texture, chaos and style leave them alone, so a
  // synth stays in tune and at the voice's level; the sources, each dim's own offset and
  // weight, and whatever modulates dim.N still play them. Set before the first process().
  void setMeasuredDims(int pitchDim, int loudnessDim);

  // Snaps every smoother to its target (after loading a preset with ramp 0, or at start).
  void snapToTargets(const float* params);

  int dims() const { return dims_; }
  double frameRate() const { return frameRate_; }

 private:
  float smooth(int param, float target);

  const ParameterRegistry& registry_;
  StandardParams p_;
  int dims_;
  double frameRate_;
  std::vector<Smoother> smoothed_;  // per registry index, one step per model frame
  std::vector<float> texture_;    // per-dim slow random walk (texture)
  std::vector<float> walk_;       // per-dim random walk (prior/random source)
  std::vector<float> styleTarget_;
  std::vector<uint8_t> measured_;  // per dim: 1 for a measured dim
  std::mt19937_64 rng_;
  std::normal_distribution<float> normal_{0.f, 1.f};
  bool first_ = true;
};

}  // namespace mm
