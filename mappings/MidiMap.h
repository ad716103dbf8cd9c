// MidiMap: what a mapping file says — which control drives which parameter or which
// set-list action, and how (range, invert, curve, relative mode, button mode, takeover).
// Plain data: MappingFile reads and writes it, MidiMapper plays it, MidiLearn makes
// bindings. mappings/README.md documents the file format.
#pragma once

#include <string>
#include <vector>

namespace mm {

enum class ControlSource { Cc, Cc14, Note, PitchBend, Aftertouch };

// How a CC's 7-bit value is read. Absolute: the value is the control's position.
// The relative modes decode encoder steps: TwosComplement 1..63 up, 127..65 down (127 = -1);
// SignMagnitude bit 6 is the sign (1 = +1, 65 = -1); BinaryOffset 64 is zero (65 = +1,
// 63 = -1).
enum class RelativeMode { Absolute, TwosComplement, SignMagnitude, BinaryOffset };

// Notes and CC buttons. Trigger: each press sets the "on" value. Toggle: each press flips
// between the two ends of the range. Momentary: press sets "on", release sets the low end.
// None: a CC read as a continuous control.
enum class ButtonMode { None, Trigger, Toggle, Momentary };

// What happens when a control's position and the parameter's value disagree (after a
// preset change, or when the UI, OSC or another control moved the parameter).
// Jump: the parameter jumps to the control. Pickup: the control does nothing until it
// crosses the current value. Scale: the control moves the parameter proportionally toward
// the end it is heading for, so both meet at that end.
enum class Takeover { Jump, Pickup, Scale };

// Shape of the control's travel within the mapping's range, on top of the parameter's
// own curve (an exponential parameter such as lfo.N.rate stays exponential).
enum class TravelCurve { Linear, Exponential, Logarithmic, SCurve };

// Set-list navigation a control (or program change / bank select) asks for; the perform
// front end turns these into App::navigate calls.
enum class MidiAction { None, NextPart, PrevPart, NextSong, PrevSong, GotoSong, SelectPreset,
                        ProgramChange, BankSelect };

struct MidiBinding {
  ControlSource source = ControlSource::Cc;
  int channel = -1;  // 0..15; -1: any channel
  int number = 0;    // CC number (the MSB's for Cc14; its LSB is number + 32), note number
  RelativeMode relative = RelativeMode::Absolute;
  ButtonMode button = ButtonMode::None;
  bool velocity = false;  // notes: velocity scales the "on" value within the range
  Takeover takeover = Takeover::Pickup;
  TravelCurve curve = TravelCurve::Linear;
  bool invert = false;
  float step = 0.f;  // relative: fraction of the range per encoder step (0: default)

  // Target: a parameter (paramIndex >= 0) or an action.
  std::string param;
  int paramIndex = -1;
  float lo = 0.f, hi = 1.f;  // range in parameter units (defaults: the parameter's range)
  bool hasOnValue = false;
  float onValue = 0.f;       // Trigger/Momentary: value set on press (default: hi)
  MidiAction action = MidiAction::None;
  int actionValue = 0;       // GotoSong / SelectPreset number

  int line = 0;  // line in its mapping file, for messages
};

struct MidiMap {
  int format = 2;  // the mapping file format (2: select_preset counts from 1)
  std::string path;         // file it came from ("" when made in memory)
  std::string name;
  std::string port;         // only messages from input ports whose name contains this
  bool programChange = true;  // program change -> set-list navigation
  bool bankSelect = true;     // CC 0 / CC 32 -> bank for the next program change
  int programChannel = -1;    // -1: any channel
  std::vector<MidiBinding> bindings;
};

// "CC 7 on channel 1", "note 36 (C2) on any channel", ... for messages and the UI.
std::string describeSource(const MidiBinding& b);
const char* actionName(MidiAction a);  // the file's spelling: "next_part", ...
// Same physical control (source, channel and number), whatever it drives.
bool sameControl(const MidiBinding& a, const MidiBinding& b);
// (These three live in ControlDecoding.cpp with the other spellings.)

}  // namespace mm
