// UiState: all state of the performance UI in one struct (Dear ImGui habit), built by
// runUi and handed to every section that draws.
// Threads: main (UI) thread only. Engine data and the parts' state arrive here as
// snapshots taken once per frame (the engine's status, App::view); nothing in this struct
// is shared with another thread.
#pragma once

#include <array>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <imgui.h>

#include "LiveEngine.h"
#include "Parameters.h"
#include "App.h"

namespace mm::ui {

struct StageFonts {
  ImFont* small = nullptr;    // captions under big figures
  ImFont* body = nullptr;     // labels, values
  ImFont* heading = nullptr;  // section titles
  ImFont* big = nullptr;      // BPM, meters' numbers, NEXT
  ImFont* huge = nullptr;     // the set list's current position
};

// Where a parameter control was drawn in the last frame, so the scripted-input test hook
// can aim a virtual mouse at it exactly as a hand would.
struct ControlPlace {
  ImVec2 min, max;
  bool vertical = false;  // vertical fader (value grows upwards) or horizontal bar
  int param = -1;         // registry index, -1 for buttons
};

// One sample of the latent trajectory: the newest latent frame of each dimension.
struct LatentSample {
  double time = 0;
  std::vector<float> values;
};

constexpr int kPickerLearn = 2;  // UiState::pickerFor: the file picker chooses a file to learn from

struct UiState {
  App* app = nullptr;
  // What the parts look like this frame (App::view, published by the control thread).
  const StageView* view = nullptr;
  ParameterRegistry* registry = nullptr;
  LiveEngine* engine = nullptr;
  StandardParams sp;
  StageFonts fonts;

  // Snapshot of the engine, taken once at the start of each frame.
  EngineStatus status;
  double now = 0;       // seconds since the UI started
  uint64_t frame = 0;
  // The meters' figures as shown (refreshed four times a second, MeterSection).
  std::array<std::string, 6> figureText;
  std::array<ImU32, 6> figureColour{};
  double figuresShownAt = -1.0;
  // Frames drawn and presented (the others were the same picture as the one on screen).
  uint64_t framesPresented = 0;
  // Events posted to the control thread (App::postFromUi) and those the queue refused.
  uint64_t eventsPosted = 0;

  bool fullscreen = true;
  bool showHelp = false;
  bool quit = false;
  double quitArmedUntil = -1;  // plain Q must be pressed twice (stage safety)
  double panicFlashUntil = -1;
  double panicArmedUntil = -1;  // one Esc arms panic for 0.6 s; the second one is panic

  // Meters: onset flash from the input level rising fast.
  std::deque<std::pair<double, float>> inputHistoryDb;  // (time, input level dBFS), ~0.1 s
  double onsetFlashUntil = -1;
  uint64_t onsets = 0;
  // Totals (xruns, late frames, onsets, trigger hits) once a frame over the last few
  // seconds: the meters show what happened lately, not since the start of the show.
  struct Counts {
    double time = 0;
    uint64_t xruns = 0, late = 0, onsets = 0, hits = 0;
  };
  std::deque<Counts> countHistory;

  // Latent trajectory over the last few seconds.
  std::deque<LatentSample> latents;
  std::vector<float> latentScratch;  // reused buffer for latestLatents()

  // Presets: the shelf index last chosen here (button or key 1..9), lit until the set
  // list moves on; -1 = none.
  int presetChosen = -1;

  // Latent sources: the amount a source had before its on/off button turned it off.
  std::map<int, float> sourceBefore;
  // Pattern memory: beats a capture takes, and the slots captured during this show.
  int captureBeats = 4;
  bool slotCaptured[8] = {};
  // Latent dimensions: the bars show the offsets (false) or the weights (true), two
  // dimensions to a row.
  bool dimWeights = false;

  // Style anchors: the "match this track" picker (which anchor it fills, -1 = closed), its
  // path field, the *.wav files of the working folder (listed when it opens), and what
  // each anchor held last frame (to log when an encoding lands).
  int pickerFor = -1;  // 0 = A, 1 = B, kPickerLearn: learn ui.pickerLearn from the file
  char pickerPath[1024] = "";
  std::string pickerError;
  std::vector<std::string> wavFiles;
  std::string anchorSeen[2];
  std::string pickerLearn;  // the attribute a file is chosen for (kPickerLearn)

  // The model panel: seconds "learn from the input" listens; the model browser (open, the
  // row chosen in it).
  float learnSeconds = 4.f;
  bool browserOpen = false;
  int browserChoice = -1;

  // MIDI learn: on while the performer is aiming controls; the control (parameter id or
  // action) now waiting for a MIDI control to move, and what learn last said.
  bool midiLearn = false;
  std::string learnTarget;
  std::string learnStatus;
  // The StageView's learnSaidCount already shown.
  uint64_t learnSeen = 0;

  // Beatbox triggers panel: the sliders' values while a hand holds one, examples per
  // take, the name typed for a new class.
  bool triggerSliderHeld = false;
  float triggerSensitivity = 0.5f, triggerReject = 0.f;
  int examplesPerTake = 8;
  char newTriggerClass[32] = "";

  // Rebuilt every frame.
  std::map<std::string, ControlPlace> controls;
  std::vector<std::string> panelsDrawn;

  // What the performer (or the script) did, for --ui-log.
  std::vector<std::string> actions;
  uint64_t mutedFrames = 0;  // frames in which the engine reported itself muted (panic)

  std::mt19937 rng{12345};
};

// Carries `event` out on the control thread at its next tick (App::postFromUi). A full
// queue (a flood of gestures) drops it and the performer is told.
inline void toControl(UiState& ui, std::function<void(App&)> event) {
  if (ui.app->postFromUi(std::move(event))) ++ui.eventsPosted;
  else ui.app->post("UI: too many actions at once; one was dropped, try again");
}

// True once the StageView reflects every event this UI posted.
inline bool viewCaughtUp(const UiState& ui) { return ui.view->uiEventsHandled >= ui.eventsPosted; }

}  // namespace mm::ui
