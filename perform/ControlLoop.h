// ControlLoop: the performance's control thread. It runs App::tick (every part's control
// work) as soon as a MIDI message or an OSC request arrives (App::controlWake), and
// otherwise every few milliseconds (`periodMs`, less than a model frame): MIDI and OSC drained
// into parameters (mapping, pickup, 14-bit pairs, relative encoders, clock following,
// learn), set-list navigation and preset ramps, the autosave hand-over, style-anchor
// completion, the audio-server watch. So a control reaches the registry within a fraction
// of a millisecond of arriving, whatever the UI is doing, and the thread costs next to
// nothing while nothing happens.
//
// Threads: start/stop on the main thread. The loop holds App::controlMutex while it
// ticks; the headless main loop takes it only to read the engine's status. The UI never
// takes it (it draws App::view and posts events), so a slow or stalled frame does not
// hold a control back.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>

#include "App.h"

namespace mm {

class ControlLoop {
 public:
  explicit ControlLoop(App& app, double periodMs = 4.0);
  ~ControlLoop() { stop(); }
  ControlLoop(const ControlLoop&) = delete;
  ControlLoop& operator=(const ControlLoop&) = delete;

  void start();
  // Returns once the last tick has finished; the hooks are not called again.
  void stop();

  // Any thread: how many ticks ran, and the longest one (ms) — for the report.
  uint64_t ticks() const { return ticks_.load(std::memory_order_relaxed); }
  double longestTickMs() const { return longestTickMs_.load(std::memory_order_relaxed); }

 private:
  void run();

  App& app_;
  const double periodMs_;
  std::atomic<bool> running_{false};
  std::thread thread_;
  std::atomic<uint64_t> ticks_{0};
  std::atomic<double> longestTickMs_{0.0};
};

}  // namespace mm
