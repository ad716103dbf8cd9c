// MidiLearn: recognises "the next control moved" and what kind of control it is, for
// `musicmill learn PARAM` and for learn from the UI or OSC.
//
// A note, pitch bend or aftertouch is recognised at once. A CC is watched for a short
// settle time: its LSB partner (CC n+32) arriving makes it a 14-bit pair; the same value
// sent again and again (1, 1, 1 or 127, 127) makes it a relative encoder, whose mode
// follows from the values (1/127: two's complement, 65/63: binary offset); values that
// are only 0 and 127 make it a button. Otherwise it is an ordinary 7-bit control.
//
// Threads: whoever drains MIDI (main thread). Pure logic, no I/O.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "MidiEvent.h"
#include "MidiMap.h"
#include "Parameters.h"

namespace mm {

class MidiLearnDetector {
 public:
  explicit MidiLearnDetector(double settleSeconds = 0.4) : settle_(settleSeconds) {}
  void reset() { *this = MidiLearnDetector(settle_); }
  void feed(const MidiEvent& e);
  // The recognised control (source fields only) once it is known; `now` on the events' clock.
  std::optional<MidiBinding> result(double now) const;

 private:
  double settle_;
  bool started_ = false;
  MidiBinding found_;
  bool decided_ = false;  // notes, pitch bend, aftertouch: no need to wait
  double firstTime_ = 0.0;
  std::vector<int> values_;
  bool lsbSeen_ = false;
};

// Completes a recognised control with its target and the modes that suit the parameter
// (toggle parameters get toggle buttons; pads get momentary; knobs get pickup).
MidiBinding learnedBinding(MidiBinding control, const ParameterRegistry& registry, int paramIndex);
MidiBinding learnedAction(MidiBinding control, MidiAction action, int value);

}  // namespace mm
