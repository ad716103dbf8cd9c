// ControlDecoding: the arithmetic that turns raw controller bytes into positions and steps
// (relative encoder modes, 14-bit pairs, pitch bend, travel curves). Pure functions, no
// state, callable from any thread; unit-tested in tests/test_midi_decoding.cpp.
#pragma once

#include <cstdint>

#include "MidiMap.h"

namespace mm {

// Signed encoder steps carried by one relative CC value (0 for Absolute).
int decodeRelative(RelativeMode mode, int value);

// 14-bit value (0..16383) from its MSB and LSB, and as a 0..1 position.
inline int combine14(int msb, int lsb) { return ((msb & 0x7F) << 7) | (lsb & 0x7F); }
inline float position14(int value) { return static_cast<float>(value) / 16383.f; }
inline float position7(int value) { return static_cast<float>(value & 0x7F) / 127.f; }

// Position 0..1 along the control's travel -> 0..1 within the mapping's range.
float shapeTravel(TravelCurve curve, float position);

// Spelling used in mapping files, both ways (false / nullptr when unknown).
const char* relativeName(RelativeMode m);
const char* buttonName(ButtonMode m);
const char* takeoverName(Takeover t);
const char* curveName(TravelCurve c);
bool parseRelative(const char* s, RelativeMode& out);
bool parseButton(const char* s, ButtonMode& out);
bool parseTakeover(const char* s, Takeover& out);
bool parseCurve(const char* s, TravelCurve& out);
bool parseAction(const char* s, MidiAction& out);

// "C-1" .. "G9" (MIDI note 60 = C4, scientific pitch notation).
const char* noteName(int note, char (&buf)[8]);

}  // namespace mm
