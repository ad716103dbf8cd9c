// MIDI decoding below the real ports: relative encoder modes, 14-bit pairs, travel curves,
// soft takeover, and the mapper turning messages into parameter values and set-list
// actions exactly as a mapping says.
#include <catch2/catch.hpp>

#include <cmath>
#include <utility>
#include <vector>

#include "ControlDecoding.h"
#include "MappingFile.h"
#include "MidiMapper.h"
#include "PickupFilter.h"

using namespace mm;

namespace {

MidiEvent cc(int ch, int n, int v, double t = 0.0) { return MidiEvent::make(t, uint8_t(0xB0 | (ch - 1)), uint8_t(n), uint8_t(v)); }
MidiEvent noteOn(int ch, int n, int vel) { return MidiEvent::make(0, uint8_t(0x90 | (ch - 1)), uint8_t(n), uint8_t(vel)); }
MidiEvent noteOff(int ch, int n) { return MidiEvent::make(0, uint8_t(0x80 | (ch - 1)), uint8_t(n), 0); }

// A mapper playing `toml` (which must load without errors) on a fresh registry.
struct Rig {
  std::unique_ptr<ParameterRegistry> reg = makeStandardRegistry(8);
  MidiMapper mapper{*reg};
  std::vector<std::pair<MidiAction, int>> actions;
  explicit Rig(const std::string& toml) {
    LoadReport report;
    auto map = parseMappingText("format = 1\n" + toml, "test.toml", *reg, report);
    INFO(report.text());
    REQUIRE(map);
    mapper.setMaps({*map});
    mapper.onAction = [this](MidiAction a, int v) { actions.emplace_back(a, v); };
  }
  float get(const char* id) const { return reg->getById(id); }
};

}  // namespace

TEST_CASE("relative encoder modes decode signed steps", "[midi]") {
  CHECK(decodeRelative(RelativeMode::TwosComplement, 1) == 1);
  CHECK(decodeRelative(RelativeMode::TwosComplement, 5) == 5);
  CHECK(decodeRelative(RelativeMode::TwosComplement, 127) == -1);
  CHECK(decodeRelative(RelativeMode::TwosComplement, 120) == -8);
  CHECK(decodeRelative(RelativeMode::SignMagnitude, 1) == 1);
  CHECK(decodeRelative(RelativeMode::SignMagnitude, 65) == -1);
  CHECK(decodeRelative(RelativeMode::SignMagnitude, 70) == -6);
  CHECK(decodeRelative(RelativeMode::BinaryOffset, 65) == 1);
  CHECK(decodeRelative(RelativeMode::BinaryOffset, 63) == -1);
  CHECK(decodeRelative(RelativeMode::BinaryOffset, 64) == 0);
  CHECK(decodeRelative(RelativeMode::Absolute, 65) == 0);
}

TEST_CASE("14-bit values, pitch bend and travel curves", "[midi]") {
  CHECK(combine14(0x7F, 0x7F) == 16383);
  CHECK(combine14(0x40, 0x00) == 8192);
  CHECK(combine14(1, 2) == 130);
  CHECK(position14(16383) == 1.f);
  for (TravelCurve c : {TravelCurve::Linear, TravelCurve::Exponential, TravelCurve::Logarithmic, TravelCurve::SCurve}) {
    CHECK(shapeTravel(c, 0.f) == Approx(0.f).margin(1e-6));
    CHECK(shapeTravel(c, 1.f) == Approx(1.f));
    float prev = -1.f;
    for (int i = 0; i <= 127; ++i) {  // monotonic: a control never goes backwards
      const float v = shapeTravel(c, i / 127.f);
      CHECK(v >= prev);
      prev = v;
    }
  }
  CHECK(shapeTravel(TravelCurve::Exponential, 0.5f) < 0.2f);   // fine control low down
  CHECK(shapeTravel(TravelCurve::Logarithmic, 0.5f) > 0.8f);   // fine control high up
  CHECK(shapeTravel(TravelCurve::SCurve, 0.5f) == Approx(0.5f));
}

TEST_CASE("pickup takes over only when the control meets or crosses the value", "[midi]") {
  PickupFilter p(Takeover::Pickup);
  const float tol = 0.5f / 127;
  CHECK_FALSE(p.next(0.9f, 0.5f, 0.f, 1.f, tol));  // far above: nothing
  CHECK_FALSE(p.next(0.7f, 0.5f, 0.f, 1.f, tol));  // still above
  auto v = p.next(0.3f, 0.5f, 0.f, 1.f, tol);      // crossed 0.5 on the way down
  REQUIRE(v);
  CHECK(*v == 0.3f);
  CHECK(*p.next(0.8f, 0.3f, 0.f, 1.f, tol) == 0.8f);  // engaged: follows
  p.arm();
  CHECK_FALSE(p.next(0.1f, 0.8f, 0.f, 1.f, tol));
  REQUIRE(p.next(0.8f + tol * 0.5f, 0.8f, 0.f, 1.f, tol));  // landing next to it counts
  // A value outside the mapping's range is met at the nearer end.
  PickupFilter q(Takeover::Pickup);
  CHECK_FALSE(q.next(0.5f, 0.95f, 0.2f, 0.8f, tol));
  CHECK(q.next(0.8f, 0.95f, 0.2f, 0.8f, tol));
}

TEST_CASE("scale takeover converges without a jump", "[midi]") {
  PickupFilter p(Takeover::Scale);
  const float tol = 0.5f / 127;
  float param = 0.5f;
  CHECK_FALSE(p.next(0.8f, param, 0.f, 1.f, tol));  // first move only sets the direction
  float control = 0.8f;
  float lastStep = 0.f;
  while (control < 1.f - 1e-6f) {
    control = std::min(1.f, control + 1.f / 127);
    auto v = p.next(control, param, 0.f, 1.f, tol);
    REQUIRE(v);
    CHECK(*v >= param);                     // moves the same way as the control
    lastStep = *v - param;
    CHECK(lastStep <= 3.f / 127);  // and never jumps
    param = *v;
  }
  CHECK(param == Approx(1.f));
  CHECK(p.engaged());
  (void)lastStep;
}

TEST_CASE("7-bit CC with range, invert and curve sets the parameter exactly", "[midi]") {
  Rig r(R"(
[[control]]
cc = 7
param = "mix.dry_wet"
takeover = "jump"
[[control]]
cc = 8
channel = 2
param = "output.gain"
range = [-24.0, 0.0]
invert = true
takeover = "jump"
[[control]]
cc = 9
param = "texture"
curve = "exponential"
takeover = "jump"
[[control]]
cc = 10
param = "lfo.1.rate"
takeover = "jump"
)");
  r.mapper.handle(cc(1, 7, 100));
  CHECK(r.get("mix.dry_wet") == Approx(100.f / 127));
  r.mapper.handle(cc(1, 8, 127));  // wrong channel: ignored
  CHECK(r.get("output.gain") == 0.f);
  r.mapper.handle(cc(2, 8, 127));  // inverted: the top of the knob is the bottom of the range
  CHECK(r.get("output.gain") == Approx(-24.f));
  r.mapper.handle(cc(2, 8, 0));
  CHECK(r.get("output.gain") == Approx(0.f).margin(1e-5));
  r.mapper.handle(cc(1, 9, 64));
  CHECK(r.get("texture") == Approx(shapeTravel(TravelCurve::Exponential, 64.f / 127)));
  // An exponential parameter stays exponential: half way is the geometric middle.
  r.mapper.handle(cc(1, 10, 127));
  CHECK(r.get("lfo.1.rate") == Approx(10.f));
  r.mapper.handle(cc(1, 10, 0));
  CHECK(r.get("lfo.1.rate") == Approx(0.1f));
  r.mapper.handle(cc(1, 10, 64));
  CHECK(r.get("lfo.1.rate") == Approx(0.1f * std::pow(100.f, 64.f / 127)));
}

TEST_CASE("14-bit pairs: MSB waits for its LSB, LSB alone keeps the MSB, MSB alone applies after 10 ms",
          "[midi]") {
  Rig r(R"(
[[control]]
cc14 = 1
param = "energy"
takeover = "jump"
)");
  r.mapper.handle(cc(1, 1, 100, 0.000));
  CHECK(r.get("energy") == Approx(kNeutralEnergy));  // not yet: the LSB is on its way
  r.mapper.handle(cc(1, 33, 50, 0.0001));
  CHECK(r.get("energy") == Approx((100 * 128 + 50) / 16383.f));
  r.mapper.handle(cc(1, 33, 0, 0.1));
  CHECK(r.get("energy") == Approx((100 * 128) / 16383.f));
  r.mapper.handle(cc(1, 1, 20, 0.2));
  r.mapper.flush(0.205);
  CHECK(r.get("energy") == Approx((100 * 128) / 16383.f));  // 5 ms: still waiting
  r.mapper.flush(0.211);
  CHECK(r.get("energy") == Approx((20 * 128) / 16383.f));   // coarse-only controller
}

TEST_CASE("relative encoders step from the current value in every mode", "[midi]") {
  Rig r(R"(
[[control]]
cc = 16
relative = "twos_complement"
step = 0.01
param = "texture"
[[control]]
cc = 17
relative = "sign_magnitude"
param = "pattern.slot"
[[control]]
cc = 18
relative = "binary_offset"
step = 0.05
param = "style.amount"
[[control]]
cc = 19
relative = "twos_complement"
param = "bpm"
step = 0.00625
)");
  for (int i = 0; i < 3; ++i) r.mapper.handle(cc(1, 16, 1));
  CHECK(r.get("texture") == Approx(0.03f));
  r.mapper.handle(cc(1, 16, 127));
  CHECK(r.get("texture") == Approx(0.02f));
  r.mapper.handle(cc(1, 16, 126));  // -2, clamped at the bottom of the range
  r.mapper.handle(cc(1, 16, 126));
  CHECK(r.get("texture") == 0.f);
  // Stepped parameter: one detent, one step (default step).
  r.mapper.handle(cc(1, 17, 2));
  CHECK(r.get("pattern.slot") == 2.f);
  r.mapper.handle(cc(1, 17, 65));
  CHECK(r.get("pattern.slot") == 1.f);
  r.mapper.handle(cc(1, 18, 66));
  CHECK(r.get("style.amount") == Approx(0.10f));
  r.mapper.handle(cc(1, 18, 63));
  CHECK(r.get("style.amount") == Approx(0.05f));
  // Continues from a value set elsewhere (the UI, a preset).
  r.reg->setById("bpm", 100.f);
  r.mapper.handle(cc(1, 19, 1));  // 160 BPM range * 0.00625 = 1 BPM per step
  CHECK(r.get("bpm") == Approx(101.f));
}

TEST_CASE("notes as trigger, toggle and momentary, velocity, CC buttons", "[midi]") {
  Rig r(R"(
[[control]]
note = 36
mode = "toggle"
param = "source.prior"
[[control]]
note = 37
param = "hit.amount"
[[control]]
note = 38
mode = "trigger"
param = "pattern.slot"
value = 5
[[control]]
note = 39
velocity = true
param = "chaos"
[[control]]
cc = 64
mode = "toggle"
param = "lfo.1.sync"
)");
  r.mapper.handle(noteOn(1, 36, 100));
  CHECK(r.get("source.prior") == 1.f);
  r.mapper.handle(noteOff(1, 36));
  CHECK(r.get("source.prior") == 1.f);
  r.mapper.handle(noteOn(1, 36, 100));
  CHECK(r.get("source.prior") == 0.f);
  r.mapper.handle(noteOn(1, 37, 90));  // momentary is the default for notes
  CHECK(r.get("hit.amount") == 1.f);
  r.mapper.handle(noteOn(1, 37, 0));   // note-on with velocity 0 is a release
  CHECK(r.get("hit.amount") == 0.f);
  r.mapper.handle(noteOn(1, 38, 10));
  CHECK(r.get("pattern.slot") == 5.f);
  r.mapper.handle(noteOff(1, 38));
  CHECK(r.get("pattern.slot") == 5.f);
  r.mapper.handle(noteOn(1, 39, 64));
  CHECK(r.get("chaos") == Approx(64.f / 127));
  r.mapper.handle(noteOff(1, 39));
  CHECK(r.get("chaos") == 0.f);
  r.mapper.handle(cc(1, 64, 127));
  CHECK(r.get("lfo.1.sync") == 1.f);
  r.mapper.handle(cc(1, 64, 0));
  CHECK(r.get("lfo.1.sync") == 1.f);
  r.mapper.handle(cc(1, 64, 127));
  CHECK(r.get("lfo.1.sync") == 0.f);
}

TEST_CASE("pitch bend and channel aftertouch", "[midi]") {
  Rig r(R"(
[[control]]
pitchbend = true
param = "dim.1"
range = [-1.5, 1.5]
[[control]]
aftertouch = true
param = "source.pattern"
)");
  r.mapper.handle(MidiEvent::make(0, 0xE0, 0x7F, 0x7F));
  CHECK(r.get("dim.1") == Approx(1.5f));
  r.mapper.handle(MidiEvent::make(0, 0xE0, 0x00, 0x40));  // centre
  CHECK(r.get("dim.1") == Approx(-1.5f + 3.f * 8192.f / 16383.f));
  r.mapper.handle(MidiEvent::make(0, 0xD0, 64, 0, 2));
  CHECK(r.get("source.pattern") == Approx(64.f / 127));
}

TEST_CASE("program change and bank select become set-list actions", "[midi]") {
  Rig r(R"(
[[control]]
note = 40
action = "next_part"
[[control]]
cc = 80
action = "goto_song"
value = 3
)");
  r.mapper.handle(cc(1, 0, 2));
  r.mapper.handle(cc(1, 32, 1));
  r.mapper.handle(MidiEvent::make(0, 0xC0, 5, 0, 2));
  r.mapper.handle(noteOn(1, 40, 100));
  r.mapper.handle(noteOff(1, 40));
  r.mapper.handle(cc(1, 80, 127));
  r.mapper.handle(cc(1, 80, 0));
  const std::vector<std::pair<MidiAction, int>> want = {{MidiAction::BankSelect, 256},
                                                        {MidiAction::BankSelect, 257},
                                                        {MidiAction::ProgramChange, 5},
                                                        {MidiAction::NextPart, 0},
                                                        {MidiAction::GotoSong, 3}};
  CHECK(r.actions == want);
}

TEST_CASE("CC 0 bound as a control (nanoKONTROL2 fader 1) is not bank select", "[midi]") {
  Rig r(R"(
[[control]]
cc = 0
param = "dim.0"
takeover = "jump"
)");
  r.mapper.handle(cc(1, 0, 127));
  CHECK(r.actions.empty());
  CHECK(r.get("dim.0") == Approx(3.f));
  Rig off("program_change = false\nbank_select = false\n");
  off.mapper.handle(cc(1, 0, 2));
  off.mapper.handle(MidiEvent::make(0, 0xC0, 5, 0, 2));
  CHECK(off.actions.empty());
}

TEST_CASE("pickup: no jump, takeover on crossing, re-armed by outside changes and by rearmPickup", "[midi]") {
  Rig r(R"(
[[control]]
cc = 20
param = "chaos"
)");
  r.reg->setById("chaos", 0.5f);
  r.mapper.handle(cc(1, 20, 127));
  r.mapper.handle(cc(1, 20, 100));
  CHECK(r.get("chaos") == 0.5f);  // the knob is far away: nothing happens
  CHECK(r.mapper.waitingForPickup(r.reg->indexOf("chaos")));
  r.mapper.handle(cc(1, 20, 30));  // swept through 0.5: takes over
  CHECK(r.get("chaos") == Approx(30.f / 127));
  r.mapper.handle(cc(1, 20, 40));
  CHECK(r.get("chaos") == Approx(40.f / 127));
  CHECK_FALSE(r.mapper.waitingForPickup(r.reg->indexOf("chaos")));
  // A preset (or the UI, or OSC) sets the value: the knob must meet it again.
  r.reg->setById("chaos", 0.9f);
  r.mapper.handle(cc(1, 20, 41));
  CHECK(r.get("chaos") == 0.9f);
  r.mapper.handle(cc(1, 20, 127));
  CHECK(r.get("chaos") == 1.f);
  // rearmPickup (called after a preset change) even when the value happens to be the same.
  r.mapper.rearmPickup();
  r.mapper.handle(cc(1, 20, 10));
  CHECK(r.get("chaos") == 1.f);
}

TEST_CASE("a map that names a port hears only that port", "[midi]") {
  Rig r(R"(
port = "nanoKONTROL2"
[[control]]
cc = 7
param = "texture"
takeover = "jump"
)");
  r.mapper.setPortNames({"mmtester:out", "a2j:nanoKONTROL2 [20] (capture): nanoKONTROL2 MIDI 1"});
  MidiEvent e = cc(1, 7, 127);
  e.port = 0;
  r.mapper.handle(e);
  CHECK(r.get("texture") == 0.f);
  e.port = 1;
  r.mapper.handle(e);
  CHECK(r.get("texture") == 1.f);
}
