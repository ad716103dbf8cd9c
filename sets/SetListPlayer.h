// SetListPlayer: plays a set list during a gig. It holds the loaded set, preloads every
// model it uses, and carries out navigation (next/previous part and song, jump to song N,
// program change with bank select, a preset from the shelf): each switch ramps the
// parameters, hands the preset's other sections to their subsystems (PresetHooks) and,
// when the model changes, asks the ModelSwitcher for a crossfade.
//
// Loading never replaces good state with nothing: a set-list file that fails entirely
// leaves the current set and position as they were.
//
// Threads: main thread only (navigation comes from MIDI/OSC/keyboard/UI through the
// session's main-thread hooks); parameter writes go through the registry's atomics.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "LoadReport.h"
#include "ModelSwitcher.h"
#include "ParameterRamp.h"
#include "Parameters.h"
#include "PresetHooks.h"
#include "SetList.h"

namespace mm {

class ModelLibrary;

// Parameters set at soundcheck for the room, not per sound: a preset that does not list
// them leaves them alone, and presets saved from the live state leave them out.
bool isVenueParameter(const std::string& id);

class SetListPlayer {
 public:
  using Clock = ParameterRamp::Clock;
  using Progress = std::function<void(int index, int count, const std::string& path)>;

  SetListPlayer(ParameterRegistry& registry, ModelSwitcher& models, PresetHooks& hooks);

  // The model already playing (loaded by the engine before the set), so it is not loaded
  // twice. `name`: the library name it was chosen by ("" for a path), which a preset
  // captured from the live state then names it by. `partner`: the model B sounding with
  // it (--model-b), "" when it plays alone; `partnerName` as `name`.
  void registerPlayingModel(const std::string& path, const std::string& name = "", const std::string& partner = "",
                            const std::string& partnerName = "");

  // Loads a set list (and its preset files). On success it replaces the current set and
  // returns true; position resets to "not started". On total failure the current set and
  // position stay. Problems go to `report` either way.
  bool load(const std::string& path, LoadReport& report);
  // Where a preset's `model` may be a short name (`musicmill models`); null: paths only.
  void setModelLibrary(const ModelLibrary* models) { modelLibrary_ = models; }
  bool adopt(SetList set);  // same, from data (empty sets are refused)

  // Loads and warms every model the set and the shelf use that is not loaded yet, calling
  // `progress` before each. A model that fails is reported, with the parts that use it
  // (they will play on whatever model is playing).
  void prepareModels(const Progress& progress, LoadReport& report);

  // Standalone presets (built-ins, --preset files) that SelectPreset picks by number (from 1).
  void setShelf(std::vector<Preset> presets) { shelf_ = std::move(presets); }
  const std::vector<Preset>& shelf() const { return shelf_; }

  // Navigation. Each returns false (after posting why) when there is nowhere to go.
  bool start();  // first part of the first song
  bool nextPart();
  bool prevPart();
  bool nextSong();
  bool prevSong();
  bool gotoSong(int number);
  bool gotoPart(int songIndex, int partIndex);
  bool selectPart(int partIndex);  // within the current song
  void bankSelect(int bank) { bank_ = bank; }
  // An explicit `program` on a part or song wins; otherwise program P goes to song P+1
  // (controllers show program 0 as "1").
  bool programChange(int program);
  // Shelf preset `number`, counted from 1 as on the screen (keys 1..9, OSC, mappings).
  bool selectPreset(int number);
  // Applies any preset now (ramped), outside the set-list position.
  void applyPreset(const Preset& preset, std::optional<double> rampMs = std::nullopt,
                   std::optional<float> tempo = std::nullopt);
  // Sets every parameter of `preset` at once, ramps nothing (restoring a saved state).
  void restorePreset(const Preset& preset);

  // Calls the hooks again with the sections of the preset last applied (for subsystems
  // whose hooks were set after it was applied). Does nothing before any preset was
  // applied: what plays then (the --mod routes) is not replaced by an empty preset.
  void resendSections();

  // Control thread, every tick: advances the parameter ramp, and switches to a model that
  // was not preloaded once its load (on the loader thread) is done, if it is still wanted.
  void tick(Clock::time_point now) {
    ramp_.tick(now);
    pollLoads();
  }
  void tick() { tick(Clock::now()); }

  // The live state as a preset: every parameter (venue parameters too when
  // `includeVenue`), the playing model, and the other sections from their capture hooks
  // (or as last applied).
  Preset captureLive(bool includeVenue) const;
  // Saves the live state as a preset file (atomic). "" or a message.
  std::string savePresetAs(const std::string& path, const std::string& name) const;
  // Stores the live state into the current part and saves where it lives (its preset
  // file, or the set list for an inline preset). "" or a message.
  std::string updateCurrentPart();
  // Inserts the live state as a new inline part after the current one and moves there.
  std::string addPartFromLive(const std::string& name);
  // Saves the set list (to its own file when `path` is empty). "" or a message.
  std::string saveSet(const std::string& path = "");

  bool hasSet() const { return set_.has_value(); }
  const SetList* set() const { return set_ ? &*set_ : nullptr; }
  int songIndex() const { return song_; }
  int partIndex() const { return part_; }
  const Part* currentPart() const;
  // One line each for the UI: "Song 2/3 'Groove' | part 1/2 'Verse' | 96 BPM" and what
  // the next footswitch press plays.
  std::string nowText() const;
  // The current part's notes, else its song's ("" when neither has any).
  std::string notesText() const;
  std::string nextText() const;
  std::string modelPlaying() const;    // the playing model's file (canonical)
  std::string partnerPlaying() const;  // its blend partner's (model B), "" when it plays alone
  // The model browser: plays `path` as a part naming it would (a preloaded model at once,
  // another loaded off the control thread while the current one plays on), crossfading.
  // It plays until a part or preset names another model.
  void playModel(const std::string& path, double crossfadeMs, const std::string& name = "") {
    switchModel(path, "", crossfadeMs, name, "");
  }
  // The model being loaded to switch to (its file, canonical), "" when none.
  const std::string& modelLoading() const { return wantedModel_; }

  // Messages for the performer (switch problems, end of set); the session posts them.
  std::function<void(const std::string&)> onMessage;

  // Parameter ramp when nothing else says (the set list's ramp_ms overrides it).
  double defaultRampMs = 50;

 private:
  void say(const std::string& m) const;
  void applyPart();
  void sendSections(const Preset& preset);
  // Plays `path` (with `partner` as model B, or alone when ""), crossfading.
  void switchModel(const std::string& path, const std::string& partner, double crossfadeMs, const std::string& name,
                   const std::string& partnerName);
  void selectSlot(const std::string& key, int slot, double crossfadeMs);
  void pollLoads();
  std::vector<float> targetsFor(const Preset& preset, std::optional<float> tempo) const;
  std::optional<std::pair<int, int>> after(int song, int part) const;
  std::string key(const std::string& path) const;
  // What a slot plays: the model's canonical file, with its partner's after a newline.
  std::string choiceKey(const std::string& path, const std::string& partner) const;
  std::pair<std::string, std::string> splitChoice(const std::string& choice) const;

  ParameterRegistry& registry_;
  const ModelLibrary* modelLibrary_ = nullptr;
  ModelSwitcher& models_;
  PresetHooks& hooks_;
  ParameterRamp ramp_;
  std::optional<SetList> set_;
  int song_ = -1, part_ = -1;
  int bank_ = 0;
  std::vector<Preset> shelf_;
  std::map<std::string, int> slots_;  // choice (choiceKey) -> slot
  std::map<std::string, std::string> failed_;  // choice -> why it failed
  std::string playingModel_;  // the choice playing
  std::map<std::string, std::string> modelNames_;  // canonical model path -> the library name it was chosen by
  // A model not preloaded, asked for during the show: loading on the loader thread, and
  // the one the set wants now (switched to when its load is done, unless the set moved on).
  std::string loading_, wanted_;  // choices
  std::string wantedPath_, wantedPartner_, wantedModel_;  // the wanted choice's files; wantedModel_ canonical
  double wantedCrossfadeMs_ = 150.0;
  Preset lastApplied_;  // sections reported by captureLive when no capture hook is set
  bool applied_ = false;  // some preset has been applied
};

}  // namespace mm
