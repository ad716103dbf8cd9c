// LiveMidi: the MIDI side of a running performance — input ports (with reconnection),
// the mapping files (reloaded when they change on disk; a broken edit keeps the previous
// mapping), the mapper, clock following, and MIDI learn for the UI and OSC.
//
// Threads: constructed, ticked and destroyed on one thread (the control thread in a
// performance). Its only contact with other threads is the input ports' lock-free FIFOs
// (filled by the MIDI callbacks), the registry's atomics and, with
// LiveMidiOptions::saveOffThread, the save of a learned control. tick() never blocks: it
// drains what is there and returns.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "MidiClockFollower.h"
#include "MidiInputPorts.h"
#include "MidiLearn.h"
#include "MidiMapper.h"
#include "Parameters.h"

namespace mm {

struct LiveMidiOptions {
  std::string api;                         // "jack", "alsa", "" = platform default
  std::string clientName = "musicmill-midi";
  std::vector<std::string> ports;          // name parts; empty/"all": every port; "virtual"
  std::vector<std::string> mappingPaths;   // loaded in order; learn writes to the first
  bool followClock = true;                 // incoming MIDI clock sets `bpm`
  double rescanSeconds = 1.0;              // how often port names and files are checked
  WakeSignal* wake = nullptr;              // posted on every incoming message (the control loop's)
  // Where a learned control is written into the first mapping file: `save` (the file
  // write, which returns "" or what went wrong) runs off this thread, and `then` comes
  // back to the thread that ticks. Unset: written right here (the `learn` command).
  std::function<void(std::function<std::string()> save, std::function<void(const std::string&)> then)> saveOffThread;
};

class LiveMidi {
 public:
  LiveMidi(ParameterRegistry& registry, LiveMidiOptions options);
  ~LiveMidi();

  // Loads every mapping file and opens the ports. Returns "" or why the performance
  // should not start (a mapping file with errors: every message, file:line each).
  std::string start();
  // Main thread, every UI frame / ~5 ms: rescans and reloads when due, drains the FIFOs,
  // applies the mappings, follows the clock and completes a learn in progress.
  void tick(double now);

  // User-visible messages (connections, reloads, errors, clock, learn results).
  std::function<void(const std::string&)> onMessage;
  // Set-list actions for App::navigate.
  std::function<void(MidiAction, int)> onAction;

  // MIDI learn: the next control moved is bound to `target` (a parameter id, or an action
  // name such as "next_part"; `actionValue` for goto_song / select_preset). The binding is
  // saved to the first mapping file (or kept in memory when there is none) and `done`
  // gets the message describing it. Returns "" or why learning cannot start.
  std::string startLearn(const std::string& target, int actionValue = 0,
                         std::function<void(const std::string&)> done = nullptr);
  void cancelLearn();
  bool learning() const { return learnIndex_ >= 0 || learnAction_ != MidiAction::None; }

  // The preset code calls this after applying a preset: every knob picks up again.
  void rearmPickup() { mapper_.rearmPickup(); }
  // A preset's own mapping file (PresetHooks::applyMapping; "" = none), used on top of
  // the --mapping files until the next preset says otherwise. Returns "" or every problem
  // (file:line); on a problem the mapping in use stays.
  std::string setPresetMapping(const std::string& path);
  const std::string& presetMapping() const { return presetSource_.path; }

  MidiMapper& mapper() { return mapper_; }
  const MidiClockFollower& clock() const { return clock_; }
  std::vector<std::string> openPorts() const;
  // MIDI messages lost because a port's queue was full (the control thread fell behind).
  uint64_t droppedMessages() const;

 private:
  struct MappingSource {
    std::string path;
    long long stamp = 0;  // mtime + size, to notice edits
    MidiMap map;
  };
  void say(const std::string& m) const {
    if (onMessage) onMessage(m);
  }
  bool loadFile(MappingSource& src, bool initial, std::string* errors);
  void applyMaps();
  void finishLearn(const MidiBinding& control);
  static long long stampOf(const std::string& path);

  ParameterRegistry& registry_;
  LiveMidiOptions options_;
  MidiMapper mapper_;
  MidiClockFollower clock_;
  std::unique_ptr<MidiInputPorts> ports_;
  std::vector<MappingSource> sources_;
  MappingSource presetSource_;  // path "" when the preset names none
  MidiMap learnedInMemory_;  // learned bindings when there is no mapping file
  std::vector<MidiEvent> events_;
  double nextScan_ = 0.0;
  int bpmIndex_ = -1;
  float lastClockBpm_ = 0.f;
  bool clockWasLocked_ = false;
  unsigned transportSeen_ = 0;
  uint64_t droppedReported_ = 0;

  MidiLearnDetector learner_;
  int learnIndex_ = -1;
  MidiAction learnAction_ = MidiAction::None;
  int learnActionValue_ = 0;
  std::function<void(const std::string&)> learnDone_;
};

}  // namespace mm
