#include "ControlSetup.h"

#include <cstdio>
#include <iostream>
#include <memory>

#include "LiveMidi.h"
#include "MidiClockOut.h"
#include "MidiFilePlayer.h"
#include "JackServerWatch.h"
#include "MidiInputPorts.h"
#include "MidiOutputPort.h"
#include "SaveThread.h"

namespace mm {

namespace {
NavCommand toNav(MidiAction a) {
  switch (a) {
    case MidiAction::NextPart: return NavCommand::NextPart;
    case MidiAction::PrevPart: return NavCommand::PrevPart;
    case MidiAction::NextSong: return NavCommand::NextSong;
    case MidiAction::PrevSong: return NavCommand::PrevSong;
    case MidiAction::GotoSong: return NavCommand::GotoSong;
    case MidiAction::SelectPreset: return NavCommand::SelectPreset;
    case MidiAction::BankSelect: return NavCommand::BankSelect;
    case MidiAction::ProgramChange:
    case MidiAction::None: break;
  }
  return NavCommand::ProgramChange;
}

const char* navWords(MidiAction a) {
  switch (a) {
    case MidiAction::NextPart: return "next part";
    case MidiAction::PrevPart: return "previous part";
    case MidiAction::NextSong: return "next song";
    case MidiAction::PrevSong: return "previous song";
    case MidiAction::GotoSong: return "song";
    case MidiAction::SelectPreset: return "preset";
    case MidiAction::BankSelect: return "bank select";
    case MidiAction::ProgramChange: return "program change";
    case MidiAction::None: break;
  }
  return "?";
}
}  // namespace

void navigateAndSay(App& app, const char* from, MidiAction a, int value) {
  const bool numbered = a == MidiAction::GotoSong || a == MidiAction::SelectPreset ||
                        a == MidiAction::BankSelect || a == MidiAction::ProgramChange;
  app.post(std::string(from) + ": " + navWords(a) + (numbered ? " " + std::to_string(value) : std::string()));
  app.navigate(toNav(a), value);
}

std::string chooseMidiApi(const Args& args) {
  if (auto api = args.get("midi-api")) return *api;
  const std::string audio = args.get("audio-api", "auto");
  if (audio == "jack") return "jack";
  // Left to choose, the audio takes JACK when a server runs (RtAudio tries it first).
  if (audio == "auto" && JackServerWatch::serverAnswers()) return "jack";
  return "";
}

MidiPart::MidiPart() = default;
MidiPart::~MidiPart() = default;

uint64_t MidiPart::dropped() const { return live_->droppedMessages(); }

void MidiPart::tick() {
  live_->tick(midiNow());
  if (clockOut_) {
    // JACK MIDI lives in the JACK server: after a crash the clock output comes back with a
    // server (MidiOutputRecovery), whether or not the audio is on JACK. The inputs notice
    // a crash themselves and connect the controllers again (MidiInputPorts::rescan).
    MidiClockOut* out = clockOut_.get();
    const auto r = clockRecovery_->poll(out->serverLost(), [out] { return out->reopen(); }, MidiOutputRecovery::Clock::now());
    if (r.reopened) app_->post("MIDI: clock out reopened on " + out->portName());
    if (!r.error.empty()) app_->post("MIDI: clock out not reopened yet: " + r.error);
  }
}

void MidiPart::navigated() { live_->rearmPickup(); }

void MidiPart::startLearn(const std::string& target, int actionValue) {
  if (live_->learning()) live_->cancelLearn();
  const std::string err = live_->startLearn(target, actionValue, [this](const std::string& m) {
    learnSaid_ = m;
    learnRefused_ = false;
    ++learnSaidCount_;
  });
  if (!err.empty()) {
    learnSaid_ = err;
    learnRefused_ = true;
    ++learnSaidCount_;
  }
}

void MidiPart::fillLearnView(StageView& view) const {
  view.learnSaidCount = learnSaidCount_;
  view.learnSaid = learnSaid_;
  view.learnRefused = learnRefused_;
}

void MidiPart::stop() {
  if (clockOut_) clockOut_->stop();
}

bool attachMidi(App& app) {
  const Args& args = *app.args;
  const bool wanted = !args.all("midi-in").empty() || !args.all("mapping").empty() || args.get("clock-out");
  if (!wanted) return true;

  LiveMidiOptions o;
  // JACK audio usually means JACK MIDI too (a2jmidid bridges hardware ports into it).
  o.api = chooseMidiApi(args);
  o.ports = args.all("midi-in");
  o.mappingPaths = args.all("mapping");
  const std::string clock = args.get("midi-clock", "follow");
  if (clock != "follow" && clock != "ignore") {
    std::cerr << "musicmill perform: --midi-clock takes follow or ignore, not '" << clock << "'\n";
    return false;
  }
  o.followClock = clock == "follow";
  o.wake = &app.controlWake;  // every message wakes the control thread at once
  // A learned control is written into the mapping file on the save thread.
  o.saveOffThread = [&app](std::function<std::string()> save, std::function<void(const std::string&)> then) {
    app.saves->submit(std::move(save), std::move(then));
  };
  try {
    midiApiFromName(o.api);
  } catch (const std::exception& e) {
    std::cerr << "musicmill perform: " << e.what() << "\n";
    return false;
  }
  auto part = std::make_unique<MidiPart>();
  part->app_ = &app;
  part->live_ = std::make_unique<LiveMidi>(*app.registry, o);
  LiveMidi& live = *part->live_;
  live.mapper().publishControlsTo(&app.modSources);  // `ccN` modulation sources
  live.onMessage = [&app](const std::string& m) { app.post("MIDI: " + m); };
  live.onAction = [&app](MidiAction a, int v) { navigateAndSay(app, "MIDI", a, v); };
  if (const std::string err = live.start(); !err.empty()) {
    std::cerr << "musicmill perform: the MIDI mapping cannot be used:\n" << err;
    return false;
  }
  if (auto port = args.get("clock-out")) {
    const int bpm = app.registry->indexOf("bpm");
    part->clockOut_ = std::make_unique<MidiClockOut>(*app.registry, bpm);
    if (const std::string err = part->clockOut_->open(o.api, "musicmill-clock", *port); !err.empty()) {
      std::cerr << "musicmill perform: " << err << "\n";
      return false;
    }
    app.post("MIDI: clock out on " + part->clockOut_->portName());
    part->clockOut_->start();
    part->clockRecovery_ = std::make_unique<MidiOutputRecovery>();
  }
  app.midi = std::move(part);
  return true;
}

bool attachMidiPerformance(const Args& args, ParameterRegistry& registry, ModulationSources& sources,
                           RenderOptions& options, std::unique_ptr<MidiFilePlayer>& performance) {
  const auto midiPath = args.get("midi");
  if (!midiPath) {
    if (!args.all("mapping").empty())
      std::cerr << "musicmill render: note: --mapping without --midi PERFORMANCE.mid does nothing\n";
    return true;
  }
  std::string error;
  performance = MidiFilePlayer::load(*midiPath, args.all("mapping"), registry, error);
  if (!performance) {
    std::cerr << "musicmill render: " << error << (error.empty() || error.back() != '\n' ? "\n" : "");
    return false;
  }
  for (const auto& w : performance->warnings()) std::cerr << "warning: " << w << "\n";
  MidiFilePlayer* player = performance.get();
  player->publishControlsTo(&sources);
  options.beforeBlock = [player](double t) { player->advanceTo(t); };
  std::fprintf(stderr, "MIDI performance %s: %zu events\n", midiPath->c_str(), player->eventCount());
  return true;
}

}  // namespace mm
