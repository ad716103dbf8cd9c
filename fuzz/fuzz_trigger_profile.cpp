// Fuzzes trigger profiles as the program reads them: parseTriggerProfile(text, name, out)
// (input/TriggerProfile.cpp; loadTriggerProfile reads the file and calls it). Oracle
// besides the sanitizers: a refused profile's message starts with the file name; an
// accepted profile passes validateTriggerProfile, and triggerProfileToToml of it parses
// again.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "TriggerProfile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string name = "fuzz.toml";
  mm::TriggerProfile profile;
  const std::string error = mm::parseTriggerProfile(text, name, profile);
  if (!error.empty()) {
    if (error.rfind(name + ":", 0) != 0) {
      std::fprintf(stderr, "message without the file name: %s\n", error.c_str());
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
  if (const std::string e = mm::parseTriggerProfile(written, "again.toml", again); !e.empty()) {
    std::fprintf(stderr, "a profile written by triggerProfileToToml does not parse again: %s\n--- text ---\n%s\n",
                 e.c_str(), written.c_str());
    std::abort();
  }
  return 0;
}
