// Opening a MIDI output by what a performer types: "virtual" (a port others connect to) or
// part of a port's name, case-insensitive. Shared by the trigger notes (input/) and the
// MIDI clock (mappings/). Threads: whoever opens the port (main thread).
#pragma once

#include <rtmidi/RtMidi.h>

#include <cctype>
#include <string>

namespace mm {

// Returns the opened port's name, or "" when no output port has `port` in its name.
// RtMidi errors propagate as exceptions.
inline std::string openMidiOutput(RtMidiOut& out, const std::string& port, const std::string& clientName,
                                  const std::string& localName) {
  if (port == "virtual") {
    out.openVirtualPort(localName);
    return clientName + ":" + localName;
  }
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  const unsigned n = out.getPortCount();
  for (unsigned i = 0; i < n; ++i) {
    const std::string name = out.getPortName(i);
    if (lower(name).find(lower(port)) != std::string::npos) {
      out.openPort(i, localName);
      return name;
    }
  }
  return "";
}

}  // namespace mm
