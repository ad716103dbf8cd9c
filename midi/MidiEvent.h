// MidiEvent: one short MIDI message as it travels from the RtMidi callback (or a MIDI
// file) to the main thread. Plain data, trivially copyable, so that the lock-free FIFO
// between the two threads can copy it without allocating.
#pragma once

#include <cstdint>

namespace mm {

struct MidiEvent {
  double time = 0.0;   // seconds: steady clock live, file time offline
  uint8_t bytes[3] = {0, 0, 0};
  uint8_t size = 0;    // 1..3 (system real-time messages are 1 byte)
  uint16_t port = 0;   // index of the input port it came from (LiveMidiInputs)

  uint8_t status() const { return bytes[0]; }
  // Channel voice messages: kind is the high nibble (0x80 note off ... 0xE0 pitch bend).
  uint8_t kind() const { return bytes[0] & 0xF0; }
  int channel() const { return bytes[0] & 0x0F; }  // 0-based; 1-based in files and messages
  bool isChannelMessage() const { return bytes[0] >= 0x80 && bytes[0] < 0xF0; }

  static MidiEvent make(double t, uint8_t b0, uint8_t b1 = 0, uint8_t b2 = 0, uint8_t n = 3) {
    MidiEvent e;
    e.time = t;
    e.bytes[0] = b0;
    e.bytes[1] = b1;
    e.bytes[2] = b2;
    e.size = n;
    return e;
  }
};

// Data bytes each status byte carries (0 for system real-time, -1 for sysex and
// undefined statuses, which the instrument does not take).
inline int midiDataBytes(uint8_t status) {
  if (status < 0x80) return -1;
  if (status < 0xF0) {
    const uint8_t k = status & 0xF0;
    return (k == 0xC0 || k == 0xD0) ? 1 : 2;
  }
  switch (status) {
    case 0xF1: case 0xF3: return 1;  // MTC quarter frame, song select
    case 0xF2: return 2;             // song position
    case 0xF6: case 0xF8: case 0xFA: case 0xFB: case 0xFC: case 0xFE: case 0xFF: return 0;
    default: return -1;
  }
}

namespace midi {
constexpr uint8_t NoteOff = 0x80, NoteOn = 0x90, PolyPressure = 0xA0, ControlChange = 0xB0,
                  ProgramChange = 0xC0, ChannelPressure = 0xD0, PitchBend = 0xE0;
constexpr uint8_t Clock = 0xF8, Start = 0xFA, Continue = 0xFB, Stop = 0xFC;
}  // namespace midi

}  // namespace mm
