// Recorded MIDI performances: the Standard MIDI File reader (timing through tempo changes,
// running status, format 1, SMPTE; broken files named with the byte), the player's
// per-block timing, and `musicmill render --midi --mapping` end to end: the performance
// changes the sound where it says, and renders bit-identically twice.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>

#include "AudioFile.h"
#include "JackHarness.h"
#include "MappingFile.h"
#include "MidiFilePlayer.h"
#include "MidiTestSupport.h"
#include "StandardMidiFile.h"
#include "TestSupport.h"

using namespace mm;
using namespace mmtest;

TEST_CASE("MIDI file: ticks to seconds through tempo changes, running status, two tracks", "[midi]") {
  // 480 PPQ. Track 0: tempo 120 at 0, tempo 60 at beat 2. Track 1: CCs at beats 0, 1, 3.
  const auto bytes = makeSmf(1, 480,
                             {{tempoEvent(0, 120.0), tempoEvent(960, 60.0)},
                              {{0, {0xB0, 7, 10}}, {480, {0xB0, 7, 20}}, {1440, {0xB0, 7, 30}},
                               {1440, {0x90, 36, 100}}}},
                             true);
  const MidiFileData d = parseMidiFile(bytes, "perf.mid");
  CHECK(d.format == 1);
  CHECK(d.tracks == 2);
  REQUIRE(d.events.size() == 4);
  CHECK(d.events[0].time == Approx(0.0));
  CHECK(d.events[1].time == Approx(0.5));   // beat 1 at 120 BPM
  CHECK(d.events[2].time == Approx(2.0));   // beats 0-2 take 1 s, beat 2-3 takes 1 s at 60 BPM
  CHECK(d.events[2].bytes[2] == 30);        // running status kept the 0xB0
  CHECK(d.events[3].kind() == midi::NoteOn);
  CHECK(d.events[3].port == 1);             // the track it came from
  CHECK(d.duration == Approx(2.0));
}

TEST_CASE("MIDI file: SMPTE timing and sysex skipped", "[midi]") {
  auto bytes = makeSmf(0, 0, {{{0, {0xF0, 0x03, 0x7E, 0x01, 0xF7}}, {50, {0xB0, 1, 64}}}}, false);
  bytes[12] = static_cast<uint8_t>(-25);  // 25 frames per second
  bytes[13] = 40;                         // 40 ticks per frame: 1000 ticks per second
  const MidiFileData d = parseMidiFile(bytes, "smpte.mid");
  REQUIRE(d.events.size() == 1);
  CHECK(d.events[0].time == Approx(0.05));
}

TEST_CASE("MIDI file: broken files say which byte and what is wrong", "[midi]") {
  CHECK_THROWS_WITH(parseMidiFile({'R', 'I', 'F', 'F', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "x.mid"),
                    Catch::Contains("x.mid: byte 0: it does not start with a MIDI header"));
  auto good = makeSmf(0, 96, {{{0, {0xB0, 1, 2}}, {10, {0xB0, 1, 3}}}});
  auto truncated = std::vector<uint8_t>(good.begin(), good.end() - 5);
  CHECK_THROWS_WITH(parseMidiFile(truncated, "t.mid"), Catch::Contains("runs past the end of the file (truncated?)"));
  auto badData = good;
  badData[22 + 2] = 0x85;  // a data byte with its top bit set (first event's controller number)
  CHECK_THROWS_WITH(parseMidiFile(badData, "d.mid"), Catch::Contains("d.mid: byte 24: a data byte has its top bit set"));
  CHECK_THROWS_WITH(readMidiFile(tempDir() + "/missing.mid"), Catch::Contains("cannot open the MIDI file"));
}

TEST_CASE("MIDI file player applies each event at the first block at or after it", "[midi]") {
  auto reg = makeStandardRegistry(4);
  LoadReport report;
  auto map = parseMappingText("format = 1\n[[control]]\ncc = 7\nparam = \"texture\"\ntakeover = \"jump\"\n", "m.toml",
                              *reg, report);
  REQUIRE(map);
  std::vector<MidiEvent> events = {MidiEvent::make(0.10, 0xB0, 7, 127), MidiEvent::make(0.25, 0xB0, 7, 0)};
  MidiFilePlayer player(*reg, {*map}, events);
  player.advanceTo(0.0);
  CHECK(reg->getById("texture") == 0.f);
  player.advanceTo(0.0999);
  CHECK(reg->getById("texture") == 0.f);
  player.advanceTo(0.10);
  CHECK(reg->getById("texture") == 1.f);
  player.advanceTo(0.2499);
  CHECK(reg->getById("texture") == 1.f);
  player.advanceTo(0.30);
  CHECK(reg->getById("texture") == 0.f);
  CHECK(player.applied() == 2);
}

TEST_CASE("render --midi --mapping: the performance lands where it says, bit-identical twice", "[midi]") {
  const std::string dir = tempDir();
  // 2 s of a steady sine; the identity model passes it through with energy scaling the
  // latents, so the output level follows energy (scale 0.3 + 1.7 * energy).
  AudioBuffer in;
  in.sampleRate = 44100;
  in.channels = 1;
  in.samples = sine(441.0, 44100, 2.0, 0.25f);
  writeWav(dir + "/in.wav", in);
  writeText(dir + "/map.toml", "format = 1\n[[control]]\ncc14 = 1\nparam = \"energy\"\ntakeover = \"jump\"\n");
  // 120 BPM, 480 PPQ: energy to 1.0 (14-bit 16383) at beat 2 = 1.0 s.
  writeBytes(dir + "/perf.mid", makeSmf(0, 480, {{tempoEvent(0, 120.0), {960, {0xB0, 1, 127}}, {960, {0xB0, 33, 127}}}}));
  const std::string common = binary() + " render --in " + dir + "/in.wav --model " + fixture("identity_44k.ts") +
                             " --set energy=0 --set mix.dry_wet=1 --midi " + dir + "/perf.mid --mapping " + dir +
                             "/map.toml --out ";
  const auto a = runCommand(common + dir + "/a.wav");
  INFO(a.output);
  REQUIRE(a.status == 0);
  const auto b = runCommand(common + dir + "/b.wav");
  REQUIRE(b.status == 0);
  const AudioBuffer outA = readAudioFile(dir + "/a.wav"), outB = readAudioFile(dir + "/b.wav");
  REQUIRE(outA.samples.size() == in.samples.size());
  CHECK(outA.samples == outB.samples);  // bit-identical

  // Before 1 s the level is 0.3x the input; from 1 s (plus the 40 ms smoothing) it is 2x.
  const auto x = downmix(outA);
  const double before = rms(x, 22050, 42000), after = rms(x, 52000, 86000);
  const double input = rms(in.samples, 22050, 42000);
  CHECK(before / input == Approx(0.3).margin(0.03));
  CHECK(after / input == Approx(2.0).margin(0.1));
  // Nothing of the change shows before the block that starts at 1.0 s.
  CHECK(rms(x, 42000, 44000) / input == Approx(0.3).margin(0.03));

  // Without the performance, the same render stays at 0.3x throughout.
  const auto plain = runCommand(binary() + " render --in " + dir + "/in.wav --model " + fixture("identity_44k.ts") +
                                " --set energy=0 --out " + dir + "/c.wav");
  REQUIRE(plain.status == 0);
  CHECK(rms(downmix(readAudioFile(dir + "/c.wav")), 52000, 86000) / input == Approx(0.3).margin(0.03));
}

TEST_CASE("render --midi with a broken mapping or MIDI file refuses and writes nothing", "[midi]") {
  const std::string dir = tempDir();
  AudioBuffer in;
  in.sampleRate = 44100;
  in.channels = 1;
  in.samples = sine(441.0, 44100, 0.5, 0.25f);
  writeWav(dir + "/in.wav", in);
  writeBytes(dir + "/perf.mid", makeSmf(0, 480, {{{0, {0xB0, 7, 127}}}}));
  writeText(dir + "/bad.toml", "format = 1\n\n[[control]]\ncc = 7\nparam = \"energi\"\n");
  const std::string base = binary() + " render --in " + dir + "/in.wav --model " + fixture("identity_44k.ts") +
                           " --out " + dir + "/out.wav";
  auto r = runCommand(base + " --midi " + dir + "/perf.mid --mapping " + dir + "/bad.toml");
  CHECK(r.status == 2);
  CHECK(r.output.find(dir + "/bad.toml:5: error: there is no parameter \"energi\"") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir + "/out.wav"));
  writeText(dir + "/good.toml", "format = 1\n[[control]]\ncc = 7\nparam = \"energy\"\n");
  writeText(dir + "/notmidi.mid", "hello");
  r = runCommand(base + " --midi " + dir + "/notmidi.mid --mapping " + dir + "/good.toml");
  CHECK(r.status == 2);
  CHECK(r.output.find("notmidi.mid: byte 0: it does not start with a MIDI header") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir + "/out.wav"));
  r = runCommand(base + " --midi " + dir + "/perf.mid");
  CHECK(r.status == 2);
  CHECK(r.output.find("--midi needs --mapping") != std::string::npos);
}

namespace {
// Level in dB of a piece of a rendered file, against the input's level.
double relativeDb(const std::vector<float>& out, const std::vector<float>& in, size_t from, size_t to) {
  return 20.0 * std::log10(std::max(1e-9, rms(out, from, to)) / rms(in, from, to));
}
}  // namespace

TEST_CASE("render: a change at 1 s (MIDI CC, ccN route, --set @SECONDS) changes only what follows 1 s",
          "[midi][render]") {
  const std::string dir = tempDir();
  AudioBuffer in;
  in.sampleRate = 44100;
  in.channels = 1;
  in.samples = sine(441.0, 44100, 2.0, 0.25f);
  writeWav(dir + "/in.wav", in);
  // 120 BPM, 480 PPQ: CC 8 and CC 21 go 0 -> 127 at beat 2 = 1.0 s (both at 0 from the start).
  writeBytes(dir + "/perf.mid", makeSmf(0, 480, {{tempoEvent(0, 120.0), {0, {0xB0, 8, 0}}, {0, {0xB0, 21, 0}},
                                                  {960, {0xB0, 8, 127}}, {960, {0xB0, 21, 127}}}}));
  writeText(dir + "/map.toml", "format = 1\n[[control]]\ncc = 8\nparam = \"output.gain\"\nrange = [0.0, -40.0]\n"
                               "takeover = \"jump\"\n");
  writeText(dir + "/none.toml", "format = 1\n[[control]]\ncc = 7\nparam = \"chaos\"\n");
  const std::string base = binary() + " render --in " + dir + "/in.wav --model " + fixture("identity_44k.ts") +
                           " --set mix.dry_wet=1 --set gate.threshold=-90 ";
  struct Case {
    const char* name;
    std::string args;
    double afterDb;  // the level from 1 s on
  };
  const Case c = GENERATE_COPY(
      Case{"a mapped CC on output.gain", "--midi " + dir + "/perf.mid --mapping " + dir + "/map.toml", -40.0},
      Case{"a ccN modulation route",
           "--midi " + dir + "/perf.mid --mapping " + dir + "/none.toml --mod 'cc21>output.gain:-40'", -40.0},
      Case{"--set output.gain=-40@1", "--set output.gain=-40@1", -40.0},
      Case{"--set input.gain=-20@1.0s", "--set input.gain=-20@1.0s", -20.0});
  INFO(c.name);
  const auto r = runCommand(base + c.args + " --out " + dir + "/out.wav");
  INFO(r.output);
  REQUIRE(r.status == 0);
  const auto out = downmix(readAudioFile(dir + "/out.wav"));
  REQUIRE(out.size() == in.samples.size());
  // Before 1 s: untouched (0 dB), right up to the piece before it. From 1 s on (after the
  // 20 ms gain smoothing): down as asked.
  CHECK(relativeDb(out, in.samples, 4410, 44100 - 256) == Approx(0.0).margin(0.5));
  CHECK(relativeDb(out, in.samples, 44100 + 4410, 88200) == Approx(c.afterDb).margin(1.0));
}

TEST_CASE("render --set with a time: a bad time or a time live is refused clearly", "[render]") {
  const std::string dir = tempDir();
  AudioBuffer in;
  in.sampleRate = 44100;
  in.channels = 1;
  in.samples = sine(441.0, 44100, 0.3, 0.25f);
  writeWav(dir + "/in.wav", in);
  const std::string base = binary() + " render --in " + dir + "/in.wav --model " + fixture("identity_44k.ts") +
                           " --out " + dir + "/out.wav ";
  auto r = runCommand(base + "--set energy=0.5@soon");
  CHECK(r.status == 2);
  CHECK(r.output.find("'soon' is not a time in seconds") != std::string::npos);
  r = runCommand(base + "--set energi=0.5@1");
  CHECK(r.status == 2);
  CHECK(r.output.find("energi") != std::string::npos);
  r = runCommand(base + "--set energy=7@1");
  CHECK(r.status == 2);
  CHECK_FALSE(std::filesystem::exists(dir + "/out.wav"));
  r = runCommand(binary() + " perform --headless --duration 1 --model " + fixture("identity_44k.ts") +
                 " --set energy=0.5@1");
  CHECK(r.status == 2);
  CHECK(r.output.find("a time (@SECONDS) is for render") != std::string::npos);
}
