// MidiClockFollower: tempo and transport from incoming MIDI clock (24 ticks per quarter
// note, Start/Continue/Stop). The tempo is the least-squares slope of the last two beats
// of tick times, then lightly smoothed, so the cycle-sized jitter of JACK or USB delivery
// does not make the BPM wander.
//
// Threads: the thread that drains the MIDI FIFOs (main thread live). Tick times come
// from the MIDI callback's timestamps, not from when the main thread got round to them.
#pragma once

#include <array>
#include <cstddef>

#include "MidiEvent.h"

namespace mm {

class MidiClockFollower {
 public:
  // Feeds a clock or transport event (others are ignored).
  void handle(const MidiEvent& e);
  // Drops the tempo lock when no tick came for `timeout` seconds (the clock source went
  // away); call regularly with the current time.
  void idle(double now, double timeout = 0.5);

  bool locked() const { return locked_; }  // has a tempo from recent ticks
  double bpm() const { return bpm_; }      // smoothed; meaningful when locked()
  bool running() const { return running_; }
  // Increments on every Start/Continue/Stop, so a poller sees transport changes.
  unsigned transportChanges() const { return transportChanges_; }

 private:
  static constexpr size_t kWindow = 48;  // two beats of ticks
  std::array<double, kWindow> ticks_{};
  size_t count_ = 0, head_ = 0;
  double lastTick_ = -1.0;
  double bpm_ = 0.0;
  bool locked_ = false, running_ = false;
  unsigned transportChanges_ = 0;
};

}  // namespace mm
