// `musicmill check FILE...`: every set list, preset, mapping, trigger profile and model
// file given is read with the loader the show uses (and every model a set list or preset
// names is loaded and probed), without opening audio or MIDI. Each problem is printed as
// FILE:LINE: error: ... ; the exit status is 0 only when everything would load.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include "Commands.h"
#include "LoadReport.h"
#include "MappingFile.h"
#include "ModelRuntime.h"
#include "Parameters.h"
#include "PresetFile.h"
#include "SetList.h"
#include "SetListSetup.h"
#include "TriggerProfile.h"

namespace fs = std::filesystem;

namespace mm {
namespace {

enum class FileKind { SetList, Preset, Mapping, TriggerProfile, Model };

const char* kindName(FileKind k) {
  switch (k) {
    case FileKind::SetList: return "set list";
    case FileKind::Preset: return "preset";
    case FileKind::Mapping: return "MIDI mapping";
    case FileKind::TriggerProfile: return "trigger profile";
    case FileKind::Model: return "model";
  }
  return "file";
}

// What a file is, from its own text: the table only that kind has. A TOML file with none
// of them is checked as a preset (whose loader says what is wrong with it).
FileKind kindOf(const std::string& path) {
  const std::string ext = fs::path(path).extension().string();
  if (ext == ".ts" || ext == ".pt") return FileKind::Model;
  std::ifstream in(path, std::ios::binary);
  std::string line;
  static const std::regex table(R"(^\s*\[\[\s*(song|control|class)\s*\]\])");
  static const std::regex featureSet(R"(^\s*feature_set\s*=)");
  std::smatch m;
  for (int n = 0; n < 100000 && std::getline(in, line); ++n) {
    if (std::regex_search(line, m, table)) {
      if (m[1] == "song") return FileKind::SetList;
      if (m[1] == "control") return FileKind::Mapping;
      return FileKind::TriggerProfile;
    }
    if (std::regex_search(line, featureSet)) return FileKind::TriggerProfile;
  }
  return FileKind::Preset;
}

}  // namespace

int runCheck(const Args& args, const char* argv0) {
  ModelRuntime::Options mo;
  mo.device = "cpu";
  const std::string registryModel = args.get("model", bundledModelPath(argv0));
  std::unique_ptr<ParameterRegistry> registry;
  int errors = 0, warnings = 0;
  const ModelLibrary library = modelLibraryFor(args, argv0);
  try {
    // Sized for every model the files play (a synth part's 16 dims, a blend's model B).
    std::vector<std::string> setLists, presets;
    for (const std::string& file : args.positional) {
      std::error_code ec;
      if (!fs::exists(file, ec)) continue;
      if (const FileKind k = kindOf(file); k == FileKind::SetList) setLists.push_back(file);
      else if (k == FileKind::Preset) presets.push_back(file);
    }
    const ShowSizes sizes = showSizes(setLists, presets, library, mo);
    registry = makeShowRegistry(*ModelRuntime::load(registryModel, mo), nullptr, sizes.latent, sizes.partnerLatent);
  } catch (const std::exception& e) {
    std::printf("%s: error: %s (parameter ids are checked against this model; --model names another)\n",
                registryModel.c_str(), e.what());
    return 1;
  }
  std::set<std::string> modelsChecked;
  // Loads and probes a model a file names; a failure is an error at the naming file.
  auto checkModel = [&](const std::string& model, const std::string& namedBy) {
    if (model.empty() || !modelsChecked.insert(model).second) return;
    try {
      ModelRuntime::load(model, mo);
    } catch (const std::exception& e) {
      std::printf("%s: error: the model %s cannot be played: %s\n", namedBy.c_str(), model.c_str(), e.what());
      ++errors;
    }
  };

  for (const std::string& file : args.positional) {
    const int errorsBefore = errors;
    std::error_code ec;
    if (!fs::exists(file, ec)) {
      std::printf("%s: error: there is no such file\n", file.c_str());
      ++errors;
      continue;
    }
    const FileKind kind = kindOf(file);
    LoadReport report;
    switch (kind) {
      case FileKind::SetList:
        if (auto set = loadSetList(file, report, registry.get(), &library))
          for (const std::string& m : set->models()) checkModel(m, file);
        break;
      case FileKind::Preset:
        if (auto preset = loadPreset(file, report, PresetChecks{registry.get(), &library})) {
          checkModel(preset->model, file);
          checkModel(preset->modelB, file);
        }
        break;
      case FileKind::Mapping:
        loadMappingFile(file, *registry, report);
        break;
      case FileKind::TriggerProfile: {
        TriggerProfile profile;
        loadTriggerProfile(file, profile, report);
        break;
      }
      case FileKind::Model:
        checkModel(file, file);
        break;
    }
    for (const Problem& p : report.problems()) std::printf("%s\n", p.text().c_str());
    errors += report.errorCount();
    warnings += report.warningCount();
    std::printf("%s: %s as a %s\n", file.c_str(), errors == errorsBefore ? "ok" : "FAILED", kindName(kind));
  }
  std::printf("%d error(s), %d warning(s) in %zu file(s)%s\n", errors, warnings, args.positional.size(),
              errors ? "" : ": everything would load");
  return errors ? 1 : 0;
}

}  // namespace mm
