// Fuzzes Standard MIDI files as the program reads them: parseMidiFile(bytes, name)
// (midi/StandardMidiFile.cpp; readMidiFile reads the file and calls it). Oracle
// besides the sanitizers: the only exception is MidiFileError, its message starts with
// the file name; accepted files have events in time order within the duration.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "StandardMidiFile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<uint8_t> bytes(data, data + size);
  const std::string name = "fuzz.mid";
  try {
    const mm::MidiFileData f = mm::parseMidiFile(bytes, name);
    double last = 0.0;
    for (const auto& e : f.events) {
      if (!(e.time >= last) || e.time > f.duration || e.size < 1 || e.size > 3) {
        std::fprintf(stderr, "event out of order or malformed at %f (duration %f)\n", e.time, f.duration);
        std::abort();
      }
      last = e.time;
    }
  } catch (const mm::MidiFileError& e) {
    if (std::string(e.what()).rfind(name + ":", 0) != 0) {
      std::fprintf(stderr, "message without the file name: %s\n", e.what());
      std::abort();
    }
  }
  return 0;
}
