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
// Threads: built and stopped on the main thread; tick on the control thread; the panel
// and activity() from the UI under App::controlMutex; the analyzer's analyze() on the
// audio thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "App.h"
#include "MidiOutputPort.h"
#include "TriggerAnalyzer.h"
#include "TriggerLearner.h"
#include "TriggerMidiOut.h"

namespace mm {

class TriggerPart {
 public:
  TriggerPart(App& app, std::string path, TriggerProfile profile, double rate);
  ~TriggerPart();

  // What the triggers are doing, for the stage screen.
  struct Activity {
    std::string lastClass;        // "" before the first hit
    double lastSecondsAgo = 1e9;  // since that hit
    uint64_t hits = 0;            // all hits played so far
    std::string midiOut;          // the notes' port, "" when no MIDI out
  };
  Activity activity() const;
  // Control thread, every tick: hits from the audio thread, learning, hand-over; and the
  // notes out coming back after a JACK server crash.
  void tick();
  void stop();  // main thread: the MIDI-out thread ends (before the engine stops)
  // The "Beatbox triggers" panel (UI builds only; Dear ImGui, under App::controlMutex).
  void drawPanel();

 private:
  friend bool attachTriggers(App& app);
  void publish();  // the current profile's classifier and notes to the audio and MIDI threads
  std::string save();
  void arm(int cls);

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
  int examplesPerTake = 8;
  char newClass[32] = "";

  std::unique_ptr<MidiOutputRecovery> midiRecovery;
};

bool attachTriggers(App& app);

}  // namespace mm
