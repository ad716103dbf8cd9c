// StageView: what the stage screen shows of the performance's parts (set list, presets,
// MIDI, style anchors, beatbox triggers), copied by the control thread after its tick and
// handed to the UI through App::view (a TripleBuffer). The UI draws from it and never
// reaches into a part: what a performer does on the screen goes back as an event
// (App::postFromUi), carried out on the control thread.
//
// Threads: filled on the control thread (App::publishView), read on the UI thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace mm {

// What a style anchor (A or B) holds.
struct StyleAnchorStatus {
  std::string file;      // the audio file it was encoded from; "" = none loaded
  std::string encoding;  // the file being encoded into it now; "" = none
  double encodingSeconds = 0;  // how long that has been running
  std::string error;     // why the last request or encoding for it failed; "" = it did not
};

// The beatbox triggers, for the status line and their panel.
struct TriggerView {
  using Time = std::chrono::steady_clock::time_point;
  // Activity: the last hit's sound and when, the hits so far, the notes' MIDI port.
  std::string lastClass;  // "" before the first hit
  Time lastHit{};
  uint64_t hits = 0;
  std::string midiOut;  // "" when no MIDI out
  // The panel: the profile and its learning.
  std::string status, path;
  double listenMs = 0;
  float sensitivity = 0.5f, reject = 0.f;
  bool armed = false;  // a class is listening for examples
  struct Class {
    std::string name;
    int examples = 0, note = 0;
    bool armed = false;
  };
  std::vector<Class> classes;
  bool canAddClass = false;
  struct Hit {  // the last few, newest first
    int cls = -1;
    int velocity = 0;
    float distance = 0;
    double decisionMs = 0;
    Time when{};
  };
  std::vector<Hit> recent;
};

struct StageView {
  uint64_t serial = 0;  // 0 until the control thread published one
  // UI events (App::postFromUi) carried out before this view was taken: a view reflects
  // every event the UI posted once this reaches the number it posted.
  uint64_t uiEventsHandled = 0;
  // Set list (empty without one).
  std::string now, next, notes;
  std::vector<std::string> presets;  // the shelf, numbered from 1 on the screen
  // MIDI in: on (--midi-in, --mapping or --clock-out), its open ports, learning now.
  bool midi = false;
  std::vector<std::string> midiPorts;
  bool midiLearning = false;
  // What MIDI learn started from the UI last said (a control learned, or why learning
  // could not start), numbered so that the UI sees each once.
  uint64_t learnSaidCount = 0;
  std::string learnSaid;
  bool learnRefused = false;
  // Style anchors (false: not part of this performance).
  bool sources = false;
  StyleAnchorStatus anchors[2];
  // Beatbox triggers (false: no --triggers).
  bool triggers = false;
  TriggerView trigger;
};

}  // namespace mm
