#include "ControlSetup.h"

#include <cstdio>
#include <iostream>
#include <memory>

#include "LiveMidi.h"
#include "MidiClockOut.h"
#include "MidiFilePlayer.h"
#include "JackServerWatch.h"
#include "MidiInputPorts.h"

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

void navigateAndSay(Session& session, const char* from, MidiAction a, int value) {
  const bool numbered = a == MidiAction::GotoSong || a == MidiAction::SelectPreset ||
                        a == MidiAction::BankSelect || a == MidiAction::ProgramChange;
  session.post(std::string(from) + ": " + navWords(a) + (numbered ? " " + std::to_string(value) : std::string()));
  session.navigate(toNav(a), value);
}

std::string chooseMidiApi(const Args& args) {
  if (auto api = args.get("midi-api")) return *api;
  const std::string audio = args.get("audio-api", "auto");
  if (audio == "jack") return "jack";
  // Left to choose, the audio takes JACK when a server runs (RtAudio tries it first).
  if (audio == "auto" && JackServerWatch::serverAnswers()) return "jack";
  return "";
}

bool attachMidi(Session& session) {
  const Args& args = *session.args;
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
  o.wake = &session.controlWake;  // every message wakes the control thread at once
  try {
    midiApiFromName(o.api);
  } catch (const std::exception& e) {
    std::cerr << "musicmill perform: " << e.what() << "\n";
    return false;
  }
  // The session's hooks own it; Session::midi points at it from here until onStop.
  auto live = std::make_shared<LiveMidi>(*session.registry, o);
  live->mapper().publishControlsTo(&session.modSources);  // `ccN` modulation sources
  live->onMessage = [&session](const std::string& m) { session.post("MIDI: " + m); };
  live->onAction = [&session](MidiAction a, int v) { navigateAndSay(session, "MIDI", a, v); };
  if (const std::string err = live->start(); !err.empty()) {
    std::cerr << "musicmill perform: the MIDI mapping cannot be used:\n" << err;
    return false;
  }
  session.midi = live.get();
  session.midiDropped = [live] { return live->droppedMessages(); };
  session.onTick.push_back([live] {
    live->tick(midiNow());
  });
  // After any set-list move the preset has changed the parameters under the knobs.
  session.onNavigate.push_back([live](NavCommand, int) { live->rearmPickup(); });
  // JACK MIDI lives in the JACK server. The inputs notice a server crash themselves and
  // connect the controllers again when a server is back (MidiInputPorts::rescan); so does
  // the clock output (MidiOutputRecovery), whether or not the audio is on JACK.
  session.onStop.push_back([&session] { session.midi = nullptr; });

  if (auto port = args.get("clock-out")) {
    const int bpm = session.registry->indexOf("bpm");
    auto out = std::make_shared<MidiClockOut>(*session.registry, bpm);
    if (const std::string err = out->open(o.api, "musicmill-clock", *port); !err.empty()) {
      std::cerr << "musicmill perform: " << err << "\n";
      return false;
    }
    session.post("MIDI: clock out on " + out->portName());
    out->start();
    auto recovery = std::make_shared<MidiOutputRecovery>();
    session.onTick.push_back([out, recovery, &session] {
      const auto r = recovery->poll(out->serverLost(), [&] { return out->reopen(); }, MidiOutputRecovery::Clock::now());
      if (r.reopened) session.post("MIDI: clock out reopened on " + out->portName());
      if (!r.error.empty()) session.post("MIDI: clock out not reopened yet: " + r.error);
    });
    session.onStop.push_back([out] { out->stop(); });
  }
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
