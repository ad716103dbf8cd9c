// PickupFilter: soft takeover for one absolute control bound to one parameter, so that a
// knob whose physical position disagrees with the parameter (after a preset change, or
// when the UI or OSC moved it) never makes the sound jump.
//
// Works in the parameter's normalised space (0..1 along its curve). `lo`/`hi` are the
// normalised ends of the mapping's range (lo may exceed hi for an inverted range);
// `tolerance` is half a control step there, so a control landing next to the value
// counts as meeting it.
//
// Threads: whoever owns the mapping (the main thread live, the renderer offline).
#pragma once

#include <optional>

#include "MidiMap.h"

namespace mm {

class PickupFilter {
 public:
  explicit PickupFilter(Takeover mode = Takeover::Pickup) : mode_(mode) {}

  // The control moved to `position`; the parameter is at `current`. Returns the value to
  // write (normalised), or nothing while the control has not taken over yet.
  std::optional<float> next(float position, float current, float lo, float hi, float tolerance);

  // Lose sync: the next moves must meet the parameter again (Jump ignores this).
  void arm() {
    engaged_ = false;
    hasPrevious_ = false;
  }
  bool engaged() const { return engaged_ || mode_ == Takeover::Jump; }
  Takeover mode() const { return mode_; }

 private:
  Takeover mode_;
  bool engaged_ = false;
  bool hasPrevious_ = false;
  float previous_ = 0.f;
};

}  // namespace mm
