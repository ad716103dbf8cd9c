// UiState: all state of the performance UI in one struct (Dear ImGui habit), built by
// runUi and handed to every section that draws.
// Threads: main (UI) thread only. Engine data arrives here as snapshots taken once per
// frame; nothing in this struct is shared with the audio or worker threads.
#pragma once

#include <deque>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <imgui.h>

#include "LiveEngine.h"
#include "Parameters.h"
#include "Session.h"

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

struct UiState {
  Session* session = nullptr;
  ParameterRegistry* registry = nullptr;
  LiveEngine* engine = nullptr;
  StandardParams sp;
  StageFonts fonts;

  // Snapshot of the engine, taken once at the start of each frame.
  EngineStatus status;
  double now = 0;       // seconds since the UI started
  uint64_t frame = 0;

  bool fullscreen = true;
  bool showHelp = false;
  bool quit = false;
  double quitArmedUntil = -1;  // plain Q must be pressed twice (stage safety)
  double panicFlashUntil = -1;

  // Meters: onset flash from the input level rising fast.
  std::deque<std::pair<double, float>> inputHistoryDb;  // (time, input level dBFS), ~0.1 s
  double onsetFlashUntil = -1;
  uint64_t onsets = 0;

  // Latent trajectory over the last few seconds.
  std::deque<LatentSample> latents;
  std::vector<float> latentScratch;  // reused buffer for latestLatents()

  // Rebuilt every frame.
  std::map<std::string, ControlPlace> controls;
  std::vector<std::string> panelsDrawn;

  // What the performer (or the script) did, for --ui-log.
  std::vector<std::string> actions;
  uint64_t mutedFrames = 0;  // frames in which the engine reported itself muted (panic)

  std::mt19937 rng{12345};
};

}  // namespace mm::ui
