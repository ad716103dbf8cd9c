// Beatbox triggers in a running `musicmill perform` (an App part; see input/Trigger*.h).
//
// On when --triggers PROFILE.toml is given. A profile file that does not exist yet starts
// a new one (kick, snare, hihat) to learn live from the "Beatbox triggers" panel; a
// broken one stops the start with one "file:line: ..." line per problem. Options:
//   --triggers PROFILE.toml           the performer's sounds (saved back after learning)
//   --trigger-midi-out PORT|virtual   send each hit as a MIDI note (JACK MIDI under JACK)
//   --listen-ms MS                    listen window after each onset (default: profile's)
//   --trigger-sensitivity, --trigger-reject, --midi-api jack|alsa
//
// Threads: built and stopped on the main thread; the rest on the control thread (the UI
// sees a TriggerView and posts events); the analyzer's analyze() on the audio thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "App.h"
#include "StageView.h"
#include "MidiOutputPort.h"
#include "TriggerAnalyzer.h"
#include "TriggerLearner.h"
#include "TriggerMidiOut.h"

namespace mm {

class TriggerPart {
 public:
  TriggerPart(App& app, std::string path, TriggerProfile profile, double rate);
  ~TriggerPart();

  // Control thread, every tick: hits from the audio thread, learning, hand-over; and the
  // notes out coming back after a JACK server crash.
  void tick();
  void stop();  // main thread: the MIDI-out thread ends (before the engine stops)
  // Control thread: what the stage screen shows (status line and panel).
  void fillView(TriggerView& view) const;

  // Control thread: what the performer does in the panel (UI events).
  void setDetection(float minRiseDb, float rejectDistance);  // live; save() when let go
  void save();  // on the save thread; said when written
  void arm(int cls, int examplesPerTake);  // listen for that many examples of class `cls`
  void cancelLearning();
  void clearClass(int cls);
  void removeClass(int cls);
  void setNote(int cls, int note);
  void addClass(const std::string& name);
  void reload();  // the profile file again; a broken file changes nothing

 private:
  friend bool attachTriggers(App& app);
  void publish();  // the current profile's classifier and notes to the audio and MIDI threads

  App& app;
  std::string path;
  std::shared_ptr<TriggerAnalyzer> analyzer;
  TriggerLearner learner;
  std::unique_ptr<TriggerMidiOut> midi;
  uint64_t published = 0;
  struct Recent {
    int cls;
    int velocity;
    float distance;
    double decisionMs;  // decided - onset
    std::chrono::steady_clock::time_point when;
  };
  std::deque<Recent> recent;

  std::unique_ptr<MidiOutputRecovery> midiRecovery;
};

bool attachTriggers(App& app);

}  // namespace mm
