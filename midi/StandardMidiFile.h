// StandardMidiFile: reads Standard MIDI Files (format 0 and 1; PPQ and SMPTE timing;
// tempo changes; running status) into one time-ordered list of short MIDI messages in
// seconds, for `musicmill render --midi PERFORMANCE.mid`. System exclusive and meta
// events other than tempo are skipped.
//
// Threads: whichever thread reads (the render command). No global state.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "MidiEvent.h"

namespace mm {

struct MidiFileError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct MidiFileData {
  int format = 0;
  int tracks = 0;
  int division = 0;        // ticks per quarter note (PPQ) or SMPTE word
  double duration = 0.0;   // seconds, to the last event
  std::vector<MidiEvent> events;  // by time; MidiEvent::port holds the track index
};

// Throws MidiFileError naming the file, the byte offset and what is wrong.
MidiFileData readMidiFile(const std::string& path);
MidiFileData parseMidiFile(const std::vector<uint8_t>& bytes, const std::string& name);

// A format-0 file of `events` (short channel messages, `time` in seconds, in any order) at
// 120 BPM and 960 ticks per quarter note (0.52 ms a tick). The bytes, for saving atomically.
std::vector<uint8_t> midiFileBytes(std::vector<MidiEvent> events);

}  // namespace mm
