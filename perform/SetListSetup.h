// Set lists, presets and autosave in a running `musicmill perform` (App parts).
//
// attachSetList reads --set-list, --preset, --restore, --autosave-dir,
// --autosave-seconds, --no-autosave and --ramp-ms, loads and checks everything before the
// show (models preloaded, progress on the terminal); SetListPart then carries out the
// performance's navigation and hands the autosave to its writer thread from the control
// thread's tick.
//
// Threads: main thread to build and stop; control thread for the rest (the UI's moves
// arrive as events, what it shows goes out in the StageView).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "App.h"
#include "EngineModelSwitcher.h"
#include "ModulationRoute.h"
#include "SetListPlayer.h"

namespace mm {

class Autosave;
class AutosaveWriter;

class SetListPart {
 public:
  SetListPart(App& app, ModelRuntime::Options options);
  ~SetListPart();
  // The player (the UI's presets, save buttons and set-list texts read and call it).
  SetListPlayer& player() { return player_; }
  const SetListPlayer& player() const { return player_; }
  void navigate(NavCommand c, int value);
  void tick();  // control thread: ramps, model switches, autosave hand-over
  void stop();  // main thread: the autosave writer ends; the last state is saved if it changed

 private:
  friend bool attachSetList(App& app);
  App& app_;
  EngineModelSwitcher switcher_;
  SetListPlayer player_;
  std::unique_ptr<Autosave> autosave_;
  std::unique_ptr<AutosaveWriter> autosaveWriter_;  // writes off the control thread
  bool autosaveOn_ = false;
  bool firstTick_ = true;
};

// Builds app.setList. False (after printing every problem) when the show cannot start.
bool attachSetList(App& app);

// The registry's sizes a show needs (its dim sliders, model B's controls): the largest
// latent size among the models the set lists and presets given play, and among the
// blend partners they name (0 when none). Read before the registry is made, so that a
// part on a 16-dim synth has its 16 dims even when the show starts on an 8-dim drum
// model. A file or model that cannot be read counts 0 here; its own load reports it.
struct ShowSizes {
  int latent = 0, partnerLatent = 0;
};
ShowSizes showSizes(const std::vector<std::string>& setLists, const std::vector<std::string>& presets,
                    const ModelLibrary& library, const ModelRuntime::Options& options);

// A preset's non-parameter sections played by the parts that own them (issue 8):
// modulation routes -> the modulation matrices, pattern slots -> every model's pattern
// memory, mapping override -> the live MIDI mapper, style anchors -> the "match this
// track" encoder. Without it the set-list player would carry those sections (and save
// them again) without their having any effect. Sets App::presetHooks.
class PresetWiring {
 public:
  explicit PresetWiring(App& app);
  // The modulation routes playing (those whose target the model has), in --mod syntax.
  std::vector<std::string> activeRoutes() const;
  // Control thread: hands the anchors the playing preset asks for to the encoder, one at
  // a time.
  void tick();

 private:
  void applyModulation(const std::vector<ModRoute>& routes);
  void applyPatterns(const std::vector<PatternSlot>& slots);
  void applyMapping(const std::string& path);

  App& app_;
  std::vector<ModRoute> routes_;  // what the matrices play now
  std::string wantAnchor_[2];     // anchor files the playing preset asks for ("" = leave as is)
  std::string tried_[2];          // the last file handed to the encoder for each anchor
};

bool attachPresetWiring(App& app);

}  // namespace mm
