// Fuzzes MIDI mapping files as the program reads them: parseMappingText(text, name,
// registry, report) (mappings/MappingFile.cpp; loadMappingFile reads the file and calls
// it). Oracle besides the sanitizers: a refused mapping has at least one error, and every
// message starts with the file name; every accepted binding targets a real parameter or
// an action.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "MappingFile.h"
#include "Parameters.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto registry = mm::makeStandardRegistry(8);
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string name = "fuzz.toml";
  mm::LoadReport report;
  const auto map = mm::parseMappingText(text, name, *registry, report);
  for (const mm::Problem& p : report.problems())
    if (p.file != name) {
      std::fprintf(stderr, "message without the file name: %s\n", p.text().c_str());
      std::abort();
    }
  if (!map && report.errorCount() == 0) {
    std::fprintf(stderr, "mapping refused without an error\n");
    std::abort();
  }
  if (map) {
    for (const auto& b : map->bindings) {
      if (b.paramIndex >= registry->size() || (b.paramIndex < 0 && b.action == mm::MidiAction::None)) {
        std::fprintf(stderr, "binding at line %d has no valid target\n", b.line);
        std::abort();
      }
    }
  }
  return 0;
}
