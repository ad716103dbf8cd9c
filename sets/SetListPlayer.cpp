#include "SetListPlayer.h"

#include <filesystem>
#include <sstream>
#include <tuple>

#include "PresetFile.h"

namespace fs = std::filesystem;

namespace mm {

bool isVenueParameter(const std::string& id) {
  return id == "input.gain" || id == "output.gain" || id == "gate.threshold";
}

SetListPlayer::SetListPlayer(ParameterRegistry& registry, ModelSwitcher& models, PresetHooks& hooks)
    : registry_(registry), models_(models), hooks_(hooks), ramp_(registry) {}

std::string SetListPlayer::key(const std::string& path) const {
  std::error_code ec;
  const fs::path p = fs::weakly_canonical(path, ec);
  return ec ? fs::path(path).lexically_normal().string() : p.string();
}

void SetListPlayer::say(const std::string& m) const {
  if (onMessage) onMessage(m);
}

std::string SetListPlayer::choiceKey(const std::string& path, const std::string& partner) const {
  return partner.empty() ? key(path) : key(path) + "\n" + key(partner);
}

std::pair<std::string, std::string> SetListPlayer::splitChoice(const std::string& choice) const {
  const size_t nl = choice.find('\n');
  if (nl == std::string::npos) return {choice, ""};
  return {choice.substr(0, nl), choice.substr(nl + 1)};
}

void SetListPlayer::registerPlayingModel(const std::string& path, const std::string& name, const std::string& partner,
                                         const std::string& partnerName) {
  playingModel_ = choiceKey(path, partner);
  if (!name.empty()) modelNames_[key(path)] = name;
  if (!partner.empty() && !partnerName.empty()) modelNames_[key(partner)] = partnerName;
  slots_[playingModel_] = models_.currentModel();
}

bool SetListPlayer::load(const std::string& path, LoadReport& report) {
  auto set = loadSetList(path, report, &registry_, modelLibrary_);
  if (!set) return false;  // reported; the current set and position stay
  return adopt(std::move(*set));
}

bool SetListPlayer::adopt(SetList set) {
  if (set.songs.empty()) return false;
  for (const Song& s : set.songs)
    if (s.parts.empty()) return false;
  set_ = std::move(set);
  song_ = part_ = -1;
  return true;
}

void SetListPlayer::prepareModels(const Progress& progress, LoadReport& report) {
  std::vector<std::pair<std::string, std::string>> wanted;  // (model, partner)
  const auto want = [&](const std::string& path, const std::string& partner) {
    const std::string k = choiceKey(path, partner);
    if (path.empty() || slots_.count(k) || failed_.count(k)) return;
    for (const auto& w : wanted)
      if (choiceKey(w.first, w.second) == k) return;
    wanted.emplace_back(path, partner);
  };
  if (set_)
    for (const auto& [m, b] : set_->modelChoices()) want(m, b);
  for (const auto& p : shelf_) want(p.model, p.modelB);
  for (size_t i = 0; i < wanted.size(); ++i) {
    const auto& [path, partner] = wanted[i];
    const std::string k = choiceKey(path, partner);
    if (progress) progress(static_cast<int>(i) + 1, static_cast<int>(wanted.size()), partner.empty() ? path : path + " + " + partner);
    try {
      slots_[k] = models_.addModel(path, partner);
    } catch (const std::exception& e) {
      failed_[k] = e.what();
      report.error(partner.empty() ? path : path + " + " + partner, 0, e.what());
      if (!set_) continue;
      for (const Song& s : set_->songs)
        for (const Part& p : s.parts)
          if (!p.preset.model.empty() && choiceKey(p.preset.model, p.preset.modelB) == k)
            report.error(set_->path, p.line,
                         "song " + std::to_string(s.number) + " part '" + p.name +
                             "' uses this model; it will play its parameters on whichever model is playing");
    }
  }
}

void SetListPlayer::switchModel(const std::string& path, const std::string& partner, double crossfadeMs,
                                const std::string& name, const std::string& partnerName) {
  const std::string k = choiceKey(path, partner);
  if (!name.empty()) modelNames_[key(path)] = name;
  if (!partner.empty() && !partnerName.empty()) modelNames_[key(partner)] = partnerName;
  wanted_.clear();  // whatever was loading for an earlier part is no longer asked for
  wantedModel_.clear();
  if (k == playingModel_) return;
  const std::string what = partner.empty() ? "model " + path : "models " + path + " + " + partner;
  if (auto f = failed_.find(k); f != failed_.end()) {
    say(what + (partner.empty() ? " did not load" : " did not load together") + ", so the current model keeps playing");
    return;
  }
  if (auto slot = slots_.find(k); slot != slots_.end()) {
    selectSlot(k, slot->second, crossfadeMs);
    return;
  }
  // Not preloaded (a preset opened during the show): it loads on the loader thread while
  // the current model and every control play on; the switch follows when it is ready.
  wanted_ = k;
  wantedPath_ = path;
  wantedPartner_ = partner;
  wantedModel_ = key(path);
  wantedCrossfadeMs_ = crossfadeMs;
  if (loading_.empty() && models_.startLoad(path, partner)) loading_ = k;
  say("loading " + what + " (it was not preloaded); the current model plays on meanwhile");
}

void SetListPlayer::selectSlot(const std::string& k, int slot, double crossfadeMs) {
  try {
    models_.selectModel(slot, crossfadeMs);
    playingModel_ = k;
  } catch (const std::exception& e) {
    say(e.what());
  }
}

void SetListPlayer::pollLoads() {
  if (auto done = models_.finishedLoad()) {
    const std::string k = choiceKey(done->path, done->partner);
    loading_.clear();
    if (done->slot < 0) {
      failed_[k] = done->error;
      say(done->error);
      if (wanted_ == k) {
        wanted_.clear();
        wantedModel_.clear();
      }
    } else {
      slots_[k] = done->slot;
      if (wanted_ == k) {
        wanted_.clear();
        wantedModel_.clear();
        say((done->partner.empty() ? "model " + done->path : "models " + done->path + " + " + done->partner) +
            " loaded; switching to it");
        selectSlot(k, done->slot, wantedCrossfadeMs_);
      }
    }
  }
  // The set moved on to another model that is not loaded yet while one was loading.
  if (loading_.empty() && !wanted_.empty() && !slots_.count(wanted_) && !failed_.count(wanted_) &&
      models_.startLoad(wantedPath_, wantedPartner_))
    loading_ = wanted_;
}

std::vector<float> SetListPlayer::targetsFor(const Preset& preset, std::optional<float> tempo) const {
  std::vector<float> t(static_cast<size_t>(registry_.size()));
  for (int i = 0; i < registry_.size(); ++i) {
    const ParamSpec& s = registry_.spec(i);
    const auto it = preset.params.find(s.id);
    if (const auto aim = preset.paramTargets.find(s.id); aim != preset.paramTargets.end())
      t[i] = aim->second.empty() ? -1.f : static_cast<float>(registry_.indexOf(aim->second));  // -1: none here
    else if (it != preset.params.end()) t[i] = it->second;
    else t[i] = isVenueParameter(s.id) ? registry_.get(i) : s.def;
  }
  // The tempo changes only where something names it (the song's tempo, else the preset's
  // bpm): a preset pressed mid-song keeps the song's tempo, and with it MIDI clock out,
  // pattern playback and tempo-synced LFOs.
  const int bpm = registry_.indexOf("bpm");
  if (bpm >= 0 && !preset.params.count("bpm")) t[bpm] = registry_.get(bpm);
  if (tempo && bpm >= 0) t[bpm] = *tempo;
  return t;
}

void SetListPlayer::applyPreset(const Preset& preset, std::optional<double> rampMs, std::optional<float> tempo) {
  if (!preset.model.empty())
    switchModel(preset.model, preset.modelB, set_ ? set_->crossfadeMs : 150.0, preset.modelName, preset.modelBName);
  const double ms = rampMs ? *rampMs : preset.rampMs ? *preset.rampMs : set_ ? set_->rampMs : defaultRampMs;
  ramp_.start(targetsFor(preset, tempo), ms, Clock::now());
  sendSections(preset);
  if (preset.learn && hooks_.learn) hooks_.learn(*preset.learn, preset.model);
  lastApplied_ = preset;
  applied_ = true;
}

void SetListPlayer::sendSections(const Preset& preset) {
  if (hooks_.applyStyle) hooks_.applyStyle(preset.style);
  if (hooks_.applyPatterns) hooks_.applyPatterns(preset.patterns);
  if (hooks_.applyModulation) hooks_.applyModulation(preset.modulation);
  if (hooks_.applyMapping) hooks_.applyMapping(preset.mapping);
}

void SetListPlayer::resendSections() {
  if (applied_) sendSections(lastApplied_);
}

void SetListPlayer::restorePreset(const Preset& preset) {
  applyPreset(preset, 0.0);
}

void SetListPlayer::applyPart() {
  const Song& s = set_->songs[static_cast<size_t>(song_)];
  const Part& p = s.parts[static_cast<size_t>(part_)];
  const auto ms = p.rampMs ? p.rampMs : p.preset.rampMs ? p.preset.rampMs : std::optional<double>(set_->rampMs);
  applyPreset(p.preset, ms, s.tempo);
}

bool SetListPlayer::gotoPart(int songIndex, int partIndex) {
  if (!set_) {
    say("no set list is loaded");
    return false;
  }
  if (songIndex < 0 || songIndex >= static_cast<int>(set_->songs.size()) || partIndex < 0 ||
      partIndex >= static_cast<int>(set_->songs[static_cast<size_t>(songIndex)].parts.size())) {
    say("there is no such song/part in this set");
    return false;
  }
  song_ = songIndex;
  part_ = partIndex;
  // Where the move landed, for the log and the UI's messages: a footswitch press or an
  // OSC /next is confirmed with the song, the part and the notes written for it (before
  // what the switch itself may say about its model).
  const std::string notes = notesText();
  say("now: " + nowText() + (notes.empty() ? "" : " -- " + notes));
  applyPart();
  return true;
}

bool SetListPlayer::start() { return gotoPart(0, 0); }

std::optional<std::pair<int, int>> SetListPlayer::after(int song, int part) const {
  if (!set_) return std::nullopt;
  if (song < 0) return std::make_pair(0, 0);
  if (part + 1 < static_cast<int>(set_->songs[static_cast<size_t>(song)].parts.size()))
    return std::make_pair(song, part + 1);
  if (song + 1 < static_cast<int>(set_->songs.size())) return std::make_pair(song + 1, 0);
  return std::nullopt;
}

bool SetListPlayer::nextPart() {
  if (!set_ || song_ < 0) return start();
  const auto n = after(song_, part_);
  if (!n) {
    say("end of the set: '" + currentPart()->name + "' is the last part");
    return false;
  }
  return gotoPart(n->first, n->second);
}

bool SetListPlayer::prevPart() {
  if (!set_ || song_ < 0) return start();
  if (part_ > 0) return gotoPart(song_, part_ - 1);
  if (song_ > 0)
    return gotoPart(song_ - 1, static_cast<int>(set_->songs[static_cast<size_t>(song_ - 1)].parts.size()) - 1);
  say("already at the first part of the set");
  return false;
}

bool SetListPlayer::nextSong() {
  if (!set_ || song_ < 0) return start();
  if (song_ + 1 < static_cast<int>(set_->songs.size())) return gotoPart(song_ + 1, 0);
  say("end of the set: '" + set_->songs[static_cast<size_t>(song_)].name + "' is the last song");
  return false;
}

bool SetListPlayer::prevSong() {
  if (!set_ || song_ < 0) return start();
  if (song_ > 0) return gotoPart(song_ - 1, 0);
  say("already at the first song of the set");
  return false;
}

bool SetListPlayer::gotoSong(int number) {
  if (!set_) {
    say("no set list is loaded");
    return false;
  }
  const int index = set_->songIndexByNumber(number);
  if (index < 0) {
    std::ostringstream m;
    m << "there is no song " << number << " in this set (songs:";
    for (const Song& s : set_->songs) m << ' ' << s.number;
    m << ")";
    say(m.str());
    return false;
  }
  return gotoPart(index, 0);
}

bool SetListPlayer::selectPart(int partIndex) {
  if (!set_ || song_ < 0) {
    say("no song is playing");
    return false;
  }
  return gotoPart(song_, partIndex);
}

bool SetListPlayer::programChange(int program) {
  if (!set_) {
    say("program change " + std::to_string(program) + ": no set list is loaded");
    return false;
  }
  const int wanted = bank_ * 128 + program;
  for (size_t s = 0; s < set_->songs.size(); ++s)
    for (size_t p = 0; p < set_->songs[s].parts.size(); ++p)
      if (set_->songs[s].parts[p].program == wanted) return gotoPart(static_cast<int>(s), static_cast<int>(p));
  for (size_t s = 0; s < set_->songs.size(); ++s)
    if (set_->songs[s].program == wanted) return gotoPart(static_cast<int>(s), 0);
  const int index = set_->songIndexByNumber(wanted + 1);
  if (index >= 0) return gotoPart(index, 0);
  say("program change " + std::to_string(wanted) + " (bank " + std::to_string(bank_) + ", program " +
      std::to_string(program) + ") is not mapped to a song or part in this set");
  return false;
}

bool SetListPlayer::selectPreset(int number) {
  if (number < 1 || number > static_cast<int>(shelf_.size())) {
    say("there is no preset " + std::to_string(number) + ": the presets are 1 .. " + std::to_string(shelf_.size()) +
        ", numbered as on the screen");
    return false;
  }
  const Preset& p = shelf_[static_cast<size_t>(number - 1)];
  applyPreset(p);
  say("preset " + std::to_string(number) + " '" + p.name + "'" + (p.notes.empty() ? "" : ": " + p.notes));
  return true;
}

const Part* SetListPlayer::currentPart() const {
  if (!set_ || song_ < 0) return nullptr;
  return &set_->songs[static_cast<size_t>(song_)].parts[static_cast<size_t>(part_)];
}

std::string SetListPlayer::nowText() const {
  if (!set_) return lastApplied_.name.empty() ? "" : "preset '" + lastApplied_.name + "'";
  if (song_ < 0) return "set '" + set_->name + "' ready";
  const Song& s = set_->songs[static_cast<size_t>(song_)];
  std::ostringstream o;
  o << "Song " << s.number << " '" << s.name << "' (" << song_ + 1 << "/" << set_->songs.size() << ") | part "
    << part_ + 1 << "/" << s.parts.size() << " '" << s.parts[static_cast<size_t>(part_)].name << "'";
  return o.str();  // the tempo playing is shown by itself (the bpm parameter), never the song's nominal one
}

std::string SetListPlayer::notesText() const {
  const Part* part = currentPart();
  if (!part) return "";
  return part->notes.empty() ? set_->songs[static_cast<size_t>(song_)].notes : part->notes;
}

std::string SetListPlayer::nextText() const {
  if (!set_) return "";
  const auto n = after(song_, part_);
  if (!n) return "end of set";
  const Song& s = set_->songs[static_cast<size_t>(n->first)];
  return "Song " + std::to_string(s.number) + " '" + s.name + "' | part " + std::to_string(n->second + 1) + " '" +
         s.parts[static_cast<size_t>(n->second)].name + "'";
}

std::string SetListPlayer::modelPlaying() const { return splitChoice(playingModel_).first; }

std::string SetListPlayer::partnerPlaying() const { return splitChoice(playingModel_).second; }

Preset SetListPlayer::captureLive(bool includeVenue) const {
  Preset p;
  const Part* part = currentPart();
  p.name = part ? part->name : lastApplied_.name.empty() ? "Live" : lastApplied_.name;
  std::tie(p.model, p.modelB) = splitChoice(playingModel_);
  if (const auto n = modelNames_.find(p.model); n != modelNames_.end()) p.modelName = n->second;
  if (const auto n = modelNames_.find(p.modelB); !p.modelB.empty() && n != modelNames_.end()) p.modelBName = n->second;
  for (int i = 0; i < registry_.size(); ++i) {
    const std::string& id = registry_.spec(i).id;
    if (!includeVenue && isVenueParameter(id)) continue;
    if (registry_.spec(i).unit == kParamIndexUnit) {  // saved by the target's id
      const int target = static_cast<int>(registry_.get(i));
      p.paramTargets[id] = target >= 0 && target < registry_.size() ? registry_.spec(target).id : "";
    } else {
      p.params[id] = registry_.get(i);
    }
  }
  p.style = hooks_.captureStyle ? hooks_.captureStyle() : lastApplied_.style;
  p.patterns = hooks_.capturePatterns ? hooks_.capturePatterns() : lastApplied_.patterns;
  p.modulation = hooks_.captureModulation ? hooks_.captureModulation() : lastApplied_.modulation;
  p.mapping = hooks_.captureMapping ? hooks_.captureMapping() : lastApplied_.mapping;
  return p;
}

std::string SetListPlayer::savePresetAs(const std::string& path, const std::string& name) const {
  Preset p = captureLive(false);
  if (!name.empty()) p.name = name;
  return savePreset(path, p);
}

std::string SetListPlayer::updateCurrentPart() {
  if (!currentPart()) return "no part is playing, so there is nothing to update";
  Part& part = set_->songs[static_cast<size_t>(song_)].parts[static_cast<size_t>(part_)];
  Preset live = captureLive(false);
  live.name = part.preset.name;
  live.notes = part.preset.notes;
  live.rampMs = part.preset.rampMs;
  // Venue parameters the preset chose to list stay listed, with their live values.
  for (const auto& [id, value] : part.preset.params)
    if (isVenueParameter(id) && registry_.indexOf(id) >= 0) live.params[id] = registry_.getById(id);
  if (part.presetFile.empty()) {
    const Preset old = part.preset;
    part.preset = live;
    const std::string err = saveSet();
    if (!err.empty()) part.preset = old;  // memory keeps matching the file on disk
    return err;
  }
  const std::string err = savePreset(part.presetFile, live);
  if (!err.empty()) return err;
  for (Song& s : set_->songs)  // other parts playing the same file see the new version
    for (Part& p : s.parts)
      if (p.presetFile == part.presetFile) p.preset = live;
  return "";
}

std::string SetListPlayer::addPartFromLive(const std::string& name) {
  if (!set_) return "no set list is loaded";
  const int song = song_ < 0 ? 0 : song_;
  Part p;
  p.name = name.empty() ? "Part " + std::to_string(set_->songs[static_cast<size_t>(song)].parts.size() + 1) : name;
  p.preset = captureLive(false);
  p.preset.name = p.name;
  auto& parts = set_->songs[static_cast<size_t>(song)].parts;
  const int at = song_ < 0 ? static_cast<int>(parts.size()) : part_ + 1;
  parts.insert(parts.begin() + at, std::move(p));
  song_ = song;
  part_ = at;
  return "";
}

std::string SetListPlayer::saveSet(const std::string& path) {
  if (!set_) return "no set list is loaded";
  const std::string target = path.empty() ? set_->path : path;
  if (target.empty()) return "this set list has no file yet: give a file name to save it";
  const std::string err = saveSetList(target, *set_);
  if (err.empty() && !path.empty()) {
    std::error_code ec;
    set_->path = fs::absolute(path, ec).lexically_normal().string();
  }
  return err;
}

}  // namespace mm
