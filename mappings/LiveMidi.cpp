#include "LiveMidi.h"

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "ControlDecoding.h"
#include "MappingFile.h"

namespace mm {

LiveMidi::LiveMidi(ParameterRegistry& registry, LiveMidiOptions options)
    : registry_(registry), options_(std::move(options)), mapper_(registry) {
  bpmIndex_ = registry_.indexOf("bpm");
  mapper_.onAction = [this](MidiAction a, int v) {
    if (onAction) onAction(a, v);
  };
  learnedInMemory_.name = "learned";
}

LiveMidi::~LiveMidi() = default;

long long LiveMidi::stampOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec + st.st_size * 7919LL;
}

bool LiveMidi::loadFile(MappingSource& src, bool initial, std::string* errors) {
  LoadReport report;
  src.stamp = stampOf(src.path);
  auto map = loadMappingFile(src.path, registry_, report);
  for (const Problem& p : report.problems())
    if (p.severity == Severity::Warning) say(p.text());
  if (!map) {
    if (errors) *errors += report.text();
    else say(report.text() + "The previous mapping stays in use; fix the file and save it again.");
    return false;
  }
  src.map = std::move(*map);
  if (!initial) say("reloaded " + src.path + " (" + std::to_string(src.map.bindings.size()) + " controls)");
  return true;
}

void LiveMidi::applyMaps() {
  std::vector<MidiMap> maps;
  for (const auto& s : sources_) maps.push_back(s.map);
  if (!presetSource_.path.empty()) maps.push_back(presetSource_.map);
  if (!learnedInMemory_.bindings.empty()) maps.push_back(learnedInMemory_);
  mapper_.setMaps(std::move(maps));
}

std::string LiveMidi::start() {
  std::string errors;
  for (const auto& path : options_.mappingPaths) {
    MappingSource src;
    src.path = path;
    if (!loadFile(src, true, &errors)) continue;
    say("mapping " + path + ": \"" + src.map.name + "\", " + std::to_string(src.map.bindings.size()) + " controls");
    sources_.push_back(std::move(src));
  }
  if (!errors.empty()) return errors;
  applyMaps();
  try {
    ports_ = std::make_unique<MidiInputPorts>(options_.api, options_.clientName, options_.ports);
    ports_->wakeOnInput(options_.wake);
  } catch (const std::exception& e) {
    // No MIDI system is not a reason to stop the music: play on, say why there is no MIDI.
    say(std::string(e.what()) + " Playing on without MIDI input.");
    return "";
  }
  for (const auto& m : ports_->rescan()) say(m);
  mapper_.setPortNames(ports_->portNames());
  return "";
}

std::vector<std::string> LiveMidi::openPorts() const {
  return ports_ ? ports_->openPorts() : std::vector<std::string>{};
}

void LiveMidi::tick(double now) {
  if (now >= nextScan_) {
    nextScan_ = now + options_.rescanSeconds;
    if (ports_) {
      for (const auto& m : ports_->rescan()) say(m);
      mapper_.setPortNames(ports_->portNames());
    }
    bool changed = false;
    for (auto& src : sources_)
      if (stampOf(src.path) != src.stamp) changed |= loadFile(src, false, nullptr);
    if (!presetSource_.path.empty() && stampOf(presetSource_.path) != presetSource_.stamp)
      changed |= loadFile(presetSource_, false, nullptr);
    if (changed) applyMaps();
  }
  if (!ports_) return;
  events_.clear();
  ports_->drain(events_);
  for (const MidiEvent& e : events_) {
    if (e.status() >= 0xF8) {
      if (options_.followClock) clock_.handle(e);
      continue;
    }
    mapper_.handle(e);
    if (learning()) learner_.feed(e);
  }
  mapper_.flush(now);
  if (learning())
    if (auto control = learner_.result(now)) finishLearn(*control);

  if (options_.followClock) {
    clock_.idle(now);
    if (clock_.transportChanges() != transportSeen_) {
      transportSeen_ = clock_.transportChanges();
      say(clock_.running() ? "clock: start" : "clock: stop");
    }
    if (clock_.locked() && bpmIndex_ >= 0) {
      // Round to 0.01 BPM and write only real changes, so the registry's version (which
      // the UI and autosave watch) does not tick with every clock pulse.
      const float bpm = static_cast<float>(std::round(clock_.bpm() * 100.0) / 100.0);
      if (std::fabs(bpm - lastClockBpm_) >= 0.01f) {
        registry_.set(bpmIndex_, bpm);
        lastClockBpm_ = bpm;
      }
      if (!clockWasLocked_) {
        char b[64];
        std::snprintf(b, sizeof b, "following MIDI clock at %.1f BPM", clock_.bpm());
        say(b);
      }
    } else if (clockWasLocked_) {
      say("MIDI clock stopped arriving; bpm stays at its last value");
    }
    clockWasLocked_ = clock_.locked();
  }
  if (ports_->dropped() != droppedReported_) {
    say(std::to_string(ports_->dropped() - droppedReported_) + " MIDI messages dropped (the control thread fell behind)");
    droppedReported_ = ports_->dropped();
  }
}

std::string LiveMidi::setPresetMapping(const std::string& path) {
  if (path == presetSource_.path) return "";
  MappingSource src;
  src.path = path;
  std::string errors;
  if (!path.empty() && !loadFile(src, true, &errors)) return errors;
  presetSource_ = std::move(src);
  applyMaps();
  if (!path.empty()) say("preset mapping " + path + " (" + std::to_string(presetSource_.map.bindings.size()) + " controls)");
  return "";
}

std::string LiveMidi::startLearn(const std::string& target, int actionValue,
                                 std::function<void(const std::string&)> done) {
  MidiAction action = MidiAction::None;
  const int index = registry_.indexOf(target);
  if (index < 0 && !parseAction(target.c_str(), action))
    return "learn: '" + target + "' is neither a parameter id (`musicmill params`) nor an action "
           "(next_part, prev_part, next_song, prev_song, goto_song, select_preset)";
  if (action == MidiAction::ProgramChange || action == MidiAction::BankSelect)
    return "learn: program change and bank select navigate by themselves; nothing to learn";
  if (!ports_) return "learn: there is no MIDI input (see the messages at start)";
  learner_.reset();
  learnIndex_ = index;
  learnAction_ = action;
  learnActionValue_ = actionValue;
  learnDone_ = std::move(done);
  say("learn: move a control for " + target);
  return "";
}

void LiveMidi::cancelLearn() {
  learnIndex_ = -1;
  learnAction_ = MidiAction::None;
  learnDone_ = nullptr;
}

namespace {
// One control drives one thing: `b` replaces whatever the same control drove.
void replaceBinding(std::vector<MidiBinding>& bindings, const MidiBinding& b) {
  bindings.erase(std::remove_if(bindings.begin(), bindings.end(), [&](const MidiBinding& x) { return sameControl(x, b); }),
                 bindings.end());
  bindings.push_back(b);
}
}  // namespace

void LiveMidi::finishLearn(const MidiBinding& control) {
  const MidiBinding b = learnIndex_ >= 0 ? learnedBinding(control, registry_, learnIndex_)
                                         : learnedAction(control, learnAction_, learnActionValue_);
  auto done = std::move(learnDone_);
  cancelLearn();
  const std::string what = describeSource(b) + " -> " + (b.paramIndex >= 0 ? b.param : actionName(b.action));
  if (!sources_.empty()) {
    // The binding plays at once (one control drives one thing, as in the file); the file
    // is written (off this thread with LiveMidiOptions::saveOffThread) and read back when
    // it is there, as a reload would.
    replaceBinding(sources_.front().map.bindings, b);
    applyMaps();
    const std::string path = sources_.front().path;
    auto notes = std::make_shared<std::string>();
    auto save = [path, b, reg = &registry_, notes] { return addBindingToFile(path, b, *reg, notes.get()); };
    auto then = [this, path, what, notes, done](const std::string& err) {
      std::string message;
      if (!err.empty()) {
        message = "learn: " + what + " not saved: " + err;
      } else {
        for (MappingSource& s : sources_)
          if (s.path == path) loadFile(s, true, nullptr);
        applyMaps();
        message = "learned " + what + " (saved to " + path + ")" + (notes->empty() ? "" : "; " + *notes);
      }
      say(message);
      if (done) done(message);
    };
    if (options_.saveOffThread) options_.saveOffThread(save, then);
    else then(save());
    return;
  }
  replaceBinding(learnedInMemory_.bindings, b);
  const std::string message = "learned " + what + " (not saved: start with --mapping FILE to keep learned controls)";
  applyMaps();
  say(message);
  if (done) done(message);
}

uint64_t LiveMidi::droppedMessages() const { return ports_ ? ports_->dropped() : 0; }

}  // namespace mm
