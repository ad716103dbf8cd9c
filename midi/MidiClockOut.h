// MidiClockOut: sends MIDI clock (24 ticks per quarter note at the `bpm` parameter) with
// Start when the performance starts and Stop when it ends, so drum machines and
// sequencers follow the instrument's tempo.
//
// Threads: a dedicated sender thread sleeps until each tick's due time (drift-free: due
// times advance by the tick period, not by "now + period") and reads the bpm parameter
// atomically. open/start/stop: main thread. Nothing here touches the audio thread.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "MidiOutputPort.h"
#include "Parameters.h"

namespace mm {

class MidiClockOut {
 public:
  MidiClockOut(const ParameterRegistry& registry, int bpmIndex);
  ~MidiClockOut();

  // `port`: "virtual" (a port named "<client>:clock" others connect to) or part of an
  // existing output port's name. Returns "" or what went wrong.
  std::string open(const std::string& api, const std::string& clientName, const std::string& port);
  std::string portName() const { return out_.portName(); }
  void start();  // sends Start, then ticks until stop()
  void stop();   // sends Stop and joins the sender thread
  // Main thread: the MIDI system went away and came back (a JACK server restarted): opens
  // the same port again on a fresh connection and goes on ticking if it was. "" or why not.
  std::string reopen();
  // The port's JACK server went away (MidiOutputRecovery decides when to reopen()).
  bool serverLost() const { return out_.serverLost(); }
  uint64_t ticksSent() const { return ticks_.load(); }

 private:
  void run();
  void startThread();
  void stopThread();

  const ParameterRegistry& registry_;
  int bpmIndex_;
  MidiOutputPort out_;
  std::thread thread_;
  bool wanted_ = false;  // main thread: between start() and stop()
  std::atomic<bool> running_{false};
  std::atomic<uint64_t> ticks_{0};
};

}  // namespace mm
