// MIDI learn's recognition of "the next control moved": what kind of control it is
// decides how it will be read, so a wrong guess would make a knob behave wrongly live.
#include <catch2/catch.hpp>

#include "MidiLearn.h"

using namespace mm;

namespace {
MidiEvent cc(int n, int v, double t, int ch = 1) { return MidiEvent::make(t, uint8_t(0xB0 | (ch - 1)), uint8_t(n), uint8_t(v)); }

// Feeds (cc number, value) pairs 20 ms apart starting at t = 10 s; returns the result
// after the settle time.
MidiBinding learnFrom(const std::vector<std::pair<int, int>>& msgs) {
  MidiLearnDetector d;
  double t = 10.0;
  for (auto [n, v] : msgs) {
    d.feed(cc(n, v, t));
    t += 0.02;
  }
  auto r = d.result(10.0 + 0.2);
  CHECK_FALSE(r);  // a CC waits for the settle time
  r = d.result(10.0 + 1.0);
  REQUIRE(r);
  return *r;
}
}  // namespace

TEST_CASE("learn recognises an ordinary knob", "[midi]") {
  const MidiBinding b = learnFrom({{21, 60}, {21, 61}, {21, 63}, {21, 64}});
  CHECK(b.source == ControlSource::Cc);
  CHECK(b.number == 21);
  CHECK(b.channel == 0);
  CHECK(b.relative == RelativeMode::Absolute);
  CHECK(b.button == ButtonMode::None);
}

TEST_CASE("learn recognises a 14-bit pair from its LSB partner", "[midi]") {
  const MidiBinding b = learnFrom({{1, 60}, {33, 10}, {1, 60}, {33, 90}});
  CHECK(b.source == ControlSource::Cc14);
  CHECK(b.number == 1);
}

TEST_CASE("learn recognises relative encoders and their mode", "[midi]") {
  CHECK(learnFrom({{16, 1}, {16, 1}, {16, 1}, {16, 2}}).relative == RelativeMode::TwosComplement);
  CHECK(learnFrom({{16, 127}, {16, 127}, {16, 127}}).relative == RelativeMode::TwosComplement);
  CHECK(learnFrom({{16, 65}, {16, 65}, {16, 65}}).relative == RelativeMode::BinaryOffset);
  CHECK(learnFrom({{16, 63}, {16, 63}, {16, 62}}).relative == RelativeMode::BinaryOffset);
}

TEST_CASE("learn recognises CC buttons, notes, pitch bend and aftertouch", "[midi]") {
  CHECK(learnFrom({{46, 127}, {46, 0}}).button == ButtonMode::Momentary);
  MidiLearnDetector d;
  d.feed(MidiEvent::make(1.0, 0x80, 36, 0));  // a note off is no control
  CHECK_FALSE(d.result(5.0));
  d.feed(MidiEvent::make(1.0, 0x99, 38, 100));
  auto note = d.result(1.0);  // no settle time for notes
  REQUIRE(note);
  CHECK(note->source == ControlSource::Note);
  CHECK(note->number == 38);
  CHECK(note->channel == 9);
  MidiLearnDetector pb;
  pb.feed(MidiEvent::make(1.0, 0xE2, 0, 70));
  REQUIRE(pb.result(1.0));
  CHECK(pb.result(1.0)->source == ControlSource::PitchBend);
  CHECK(pb.result(1.0)->channel == 2);
  MidiLearnDetector at;
  at.feed(MidiEvent::make(1.0, 0xD0, 50, 0, 2));
  REQUIRE(at.result(1.0));
  CHECK(at.result(1.0)->source == ControlSource::Aftertouch);
}

TEST_CASE("learned bindings suit their parameter", "[midi]") {
  auto reg = makeStandardRegistry(4);
  MidiBinding note;
  note.source = ControlSource::Note;
  note.number = 36;
  CHECK(learnedBinding(note, *reg, reg->indexOf("lfo.1.sync")).button == ButtonMode::Toggle);
  CHECK(learnedBinding(note, *reg, reg->indexOf("chaos")).button == ButtonMode::Momentary);
  MidiBinding knob;
  knob.number = 7;
  const MidiBinding k = learnedBinding(knob, *reg, reg->indexOf("bpm"));
  CHECK(k.takeover == Takeover::Pickup);
  CHECK(k.lo == 40.f);
  CHECK(k.hi == 200.f);
  const MidiBinding a = learnedAction(note, MidiAction::NextSong, 0);
  CHECK(a.action == MidiAction::NextSong);
  CHECK(a.paramIndex == -1);
}
