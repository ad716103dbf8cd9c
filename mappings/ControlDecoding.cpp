#include "ControlDecoding.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace mm {

int decodeRelative(RelativeMode mode, int v) {
  v &= 0x7F;
  switch (mode) {
    case RelativeMode::TwosComplement: return v < 64 ? v : v - 128;
    case RelativeMode::SignMagnitude: return (v & 0x40) ? -(v & 0x3F) : (v & 0x3F);
    case RelativeMode::BinaryOffset: return v - 64;
    case RelativeMode::Absolute: break;
  }
  return 0;
}

float shapeTravel(TravelCurve curve, float x) {
  x = std::clamp(x, 0.f, 1.f);
  // 2^(6x) spans 36 dB-like: fine control at the bottom (exponential) or the top
  // (logarithmic, its inverse). Both keep 0 -> 0 and 1 -> 1 exactly.
  switch (curve) {
    case TravelCurve::Linear: return x;
    case TravelCurve::Exponential: return (std::exp2(6.f * x) - 1.f) / 63.f;
    case TravelCurve::Logarithmic: return std::log2(1.f + 63.f * x) / 6.f;
    case TravelCurve::SCurve: return x * x * (3.f - 2.f * x);
  }
  return x;
}

namespace {
template <typename E, size_t N>
bool lookup(const char* s, const std::pair<const char*, E> (&table)[N], E& out) {
  if (!s) return false;
  for (const auto& [name, value] : table)
    if (std::strcmp(s, name) == 0) {
      out = value;
      return true;
    }
  return false;
}
template <typename E, size_t N>
const char* nameOf(E v, const std::pair<const char*, E> (&table)[N]) {
  for (const auto& [name, value] : table)
    if (value == v) return name;
  return "?";
}

const std::pair<const char*, RelativeMode> kRelative[] = {
    {"absolute", RelativeMode::Absolute},
    {"twos_complement", RelativeMode::TwosComplement},
    {"sign_magnitude", RelativeMode::SignMagnitude},
    {"binary_offset", RelativeMode::BinaryOffset}};
const std::pair<const char*, ButtonMode> kButton[] = {
    {"none", ButtonMode::None},
    {"trigger", ButtonMode::Trigger},
    {"toggle", ButtonMode::Toggle},
    {"momentary", ButtonMode::Momentary}};
const std::pair<const char*, Takeover> kTakeover[] = {
    {"jump", Takeover::Jump}, {"pickup", Takeover::Pickup}, {"scale", Takeover::Scale}};
const std::pair<const char*, TravelCurve> kCurve[] = {
    {"linear", TravelCurve::Linear},
    {"exponential", TravelCurve::Exponential},
    {"logarithmic", TravelCurve::Logarithmic},
    {"s_curve", TravelCurve::SCurve}};
const std::pair<const char*, MidiAction> kAction[] = {
    {"next_part", MidiAction::NextPart},       {"prev_part", MidiAction::PrevPart},
    {"next_song", MidiAction::NextSong},       {"prev_song", MidiAction::PrevSong},
    {"goto_song", MidiAction::GotoSong},       {"select_preset", MidiAction::SelectPreset},
    {"program_change", MidiAction::ProgramChange}, {"bank_select", MidiAction::BankSelect}};
}  // namespace

const char* relativeName(RelativeMode m) { return nameOf(m, kRelative); }
const char* buttonName(ButtonMode m) { return nameOf(m, kButton); }
const char* takeoverName(Takeover t) { return nameOf(t, kTakeover); }
const char* curveName(TravelCurve c) { return nameOf(c, kCurve); }
const char* actionName(MidiAction a) { return a == MidiAction::None ? "none" : nameOf(a, kAction); }
bool parseRelative(const char* s, RelativeMode& out) { return lookup(s, kRelative, out); }
bool parseButton(const char* s, ButtonMode& out) { return lookup(s, kButton, out); }
bool parseTakeover(const char* s, Takeover& out) { return lookup(s, kTakeover, out); }
bool parseCurve(const char* s, TravelCurve& out) { return lookup(s, kCurve, out); }
bool parseAction(const char* s, MidiAction& out) { return lookup(s, kAction, out); }

const char* noteName(int note, char (&buf)[8]) {
  static const char* names[] = {"C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"};
  note = std::clamp(note, 0, 127);
  std::snprintf(buf, sizeof buf, "%s%d", names[note % 12], note / 12 - 1);
  return buf;
}

bool sameControl(const MidiBinding& a, const MidiBinding& b) {
  return a.source == b.source && a.channel == b.channel &&
         (a.source == ControlSource::PitchBend || a.source == ControlSource::Aftertouch || a.number == b.number);
}

std::string describeSource(const MidiBinding& b) {
  char buf[96], nb[8];
  const std::string ch = b.channel < 0 ? "any channel" : "channel " + std::to_string(b.channel + 1);
  switch (b.source) {
    case ControlSource::Cc:
      std::snprintf(buf, sizeof buf, "CC %d%s%s", b.number,
                    b.relative != RelativeMode::Absolute ? " (relative, " : "",
                    b.relative != RelativeMode::Absolute ? relativeName(b.relative) : "");
      if (b.relative != RelativeMode::Absolute) std::strncat(buf, ")", sizeof buf - std::strlen(buf) - 1);
      break;
    case ControlSource::Cc14:
      std::snprintf(buf, sizeof buf, "14-bit CC %d/%d", b.number, b.number + 32);
      break;
    case ControlSource::Note:
      std::snprintf(buf, sizeof buf, "note %d (%s)", b.number, noteName(b.number, nb));
      break;
    case ControlSource::PitchBend: std::snprintf(buf, sizeof buf, "pitch bend"); break;
    case ControlSource::Aftertouch: std::snprintf(buf, sizeof buf, "channel aftertouch"); break;
  }
  return std::string(buf) + " on " + ch;
}

}  // namespace mm
