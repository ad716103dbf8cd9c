// ParameterRamp: moves every parameter to a preset's values over a short time (default
// 50 ms) when a part changes, so a switch never jumps. The engine smooths each parameter
// once per model frame on top of this; the ramp makes that smoothing start from a
// continuous path rather than a step.
//
// A parameter the performer (or MIDI) moves while it ramps is left to the performer: the
// ramp notices the value is not the one it wrote and stops driving that parameter.
// Stepped and toggle parameters (LFO shapes, pattern slot) switch at once: an in-between
// value means nothing for them.
//
// Threads: main thread only (start and tick); writes through the registry's atomics.
#pragma once

#include <chrono>
#include <vector>

#include "Parameters.h"

namespace mm {

class ParameterRamp {
 public:
  using Clock = std::chrono::steady_clock;

  explicit ParameterRamp(ParameterRegistry& registry) : registry_(registry) {}

  // `targets` holds one value per registry parameter. ms <= 0 sets everything now.
  void start(const std::vector<float>& targets, double ms, Clock::time_point now);
  // Writes the values for `now`; returns true while still ramping.
  bool tick(Clock::time_point now);
  bool active() const { return !lanes_.empty(); }
  // Drops the ramp and sets every remaining target at once.
  void finish();

 private:
  struct Lane {
    int index;
    float from, to;  // normalised positions along the parameter's curve
    float target;    // the exact value to end on (normalising may round)
    float written;   // the value last written (to notice a performer's move)
  };
  ParameterRegistry& registry_;
  std::vector<Lane> lanes_;
  Clock::time_point start_{};
  double ms_ = 0;
};

}  // namespace mm
