// Smoother: the instrument's one one-pole smoother, y += (1 - a) (target - y), for
// anything that follows a target step by step: audio-rate gains (InputStage,
// OutputStage), parameters once per model frame (LatentControls), modulation routes once
// per control tick with its own time step (ModulationMatrix). `a` = exp(-step / time).
//
// Threads: a plain value, used by one thread; next() is MM_REALTIME.
#pragma once

#include <cmath>

#include "Realtime.h"

namespace mm {

// The coefficient for a time constant of `timeSeconds` at `stepsPerSecond` steps (0: no
// smoothing, the target at once).
inline float onePoleCoefficient(double timeSeconds, double stepsPerSecond) {
  return timeSeconds <= 0.0 || stepsPerSecond <= 0.0 ? 0.f
                                                     : static_cast<float>(std::exp(-1.0 / (timeSeconds * stepsPerSecond)));
}

class Smoother {
 public:
  // A fixed step: `stepsPerSecond` (a sample rate, a frame rate), `timeMs` its time constant.
  void setup(double stepsPerSecond, float timeMs, float initial) {
    coef_ = onePoleCoefficient(timeMs * 0.001, stepsPerSecond);
    value_ = initial;
  }
  MM_REALTIME float next(float target) noexcept { return value_ = coef_ * value_ + (1.f - coef_) * target; }
  // A step of its own (a control tick of `stepSeconds`), with time constant `timeMs`.
  MM_REALTIME float next(float target, double stepSeconds, float timeMs) noexcept {
    const float a = timeMs > 0.f ? static_cast<float>(std::exp(-stepSeconds * 1000.0 / timeMs)) : 0.f;
    return value_ = a * value_ + (1.f - a) * target;
  }
  void reset(float value) { value_ = value; }
  float value() const { return value_; }

 private:
  float coef_ = 0.f, value_ = 0.f;
};

}  // namespace mm
