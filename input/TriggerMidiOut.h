// TriggerMidiOut: sends each classified beatbox hit as a MIDI note (RtMidi output to a
// named port or to a virtual port others connect to; JACK MIDI or ALSA), note off after
// the profile's note length. Velocity comes from the hit's loudness.
//
// Threads: a dedicated sender thread waits on the analyzer's WakeSignal (posted by the
// audio thread after it pushed a hit), pops hits and calls RtMidi; the audio thread never
// touches RtMidi. open/start/stop/setNote: control thread.
#pragma once

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "MidiOutputPort.h"
#include "TriggerAnalyzer.h"

namespace mm {

class TriggerMidiOut {
 public:
  explicit TriggerMidiOut(TriggerAnalyzer& source);
  ~TriggerMidiOut();
  TriggerMidiOut(const TriggerMidiOut&) = delete;
  TriggerMidiOut& operator=(const TriggerMidiOut&) = delete;

  // `api`: an RtMidi::Api value (0: the platform default). `port`: "virtual" (a port named
  // "<clientName>:triggers") or part of an existing output port's name. Returns "" or
  // what went wrong, naming the option.
  std::string open(int api, const std::string& clientName, const std::string& port);
  std::string portName() const { return out_.portName(); }
  void start();
  void stop();  // sends note off for sounding notes and joins the thread
  // Control thread: the MIDI system went away and came back (a JACK server restarted):
  // opens the same port again on a fresh connection and goes on sending if it was.
  // "" or why not.
  std::string reopen();
  // The port's JACK server went away (MidiOutputRecovery decides when to reopen()).
  bool serverLost() const { return out_.serverLost(); }

  // Control thread, any time: the note of class `cls`, the channel (1..16), note length.
  void setNote(int cls, int note);
  void setChannel(int channel) { channel_.store(std::clamp(channel, 1, 16) - 1); }
  void setNoteLengthMs(float ms) { noteLengthMs_.store(std::max(1.f, ms)); }
  uint64_t notesSent() const { return sent_.load(); }

 private:
  void run();
  void startThread();
  void stopThread();

  TriggerAnalyzer& source_;
  MidiOutputPort out_;
  std::thread thread_;
  bool wanted_ = false;  // control thread: between start() and stop()
  std::atomic<bool> running_{false};
  std::atomic<int> notes_[kMaxTriggerClasses];
  std::atomic<int> channel_{9};
  std::atomic<float> noteLengthMs_{60.f};
  std::atomic<uint64_t> sent_{0};
};

}  // namespace mm
