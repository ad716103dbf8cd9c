// Fuzzes the set-list reader as the program uses it: loadSetList(path, report, &registry)
// (sets/SetListReader.cpp; presets inline and from files through sets/PresetReader.cpp;
// TOML through engine/TomlRead.cpp and toml++). The input is written to
// sets/examples/fuzz.toml in the scratch tree, next to copies of the shipped presets, so
// `preset = "presets/intro.toml"` resolves.
//
// Oracle besides the sanitizers: a refused set list has at least one error, and every
// problem names a file and says something.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "FuzzSupport.h"
#include "Parameters.h"
#include "SetList.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto registry = mm::makeStandardRegistry(8);
  static const std::string path = fuzzsupport::scratchRoot() + "/sets/examples/fuzz.toml";
  fuzzsupport::writeFile(path, data, size);
  mm::LoadReport report;
  const auto set = mm::loadSetList(path, report, registry.get());
  for (const auto& p : report.problems()) {
    if (p.file.empty() || p.message.empty()) {
      std::fprintf(stderr, "problem without file or message: %s\n", p.text().c_str());
      std::abort();
    }
  }
  if (!set && report.errorCount() == 0) {
    std::fprintf(stderr, "set list refused without an error\n");
    std::abort();
  }
  if (set && set->songs.empty()) {
    std::fprintf(stderr, "set list accepted with no songs\n");
    std::abort();
  }
  return 0;
}
