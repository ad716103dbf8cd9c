#include "PickupFilter.h"

#include <algorithm>
#include <cmath>

namespace mm {

std::optional<float> PickupFilter::next(float position, float current, float lo, float hi,
                                        float tolerance) {
  if (mode_ == Takeover::Jump || engaged_) {
    engaged_ = true;
    return position;
  }
  const float bottom = std::min(lo, hi), top = std::max(lo, hi);
  // A parameter outside the mapping's range is met at the nearer end of the control.
  const float target = std::clamp(current, bottom, top);
  const bool meets = std::fabs(position - target) <= tolerance;
  const bool crossed = hasPrevious_ && (previous_ - target) * (position - target) < 0.f;
  if (meets || crossed) {
    engaged_ = true;
    hasPrevious_ = false;
    return position;
  }
  if (mode_ == Takeover::Pickup || !hasPrevious_) {
    // Scale needs a direction, so its first move after arming only records the position.
    previous_ = position;
    hasPrevious_ = true;
    return std::nullopt;
  }
  // Scale: move the parameter by the same fraction of its remaining way to the end the
  // control is heading for, as the control moved of its own remaining way there.
  float value = target;
  if (position > previous_ && top - previous_ > 1e-6f)
    value = target + (position - previous_) * (top - target) / (top - previous_);
  else if (position < previous_ && previous_ - bottom > 1e-6f)
    value = target - (previous_ - position) * (target - bottom) / (previous_ - bottom);
  previous_ = position;
  if (std::fabs(value - position) <= tolerance) {
    engaged_ = true;
    hasPrevious_ = false;
    return position;
  }
  return std::clamp(value, bottom, top);
}

}  // namespace mm
