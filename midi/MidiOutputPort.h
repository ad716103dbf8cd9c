// MidiOutputPort: a MIDI output opened by what a performer types — "virtual" (a port
// others connect to) or part of a port's name, case-insensitive — that survives its JACK
// server dying. Shared by the trigger notes (input/) and the MIDI clock (mappings/).
//
// Under JACK MIDI a JackServerWatch stands beside the port: once the server is gone,
// send() drops messages (RtMidi's JACK sendMessage would spin for ever on a buffer nobody
// drains) and the dead RtMidi object is never destroyed (that crashes inside libjack);
// reopen() opens the same port on the server that is there now; MidiOutputRecovery says
// when (once a second after the server went away, as soon as one answers again), so the
// output comes back whether or not the audio runs on JACK too.
//
// Threads: open/reopen/close on the owner's control thread while no send() runs; send()
// from the owner's one sender thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "JackServerWatch.h"

class RtMidiOut;

namespace mm {

class MidiOutputPort {
 public:
  MidiOutputPort() = default;
  ~MidiOutputPort();
  MidiOutputPort(const MidiOutputPort&) = delete;
  MidiOutputPort& operator=(const MidiOutputPort&) = delete;

  // `api`: an RtMidi::Api value (0: the platform default); `localName`: our port's name
  // ("clock", "triggers"); `option`: the command-line option, for messages. Returns "" or
  // what went wrong, naming the option.
  std::string open(int api, const std::string& clientName, const std::string& port, const std::string& localName,
                   const std::string& option);
  // The same port again on a fresh connection (after the MIDI system came back).
  std::string reopen();
  void close();

  bool isOpen() const { return out_ != nullptr; }
  // False once the JACK server of this port went away (until reopen()).
  bool usable() const { return out_ && !(watch_ && watch_->lost()); }
  // The JACK server of this port went away (until reopen()). Any thread.
  bool serverLost() const { return watch_ && watch_->lost(); }
  // Sender thread. Throws RtMidiError when the port fails; drops the message when the
  // port's server is gone.
  void send(const unsigned char* message, size_t size);
  const std::string& portName() const { return portName_; }

 private:
  std::unique_ptr<RtMidiOut> out_;
  std::unique_ptr<JackServerWatch> watch_;
  std::string portName_;
  int api_ = 0;
  std::string clientName_, port_, localName_, option_;
};

// Brings an output back after its JACK server went away. Control thread, polled often (a
// UI tick): once `serverLost` was seen, it calls `reopen` once a second while a JACK server
// answers, until reopen returns "" (the port named by the performer may come back later
// than the server). Each outcome is reported once: `reopened`, or a reason not seen before.
class MidiOutputRecovery {
 public:
  using Clock = std::chrono::steady_clock;
  struct Outcome {
    bool reopened = false;
    std::string error;  // a new reason the reopen failed; "" otherwise
  };
  Outcome poll(bool serverLost, const std::function<std::string()>& reopen, Clock::time_point now);
  bool pending() const { return pending_; }

 private:
  bool pending_ = false;
  Clock::time_point lastTry_{};
  std::string lastError_;
};

}  // namespace mm
