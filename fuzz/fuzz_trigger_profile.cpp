// Fuzzes trigger profiles as the program reads them: parseTriggerProfile(text, name, out,
// report) (input/TriggerProfile.cpp; loadTriggerProfile reads the file and calls it).
// Oracle besides the sanitizers: a refused profile has at least one error, each naming
// the file and a line; an accepted profile passes validateTriggerProfile, and
// triggerProfileToToml of it parses again.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "TriggerProfile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string name = "fuzz.toml";
  mm::TriggerProfile profile;
  mm::LoadReport report;
  if (!mm::parseTriggerProfile(text, name, profile, report)) {
    if (report.errorCount() == 0) {
      std::fprintf(stderr, "profile refused without an error\n");
      std::abort();
    }
    for (const mm::Problem& p : report.problems())
      if (p.file != name || p.line < 1) {
        std::fprintf(stderr, "message without the file and line: %s\n", p.text().c_str());
        std::abort();
      }
    return 0;
  }
  if (const std::string bad = mm::validateTriggerProfile(profile); !bad.empty()) {
    std::fprintf(stderr, "accepted profile fails validation: %s\n", bad.c_str());
    std::abort();
  }
  const std::string written = mm::triggerProfileToToml(profile);
  mm::TriggerProfile again;
  if (mm::LoadReport r; !mm::parseTriggerProfile(written, "again.toml", again, r)) {
    std::fprintf(stderr, "a profile written by triggerProfileToToml does not parse again: %s\n--- text ---\n%s\n",
                 r.text().c_str(), written.c_str());
    std::abort();
  }
  return 0;
}
