// MIDI and OSC in a running `musicmill perform` (MidiSetup.cpp, OscSetup.cpp): two App
// parts, and the MIDI-file performance of `render --midi`.
//
// Threads: built and stopped on the main thread; the rest on the control thread (the UI's
// MIDI learn arrives as events; the MIDI status goes out in the StageView).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "App.h"
#include "MidiMap.h"
#include "OfflineRenderer.h"

namespace mm {

class LiveMidi;
class MidiClockOut;
class MidiFilePlayer;
class MidiOutputRecovery;
class OscServer;

// MIDI in (every --midi-in port and --mapping, learn, clock following) and the clock out.
class MidiPart {
 public:
  MidiPart();
  ~MidiPart();
  LiveMidi& live() { return *live_; }
  const LiveMidi& live() const { return *live_; }
  uint64_t dropped() const;  // messages a full port queue lost
  void tick();               // control thread: MIDI drained into parameters; clock out recovery
  void navigated();          // after any set-list move the preset has changed the parameters under the knobs
  void stop();               // main thread: the clock out's thread ends
  // Control thread, for the UI's MIDI learn: aims learning at `target` (a parameter id or
  // an action; `actionValue` for a numbered action), cancelling one that waits. What it
  // says (learned, or why it cannot start) goes into the next StageView.
  void startLearn(const std::string& target, int actionValue);
  void fillLearnView(StageView& view) const;

 private:
  friend bool attachMidi(App& app);
  App* app_ = nullptr;
  std::unique_ptr<LiveMidi> live_;
  std::unique_ptr<MidiClockOut> clockOut_;
  std::unique_ptr<MidiOutputRecovery> clockRecovery_;
  uint64_t learnSaidCount_ = 0;
  std::string learnSaid_;
  bool learnRefused_ = false;
};

// The OSC server: its receiver thread queues requests; the control thread carries them out.
class OscPart {
 public:
  OscPart();
  ~OscPart();
  void tick();  // control thread: navigation and learn requests, rejected messages said
  void stop();  // main thread: the receiver ends

 private:
  friend bool attachOsc(App& app);
  App* app_ = nullptr;
  std::unique_ptr<OscServer> server_;
};

// MIDI is on when --midi-in, --mapping or --clock-out is given (app.midi, else null).
// Returns false (after printing every problem, file:line each) when a mapping file is broken.
bool attachMidi(App& app);
// OSC is on when --osc-port is given (0: any free port); bound to --osc-bind, default
// 127.0.0.1 (this machine only).
bool attachOsc(App& app);

// `render --midi PERFORMANCE.mid --mapping MAP`: loads both and hooks the performance into
// the renderer's beforeBlock; its CCs drive the `ccN` sources in `sources`. Returns false
// after printing every problem; without --midi does nothing and returns true.
bool attachMidiPerformance(const Args& args, ParameterRegistry& registry, ModulationSources& sources,
                           RenderOptions& options, std::unique_ptr<MidiFilePlayer>& performance);

// Carries out a set-list action from MIDI or OSC (`from`) and posts what it did.
void navigateAndSay(App& app, const char* from, MidiAction action, int value);

}  // namespace mm
