// Wires sets/ into `musicmill perform`: everything a gig needs is loaded and checked here,
// before the engine starts, so that problems show up at soundcheck, not mid-song.
#include "SetListSetup.h"

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>

#include "Autosave.h"
#include "AutosaveWriter.h"
#include "EngineModelSwitcher.h"
#include "PresetFile.h"
#include "SetListPlayer.h"

namespace fs = std::filesystem;

namespace mm {

namespace {


// Everything the set-list subsystem keeps for the session. Owned by the session's hook
// lambdas (shared_ptr), so it lives exactly as long as the session's hooks.
struct SetListSession {
  const Session* session;
  EngineModelSwitcher switcher;
  SetListPlayer player;
  std::unique_ptr<Autosave> autosave;
  std::unique_ptr<AutosaveWriter> autosaveWriter;  // writes off the control thread

  SetListSession(Session& s, ModelRuntime::Options options)
      : session(&s),
        switcher(*s.engine, std::move(options)),
        player(*s.registry, switcher, s.presetHooks) {}
  ~SetListSession();
};

SetListSession::~SetListSession() = default;

// The shipped presets (Calm, Balanced, Intense, Chaotic): $MUSICMILL_PRESETS, else
// sets/presets beside the build folder, else in the source tree this binary came from.
std::string builtinPresetDir(const char* argv0) {
  if (const char* env = std::getenv("MUSICMILL_PRESETS")) return env;
  std::error_code ec;
  const fs::path exe = fs::weakly_canonical(fs::path(argv0 ? argv0 : ""), ec);
  if (!ec && exe.has_parent_path()) {
    const fs::path p = exe.parent_path().parent_path() / "sets" / "presets";
    if (fs::is_directory(p, ec)) return p.string();
  }
#ifdef MM_SOURCE_DIR
  return (fs::path(MM_SOURCE_DIR) / "sets" / "presets").string();
#else
  return "sets/presets";
#endif
}

void printReport(const LoadReport& report) {
  for (const auto& p : report.problems()) std::fprintf(stderr, "%s\n", p.text().c_str());
}

LiveState captureState(const SetListPlayer& player) {
  LiveState s;
  s.preset = player.captureLive(true);
  if (const SetList* set = player.set()) {
    s.setList = set->path;
    if (player.songIndex() >= 0) {
      s.song = set->songs[static_cast<size_t>(player.songIndex())].number;
      s.part = player.partIndex() + 1;
    }
  }
  return s;
}

// The state a session has before anyone touches anything: no autosave is written while
// the live state equals it (so merely starting never pushes an old autosave aside).
LiveState defaultState(const ParameterRegistry& registry, const std::string& model) {
  LiveState s;
  s.preset.name = "Live";
  s.preset.model = model;
  for (int i = 0; i < registry.size(); ++i) {
    const ParamSpec& spec = registry.spec(i);
    if (spec.unit == kParamIndexUnit) s.preset.paramTargets[spec.id] = "";  // as captureLive writes it
    else s.preset.params[spec.id] = spec.def;
  }
  return s;
}

}  // namespace

bool attachSetList(Session& session) {
  const Args& args = *session.args;
  ModelRuntime::Options mo;
  mo.device = args.get("device", "cpu");
  mo.threads = args.getInt("threads", 1);
  auto sl = std::make_shared<SetListSession>(session, mo);
  SetListPlayer& player = sl->player;
  player.defaultRampMs = args.getDouble("ramp-ms", 50.0);
  if (player.defaultRampMs < 0 || player.defaultRampMs > kMaxRampMs) {
    std::fprintf(stderr, "musicmill perform: --ramp-ms must lie in 0 .. %.0f\n", kMaxRampMs);
    return false;
  }
  player.registerPlayingModel(session.modelPath);
  LoadReport report;

  // The preset shelf: built-ins first (presets 1..4), then every --preset FILE (5, 6, ...).
  std::vector<Preset> shelf;
  for (const char* name : {"calm", "balanced", "intense", "chaotic"}) {
    LoadReport builtin;
    const std::string path = (fs::path(builtinPresetDir(session.argv0)) / (std::string(name) + ".toml")).string();
    if (auto p = loadPreset(path, builtin, PresetChecks{session.registry})) shelf.push_back(std::move(*p));
    else report.warn(path, 0, "built-in preset not available");
  }
  const size_t builtins = shelf.size();
  for (const auto& path : args.all("preset")) {
    auto p = loadPreset(path, report, PresetChecks{session.registry});
    if (!p) {
      printReport(report);
      std::fprintf(stderr, "musicmill perform: the preset %s cannot be used (see above)\n", path.c_str());
      return false;
    }
    shelf.push_back(std::move(*p));
  }
  player.setShelf(shelf);

  // Autosave: offer (or restore) what a previous session left.
  const bool autosaveOn = !args.has("no-autosave");
  const double every = args.getDouble("autosave-seconds", 5.0);
  sl->autosave = std::make_unique<Autosave>(args.get("autosave-dir", Autosave::defaultDir()), autosaveOn ? every : 0.0);
  Autosave& autosave = *sl->autosave;
  std::optional<LiveState> restored;
  if (args.has("restore")) {
    if (!autosave.exists()) {
      std::fprintf(stderr, "musicmill perform: --restore: there is no autosaved state in %s\n", autosave.dir().c_str());
      return false;
    }
    restored = loadLiveState(autosave.path(), report, session.registry);
    if (!restored) {
      printReport(report);
      std::fprintf(stderr, "musicmill perform: --restore: %s cannot be read (see above); it is left as it is\n",
                   autosave.path().c_str());
      return false;
    }
    std::printf("restoring the state autosaved at %s (%s)\n", autosave.savedAt().c_str(), autosave.path().c_str());
  } else if (autosaveOn && autosave.exists()) {
    std::printf("an autosaved state from %s exists: --restore to load it (%s; it moves to %s/history/ "
                "once this session changes anything)\n",
                autosave.savedAt().c_str(), autosave.path().c_str(), autosave.dir().c_str());
  }

  // The set list: --set-list, else the one the restored state was playing.
  std::string setPath = args.get("set-list", "");
  if (setPath.empty() && restored && !restored->setList.empty()) setPath = restored->setList;
  if (!setPath.empty()) {
    std::printf("loading set list %s ...\n", setPath.c_str());
    std::fflush(stdout);
    if (!player.load(setPath, report)) {
      printReport(report);
      std::fprintf(stderr, "musicmill perform: the set list %s cannot be used (see above)\n", setPath.c_str());
      return false;
    }
    const SetList& set = *player.set();
    std::printf("set '%s': %zu songs, %d parts\n", set.name.c_str(), set.songs.size(), set.partCount());
  }
  player.prepareModels(
      [](int i, int n, const std::string& path) {
        std::printf("loading model %d/%d: %s ...\n", i, n, path.c_str());
        std::fflush(stdout);
      },
      report);
  if (!report.empty()) {
    printReport(report);
    std::fprintf(stderr, "%d problem(s), %d warning(s) above; everything else is loaded and ready.\n",
                 report.errorCount(), report.warningCount());
  }

  // What plays first: the set's first part (or the restored position), a --preset, the
  // restored live values, and finally --set on the command line, which always wins.
  player.onMessage = [&session](const std::string& m) { session.post(m); };
  if (player.hasSet()) {
    bool placed = false;
    if (restored && restored->song > 0) {
      const int song = player.set()->songIndexByNumber(restored->song);
      placed = song >= 0 && player.gotoPart(song, restored->part - 1);
    }
    if (!placed) player.start();
  } else if (shelf.size() > builtins) {
    player.selectPreset(static_cast<int>(shelf.size()));  // the last --preset
  }
  // Before the show nothing needs to ramp: settle now, so the values below land on the
  // preset's final values rather than racing a ramp.
  player.tick(SetListPlayer::Clock::now() + std::chrono::hours(1));
  if (restored) player.restorePreset(restored->preset);
  for (const auto& a : args.all("set"))
    if (auto err = session.registry->applyAssignment(a)) std::fprintf(stderr, "musicmill: %s\n", err->c_str());

  autosave.setBaseline(defaultState(*session.registry, player.modelPlaying()));
  if (autosaveOn) sl->autosaveWriter = std::make_unique<AutosaveWriter>(autosave, every);
  session.setList = &sl->player;
  session.onStop.push_back([&session] { session.setList = nullptr; });

  session.onNavigate.push_back([sl](NavCommand c, int value) {
    SetListPlayer& p = sl->player;
    switch (c) {
      case NavCommand::NextPart: p.nextPart(); break;
      case NavCommand::PrevPart: p.prevPart(); break;
      case NavCommand::NextSong: p.nextSong(); break;
      case NavCommand::PrevSong: p.prevSong(); break;
      case NavCommand::GotoSong: p.gotoSong(value); break;
      case NavCommand::ProgramChange: p.programChange(value); break;
      case NavCommand::BankSelect: p.bankSelect(value); break;
      case NavCommand::SelectPreset: p.selectPreset(value); break;
    }
  });
  session.onTick.push_back([sl, &session, first = true]() mutable {
    // Subsystems attached after this one set their PresetHooks later: on the first tick
    // they receive the sections of the preset that is playing.
    if (first) sl->player.resendSections();
    first = false;
    const auto now = SetListPlayer::Clock::now();
    sl->player.tick(now);
    if (sl->autosaveWriter) {
      sl->autosaveWriter->tick(now, [&] { return captureState(sl->player); });
      for (const std::string& m : sl->autosaveWriter->takeMessages()) session.post(m);
    }
  });
  session.onStop.push_back([sl, autosaveOn] {
    if (!autosaveOn) return;
    if (sl->autosaveWriter) sl->autosaveWriter->stop();
    const std::string err = sl->autosave->saveIfChanged(captureState(sl->player));
    if (!err.empty()) std::fprintf(stderr, "%s\n", err.c_str());
  });
  session.setListNow = [sl] { return sl->player.nowText(); };
  session.setListNext = [sl] { return sl->player.nextText(); };
  session.setListNotes = [sl] { return sl->player.notesText(); };
  return true;
}

}  // namespace mm
