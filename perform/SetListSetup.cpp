// Wires sets/ into `musicmill perform`: everything a gig needs is loaded and checked here,
// before the engine starts, so that problems show up at soundcheck, not mid-song.
#include "SetListSetup.h"

#include "Commands.h"

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>

#include "Autosave.h"
#include "AutosaveWriter.h"
#include "PresetFile.h"

namespace fs = std::filesystem;

namespace mm {

namespace {


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

SetListPart::SetListPart(App& app, ModelRuntime::Options options)
    : app_(app), switcher_(*app.engine, std::move(options)), player_(*app.registry, switcher_, app.presetHooks) {}

SetListPart::~SetListPart() = default;

void SetListPart::navigate(NavCommand c, int value) {
  switch (c) {
    case NavCommand::NextPart: player_.nextPart(); break;
    case NavCommand::PrevPart: player_.prevPart(); break;
    case NavCommand::NextSong: player_.nextSong(); break;
    case NavCommand::PrevSong: player_.prevSong(); break;
    case NavCommand::GotoSong: player_.gotoSong(value); break;
    case NavCommand::ProgramChange: player_.programChange(value); break;
    case NavCommand::BankSelect: player_.bankSelect(value); break;
    case NavCommand::SelectPreset: player_.selectPreset(value); break;
  }
}

void SetListPart::tick() {
  // Parts built after this one set their PresetHooks later: on the first tick they
  // receive the sections of the preset that is playing.
  if (firstTick_) player_.resendSections();
  firstTick_ = false;
  const auto now = SetListPlayer::Clock::now();
  player_.tick(now);
  if (autosaveWriter_) {
    autosaveWriter_->tick(now, [&] { return captureState(player_); });
    for (const std::string& m : autosaveWriter_->takeMessages()) app_.post(m);
  }
}

void SetListPart::stop() {
  if (!autosaveOn_) return;
  if (autosaveWriter_) autosaveWriter_->stop();
  const std::string err = autosave_->saveIfChanged(captureState(player_));
  if (!err.empty()) std::fprintf(stderr, "%s\n", err.c_str());
}

ShowSizes showSizes(const std::vector<std::string>& setLists, const std::vector<std::string>& presets,
                    const ModelLibrary& library, const ModelRuntime::Options& options) {
  ShowSizes sizes;
  std::vector<std::pair<std::string, std::string>> choices;
  LoadReport quiet;  // each file's own load reports its problems
  for (const std::string& path : setLists)
    if (const auto set = loadSetList(path, quiet, nullptr, &library)) {
      const auto c = set->modelChoices();
      choices.insert(choices.end(), c.begin(), c.end());
    }
  for (const std::string& path : presets)
    if (const auto p = loadPreset(path, quiet, PresetChecks{nullptr, &library}); p && !p->model.empty())
      choices.emplace_back(p->model, p->modelB);
  std::map<std::string, int> latent;
  const auto dims = [&](const std::string& model) {
    if (auto it = latent.find(model); it != latent.end()) return it->second;
    int n = 0;
    try {
      n = ModelRuntime::load(model, options)->info().latentSize;
    } catch (const std::exception&) {
    }
    return latent[model] = n;
  };
  for (const auto& [model, partner] : choices) {
    sizes.latent = std::max(sizes.latent, dims(model));
    if (!partner.empty()) sizes.partnerLatent = std::max(sizes.partnerLatent, dims(partner));
  }
  return sizes;
}

bool attachSetList(App& app) {
  const Args& args = *app.args;
  ModelRuntime::Options mo;
  mo.device = args.get("device", "cpu");
  mo.threads = args.getInt("threads", 1);
  mo.executor = executorOption(args);
  mo.weights = weightsOption(args);
  auto sl = std::make_unique<SetListPart>(app, mo);
  SetListPlayer& player = sl->player_;
  player.defaultRampMs = args.getDouble("ramp-ms", 50.0);
  if (player.defaultRampMs < 0 || player.defaultRampMs > kMaxRampMs) {
    std::fprintf(stderr, "musicmill perform: --ramp-ms must lie in 0 .. %.0f\n", kMaxRampMs);
    return false;
  }
  // A model of the library is named by its short name in presets captured from the show.
  const std::string partner = args.get("model-b", "");
  player.registerPlayingModel(app.modelPath, app.library.nameOf(app.modelPath), partner,
                              partner.empty() ? "" : app.library.nameOf(partner));
  player.setModelLibrary(&app.library);
  LoadReport report;

  // The preset shelf: built-ins first (presets 1..4), then every --preset FILE (5, 6, ...).
  std::vector<Preset> shelf;
  for (const char* name : {"calm", "balanced", "intense", "chaotic"}) {
    LoadReport builtin;
    const std::string path = (fs::path(builtinPresetDir(app.argv0)) / (std::string(name) + ".toml")).string();
    if (auto p = loadPreset(path, builtin, PresetChecks{app.registry, &app.library})) shelf.push_back(std::move(*p));
    else report.warn(path, 0, "built-in preset not available");
  }
  const size_t builtins = shelf.size();
  for (const auto& path : args.all("preset")) {
    auto p = loadPreset(path, report, PresetChecks{app.registry, &app.library});
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
  sl->autosaveOn_ = autosaveOn;
  sl->autosave_ = std::make_unique<Autosave>(args.get("autosave-dir", Autosave::defaultDir()), autosaveOn ? every : 0.0);
  Autosave& autosave = *sl->autosave_;
  std::optional<LiveState> restored;
  if (args.has("restore")) {
    if (!autosave.exists()) {
      std::fprintf(stderr, "musicmill perform: --restore: there is no autosaved state in %s\n", autosave.dir().c_str());
      return false;
    }
    restored = loadLiveState(autosave.path(), report, app.registry);
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
  player.onMessage = [&app](const std::string& m) { app.post(m); };
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
    if (auto err = app.registry->applyAssignment(a)) std::fprintf(stderr, "musicmill: %s\n", err->c_str());

  autosave.setBaseline(defaultState(*app.registry, player.modelPlaying()));
  if (autosaveOn) sl->autosaveWriter_ = std::make_unique<AutosaveWriter>(autosave, every);
  app.setList = std::move(sl);
  return true;
}

}  // namespace mm
