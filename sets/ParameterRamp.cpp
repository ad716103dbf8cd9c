#include "ParameterRamp.h"

#include <algorithm>

namespace mm {

void ParameterRamp::start(const std::vector<float>& targets, double ms, Clock::time_point now) {
  lanes_.clear();
  start_ = now;
  ms_ = ms;
  const int n = std::min(registry_.size(), static_cast<int>(targets.size()));
  for (int i = 0; i < n; ++i) {
    const float current = registry_.get(i);
    const ParamSpec& s = registry_.spec(i);
    const bool jumps = ms <= 0 || s.curve == Curve::Stepped || s.curve == Curve::Toggle;
    if (jumps) {
      registry_.set(i, targets[i]);
      continue;
    }
    if (targets[i] == current) continue;
    lanes_.push_back({i, registry_.toNormalized(i, current), registry_.toNormalized(i, targets[i]), targets[i], current});
  }
  tick(now);
}

bool ParameterRamp::tick(Clock::time_point now) {
  if (lanes_.empty()) return false;
  const double elapsed = std::chrono::duration<double, std::milli>(now - start_).count();
  const float t = ms_ <= 0 ? 1.f : static_cast<float>(std::clamp(elapsed / ms_, 0.0, 1.0));
  for (auto it = lanes_.begin(); it != lanes_.end();) {
    if (registry_.get(it->index) != it->written) {
      it = lanes_.erase(it);  // the performer moved it: their value wins
      continue;
    }
    registry_.set(it->index, t >= 1.f ? it->target
                                      : registry_.fromNormalized(it->index, it->from + t * (it->to - it->from)));
    it->written = registry_.get(it->index);
    ++it;
  }
  if (t >= 1.f) lanes_.clear();
  return !lanes_.empty();
}

void ParameterRamp::finish() {
  for (const Lane& l : lanes_)
    if (registry_.get(l.index) == l.written) registry_.set(l.index, l.target);
  lanes_.clear();
}

}  // namespace mm
