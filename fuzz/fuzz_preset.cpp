// Fuzzes the preset reader as the program uses it: loadPreset(path, report, {registry})
// (sets/PresetReader.cpp, through readTomlFile in engine/TomlRead.cpp and toml++). The input
// is written to sets/examples/presets/fuzz.toml inside the scratch tree, so relative model
// paths of the shipped presets resolve.
//
// Oracle besides the sanitizers: a refused preset has at least one error naming the file;
// an accepted one, written back by presetToToml, loads again.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "FuzzSupport.h"
#include "Parameters.h"
#include "PresetFile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto registry = mm::makeStandardRegistry(8);
  static const std::string dir = fuzzsupport::scratchRoot() + "/sets/examples/presets";
  static const std::string path = dir + "/fuzz.toml";
  static const std::string again = dir + "/fuzz_again.toml";
  fuzzsupport::writeFile(path, data, size);
  mm::LoadReport report;
  const auto preset = mm::loadPreset(path, report, mm::PresetChecks{registry.get()});
  for (const auto& p : report.problems()) {
    if (p.file != path || p.message.empty()) {
      std::fprintf(stderr, "problem without file or message: %s\n", p.text().c_str());
      std::abort();
    }
  }
  if (!preset) {
    if (report.errorCount() == 0) {
      std::fprintf(stderr, "preset refused without an error\n");
      std::abort();
    }
    return 0;
  }
  const std::string text = mm::presetToToml(*preset, dir);
  fuzzsupport::writeFile(again, reinterpret_cast<const uint8_t*>(text.data()), text.size());
  mm::LoadReport second;
  if (!mm::loadPreset(again, second, mm::PresetChecks{registry.get()})) {
    std::fprintf(stderr, "a preset written by presetToToml does not load again:\n%s\n--- text ---\n%s\n",
                 second.text().c_str(), text.c_str());
    std::abort();
  }
  return 0;
}
