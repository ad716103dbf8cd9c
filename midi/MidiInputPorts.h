// MidiInputPorts: the instrument's MIDI inputs through RtMidi — every port, or the ones
// whose names contain what the performer asked for, or a virtual port others connect to.
// A controller unplugged and plugged back in is picked up again: rescan() (main thread,
// about once a second) compares the system's port names with what is open.
//
// Threads: the RtMidi callback (one per open port: ALSA's reader thread or JACK's process
// thread) only timestamps the message and pushes it into that port's lock-free FIFO; it
// never allocates, locks or applies anything (DESIGN.md). Everything else — constructing,
// rescan(), drain(), destroying — happens on the main thread.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "JackServerWatch.h"
#include "MidiEvent.h"
#include "Semaphore.h"
#include "SpscFifo.h"

class RtMidiIn;

namespace mm {

// "jack", "alsa", "core" ... or "" for the platform default. Throws std::invalid_argument
// naming the choices when the name is unknown or not compiled into this RtMidi.
int midiApiFromName(const std::string& name);

// Lines for `musicmill devices`: "MIDI in  N: NAME" / "MIDI out N: NAME", or one line
// saying why MIDI is unavailable.
std::vector<std::string> listMidiPorts(const std::string& api);

// Seconds on the steady clock (the time base of live MidiEvents). Lock-free.
double midiNow() noexcept;

class MidiInputPorts {
 public:
  // `wanted`: name parts to open (case-insensitive); empty or "all": every port;
  // "virtual": a port named "<clientName>:in" that other programs connect to.
  // Throws std::runtime_error when the MIDI system cannot be opened at all.
  MidiInputPorts(const std::string& api, std::string clientName, std::vector<std::string> wanted);
  ~MidiInputPorts();
  MidiInputPorts(const MidiInputPorts&) = delete;
  MidiInputPorts& operator=(const MidiInputPorts&) = delete;

  // Opens wanted ports that appeared, closes ports that vanished. Returns what changed,
  // as messages for the performer ("connected ...", "lost ...", "waiting for ...").
  std::vector<std::string> rescan();
  // Under JACK MIDI, rescan() also notices the JACK server going away (JackServerWatch):
  // it then abandons every port of the dead server (their queued events stay for
  // drain()) and, at each later rescan, tries to open the MIDI system again; when a
  // server is back the controllers are connected again. Port indices keep their names.
  // Appends every queued event to `out`, oldest first across all ports.
  void drain(std::vector<MidiEvent>& out);

  // Names by MidiEvent::port index (an index stays with its name for the whole session).
  const std::vector<std::string>& portNames() const { return names_; }
  std::vector<std::string> openPorts() const;
  // Messages lost because the control thread fell behind (a port's queue full: the older
  // values of a control that overflowed, and other messages; MidiEventQueue.h).
  uint64_t dropped() const;
  // Before the ports open: `wake` is posted after every message pushed (the MIDI callback
  // thread), so the consumer can sleep until there is something to do. nullptr: none.
  void wakeOnInput(WakeSignal* wake);

 private:
  struct Port;
  static void onMessage(double, std::vector<unsigned char>* message, void* port);
  static void onScannerError(int type, const std::string& text, void* self);
  bool wants(const std::string& name) const;
  uint16_t idFor(const std::string& name);
  void close(size_t i, std::vector<MidiEvent>* keep);
  // Opens the scanner (and the virtual port when asked for); "" or why not.
  std::string openBackend();
  // Lets go of every RtMidi object without calling into it (their server is dead).
  void abandonBackend();
  bool jack() const;

  int api_;
  std::string clientName_;
  std::vector<std::string> wanted_;  // lower case, for matching
  std::vector<std::string> asked_;   // as the performer wrote them, for messages
  bool all_ = false, virtual_ = false;
  std::unique_ptr<RtMidiIn> scanner_;
  std::unique_ptr<JackServerWatch> watch_;  // JACK MIDI only
  std::vector<std::unique_ptr<Port>> ports_;
  std::vector<std::string> names_;
  std::vector<std::string> waitingReported_;
  std::vector<MidiEvent> pending_;  // drained from ports closed since the last drain()
  std::string scannerError_, scannerErrorReported_;  // RtMidi's complaints while listing ports
  uint64_t droppedClosed_ = 0;
  WakeSignal* wake_ = nullptr;
};

}  // namespace mm
