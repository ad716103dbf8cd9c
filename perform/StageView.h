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

// The playing model's own controls and the model browser (ModelPart).
struct ModelView {
  std::string name, path;  // the playing model (name: its library name, else the file name)
  struct Attribute {
    std::string name, type;
    int param = -1;          // attr.<name> in the registry; -1: not playable in this show
    bool learn = false;      // a bool named learn_*: "learn from the input / a file"
    std::string reset;       // its reset_* partner, "" when the model has none
  };
  std::vector<Attribute> attributes;
  std::string learning;      // "learn_target from the input: 2.1 s left", "" when idle
  // The library, listed when the browser opened (loading each model's facts off the
  // control thread, one at a time): what a performer needs to choose.
  bool listing = false;      // still reading the library
  struct Entry {
    std::string name, path, facts;  // facts: "44100 Hz, ratio 2048 (46 ms), 8 dims, 1.2 ms a frame"
    std::string problem;            // why it cannot be played ("" when it can)
    bool playing = false;
  };
  std::vector<Entry> library;
  std::string loading;       // the model being loaded to switch to, "" when none
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
  ModelView model;
};

}  // namespace mm
