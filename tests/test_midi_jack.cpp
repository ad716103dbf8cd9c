// MIDI control end to end: a controller on a private JACK server (a JACK MIDI port made
// with RtMidi) plays the running instrument (`musicmill perform --headless --audio-api
// jack --mapping ...`), and the parameters are observed through OSC queries and the
// --report JSON. Every kind of control, pickup, program change, learn, reconnection,
// clock in/out, and broken mapping files.
#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <future>
#include <mutex>

#include "JackHarness.h"
#include "MappingFile.h"
#include "MidiClockOut.h"
#include "MidiTestSupport.h"
#include "Parameters.h"
#include "TestSupport.h"

using namespace mm;
using namespace mmtest;

namespace {

// The instrument on the delay fixture (64 latent dims), hearing the test's controller.
struct LiveRig {
  JackServer server{44100, 256};
  std::string dir = tempDir();
  std::string mapping = dir + "/map.toml", report = dir + "/report.json";
  int oscPort = freeUdpPort();
  std::unique_ptr<JackMidiSender> controller;
  std::unique_ptr<MusicmillProcess> mm;
  std::unique_ptr<OscProbe> osc;
  std::unique_ptr<ParameterRegistry> reg = makeStandardRegistry(64);  // same ids/curves as the instrument's

  LiveRig(const std::string& mappingText, const std::string& extra) {
    REQUIRE(server.ok());
    writeText(mapping, mappingText);
    controller = std::make_unique<JackMidiSender>("mmtester");
    mm = std::make_unique<MusicmillProcess>(
        "perform --headless --audio-api jack --no-connect --no-autosave --model " + fixture("delay_44k.ts") +
        " --midi-api jack --midi-in mmtester --mapping " + mapping + " --osc-port " + std::to_string(oscPort) +
        " --report " + report + " " + extra);
    const bool up = mm->waitForPorts(120);
    INFO(mm->output());
    REQUIRE(up);
    REQUIRE(waitUntil([] { return jackPortConnected("mmtester:out"); }, 10));
    osc = std::make_unique<OscProbe>(oscPort);
    osc->send("/musicmill/ping", lo_message_new());
    REQUIRE(osc->waitFor("/musicmill/pong", 10));
  }
  double value(const std::string& id) {
    auto v = osc->get(id);
    REQUIRE(v);
    return *v;
  }
  // CC 7 drives mix.dry_wet with takeover jump in every mapping here: a fence. Once it
  // shows, every message sent before it has been handled (one port, handled in order).
  void fence(int v) {
    controller->cc(1, 7, v);
    CHECK(osc->waitValue("mix.dry_wet", v / 127.0) == Approx(v / 127.0));
  }
  float norm(const char* id, float n) const { return reg->fromNormalized(reg->indexOf(id), n); }
};

// Opens `in` on the output port named `source`; false when there is none.
bool listenTo(RtMidiIn& in, const std::string& source) {
  for (unsigned i = 0; i < in.getPortCount(); ++i)
    if (in.getPortName(i) == source) {
      in.openPort(i, "in");
      return true;
    }
  return false;
}

const char* kFullMapping = R"(format = 1
name = "end to end"
channel = 1

[[control]]
cc = 7
param = "mix.dry_wet"
takeover = "jump"

[[control]]
cc = 8
param = "output.gain"
range = [-24.0, 0.0]
invert = true
takeover = "jump"

[[control]]
cc14 = 1
param = "energy"
takeover = "jump"

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
cc = 20
param = "chaos"

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
param = "style.blend"
value = 0.25

[[control]]
pitchbend = true
param = "dim.1"
range = [-1.5, 1.5]

[[control]]
aftertouch = true
param = "source.pattern"

[[control]]
note = 40
action = "next_part"
)";

}  // namespace

TEST_CASE("every kind of control drives its parameter exactly as mapped", "[midi][jack]") {
  LiveRig r(kFullMapping, "--set chaos=0.5");
  auto& c = *r.controller;

  // 7-bit CC, full range.
  c.cc(1, 7, 100);
  CHECK(r.osc->waitValue("mix.dry_wet", 100 / 127.0) == Approx(100 / 127.0));
  // Range and invert: the top of the knob is the bottom of [-24, 0] dB.
  c.cc(1, 8, 127);
  CHECK(r.osc->waitValue("output.gain", -24.0, 1e-4) == Approx(-24.0));
  c.cc(1, 8, 32);
  const float gain = r.reg->fromNormalized(r.reg->indexOf("output.gain"),
                                           r.reg->toNormalized(r.reg->indexOf("output.gain"), -24.f) +
                                               (1.f - 32.f / 127) * (r.reg->toNormalized(r.reg->indexOf("output.gain"), 0.f) -
                                                                      r.reg->toNormalized(r.reg->indexOf("output.gain"), -24.f)));
  CHECK(r.osc->waitValue("output.gain", gain, 1e-4) == Approx(gain));
  // The same CC on another channel is another control: nothing.
  c.cc(2, 8, 0);
  r.fence(101);
  CHECK(r.value("output.gain") == Approx(gain));

  // 14-bit pair: MSB then LSB; then the LSB alone.
  c.cc(1, 1, 100);
  c.cc(1, 33, 50);
  CHECK(r.osc->waitValue("energy", (100 * 128 + 50) / 16383.0) == Approx((100 * 128 + 50) / 16383.0));
  c.cc(1, 33, 0);
  CHECK(r.osc->waitValue("energy", (100 * 128) / 16383.0) == Approx((100 * 128) / 16383.0));

  // Relative encoders in all three modes.
  for (int i = 0; i < 3; ++i) c.cc(1, 16, 1);
  c.cc(1, 16, 127);
  CHECK(r.osc->waitValue("texture", 0.02) == Approx(0.02));
  c.cc(1, 17, 2);
  c.cc(1, 17, 65);
  r.fence(102);
  CHECK(r.value("pattern.slot") == 1.0);
  c.cc(1, 18, 66);
  c.cc(1, 18, 63);
  r.fence(103);
  CHECK(r.value("style.amount") == Approx(0.05));

  // Notes: toggle, momentary (the default), trigger with its value.
  c.noteOn(1, 36, 100);
  c.noteOff(1, 36);
  r.fence(104);
  CHECK(r.value("source.prior") == 1.0);
  c.noteOn(1, 36, 100);
  r.fence(105);
  CHECK(r.value("source.prior") == 0.0);
  c.noteOn(1, 37, 90);
  r.fence(106);
  CHECK(r.value("hit.amount") == 1.0);
  c.noteOff(1, 37);
  r.fence(107);
  CHECK(r.value("hit.amount") == 0.0);
  c.noteOn(1, 38, 90);
  r.fence(108);
  CHECK(r.value("style.blend") == 0.25);

  // Pitch bend (14-bit) and channel aftertouch.
  c.send({0xE0, 0x7F, 0x7F});
  CHECK(r.osc->waitValue("dim.1", 1.5, 1e-5) == Approx(1.5));
  c.send({0xE0, 0x00, 0x40});
  const double centre = -1.5 + 3.0 * 8192.0 / 16383.0;
  CHECK(r.osc->waitValue("dim.1", centre, 1e-5) == Approx(centre).margin(1e-5));
  c.send({0xD0, 64});
  CHECK(r.osc->waitValue("source.pattern", 64 / 127.0) == Approx(64 / 127.0));

  // Pickup: chaos starts at 0.5 (--set); the knob far away does nothing...
  c.cc(1, 20, 127);
  c.cc(1, 20, 100);
  r.fence(109);
  CHECK(r.value("chaos") == 0.5);
  // ...until it sweeps through 0.5, then it follows.
  c.cc(1, 20, 30);
  CHECK(r.osc->waitValue("chaos", 30 / 127.0) == Approx(30 / 127.0));
  c.cc(1, 20, 40);
  CHECK(r.osc->waitValue("chaos", 40 / 127.0) == Approx(40 / 127.0));
  // Set elsewhere (OSC, as a preset or the UI would): the knob has to meet it again.
  r.osc->sendFloat("/musicmill/param/chaos", 0.9f);
  CHECK(r.osc->waitValue("chaos", 0.9) == Approx(0.9));
  c.cc(1, 20, 41);
  r.fence(110);
  CHECK(r.value("chaos") == Approx(0.9));
  c.cc(1, 20, 127);
  CHECK(r.osc->waitValue("chaos", 1.0) == Approx(1.0));

  // Program change with bank select, and a pad bound to "next part": set-list navigation.
  c.cc(1, 0, 2);
  c.send({0xC0, 5});
  c.noteOn(1, 40, 100);
  // After a program change the knobs pick up again: chaos (now 1.0) stays where it is.
  c.cc(1, 20, 10);
  r.fence(111);
  CHECK(r.value("chaos") == 1.0);

  const int status = r.mm->stop();
  const std::string out = r.mm->output();
  INFO(out);
  CHECK(status == 0);
  CHECK(out.find("MIDI: connected mmtester:out") != std::string::npos);
  CHECK(out.find("MIDI: bank select 256") != std::string::npos);
  CHECK(out.find("MIDI: program change 5") != std::string::npos);
  CHECK(out.find("MIDI: next part") != std::string::npos);
  // The report holds the final values: the ones the controller left.
  const std::string rep = readFile(r.report);
  CHECK(jsonNumber(rep, "texture") == Approx(0.02));
  CHECK(jsonNumber(rep, "pattern.slot") == 1.0);
  CHECK(jsonNumber(rep, "energy") == Approx((100 * 128) / 16383.0));
  CHECK(jsonNumber(rep, "chaos") == 1.0);
  CHECK(jsonNumber(rep, "style.blend") == 0.25);
  CHECK(jsonNumber(rep, "mix.dry_wet") == Approx(111 / 127.0));
}

TEST_CASE("a controller unplugged and plugged back in is picked up again", "[midi][jack]") {
  LiveRig r(kFullMapping, "");
  r.fence(50);
  r.controller.reset();  // unplugged: its JACK port is gone
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  r.controller = std::make_unique<JackMidiSender>("mmtester");  // plugged back in
  REQUIRE(waitUntil([] { return jackPortConnected("mmtester:out"); }, 10));
  r.fence(60);
  r.mm->stop();
  const std::string out = r.mm->output();
  CHECK(out.find("MIDI: lost mmtester:out") != std::string::npos);
}

TEST_CASE("the JACK server killed mid-show: JACK MIDI controllers and outputs are connected again when it is back",
          "[midi][jack][faults]") {
  // With the MIDI clock out and the beatbox-trigger notes out (a profile still to learn).
  LiveRig r(kFullMapping, "--clock-out virtual --trigger-midi-out virtual --triggers " + tempDir() + "/triggers.toml");
  REQUIRE(waitUntil([] { return JackTestClient::portExists("musicmill-triggers:triggers"); }, 10));
  r.fence(40);
  r.controller.reset();  // the test's own client dies with the server anyway
  r.osc.reset();
  r.server.kill9();
  REQUIRE(waitUntil([&] { return r.mm->output().find("audio server went away") != std::string::npos; }, 20));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  REQUIRE(r.server.restart());
  const bool reconnected =
      waitUntil([&] { return r.mm->output().find("audio: reconnected") != std::string::npos; }, 30);
  INFO(r.mm->output());
  REQUIRE(reconnected);
  r.controller = std::make_unique<JackMidiSender>("mmtester");  // the controller, on the new server
  const bool connected = waitUntil([] { return jackPortConnected("mmtester:out"); }, 15);
  INFO(r.mm->output());
  REQUIRE(connected);
  r.osc = std::make_unique<OscProbe>(r.oscPort);
  r.fence(90);  // a CC after the restart reaches its parameter
  CHECK(waitUntil([] { return JackTestClient::portExists("musicmill-clock:clock"); }, 10));
  CHECK(waitUntil([] { return JackTestClient::portExists("musicmill-triggers:triggers"); }, 10));
  const int status = r.mm->stop();
  const std::string out = r.mm->output();
  INFO(out);
  CHECK(status == 0);
  CHECK(out.find("MIDI: reopened the MIDI system") != std::string::npos);
  CHECK(out.find("MIDI: clock out reopened") != std::string::npos);
  CHECK(out.find("triggers: MIDI notes out reopened") != std::string::npos);
}

namespace {
// A JACK MIDI input port "<name>:in" that counts the clock ticks it hears.
struct ClockSink {
  std::atomic<int> ticks{0};
  RtMidiIn in{RtMidi::UNIX_JACK, "mmsink"};
  ClockSink() {
    in.ignoreTypes(true, false, true);
    in.setCallback(
        [](double, std::vector<unsigned char>* msg, void* self) {
          if (!msg->empty() && (*msg)[0] == 0xF8) static_cast<ClockSink*>(self)->ticks.fetch_add(1);
        },
        this);
    in.openVirtualPort("in");
  }
};
}  // namespace

TEST_CASE("the JACK server killed under a MIDI output alone (no audio on JACK): the output comes back with a server",
          "[midi][jack][faults]") {
  // The clock goes to a named port (a synth's input): after the crash the server comes
  // back before the synth does, so the first reopen fails and a later one must succeed
  // and tick again.
  JackServer server(44100, 256);
  REQUIRE(server.ok());
  auto sink = std::make_unique<ClockSink>();
  auto reg = makeStandardRegistry(8);
  MidiClockOut clock(*reg, reg->indexOf("bpm"));
  REQUIRE(clock.open("jack", "mmclocktest", "mmsink").empty());
  clock.start();
  CHECK(waitUntil([&] { return sink->ticks.load() >= 24; }, 10));
  MidiOutputRecovery recovery;
  std::vector<MidiOutputRecovery::Outcome> outcomes;
  auto poll = [&] {
    auto o = recovery.poll(clock.serverLost(), [&] { return clock.reopen(); }, MidiOutputRecovery::Clock::now());
    if (o.reopened || !o.error.empty()) outcomes.push_back(o);
    return o.reopened;
  };
  CHECK_FALSE(poll());
  CHECK_FALSE(recovery.pending());

  abandon(sink);  // a client of the server about to die: never destroyed (that crashes libjack)
  server.kill9();
  REQUIRE(waitUntil([&] { return clock.serverLost(); }, 10));
  const uint64_t ticks = clock.ticksSent();
  for (int i = 0; i < 15; ++i) {  // 1.5 s without a server: nothing to reopen on
    CHECK_FALSE(poll());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(recovery.pending());
  CHECK(clock.ticksSent() > ticks);  // the sender drops its ticks instead of hanging in RtMidi

  REQUIRE(server.restart());  // the server is back, the synth not yet: reopening fails, said once
  REQUIRE(waitUntil(
      [&] {
        poll();
        return !outcomes.empty();
      },
      10));
  for (int i = 0; i < 25; ++i) {
    poll();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  REQUIRE(outcomes.size() == 1);
  CHECK_FALSE(outcomes[0].reopened);
  CHECK(outcomes[0].error.find("no MIDI output port has that in its name") != std::string::npos);
  CHECK(recovery.pending());

  sink = std::make_unique<ClockSink>();  // the synth is back
  REQUIRE(waitUntil([&] { return poll(); }, 10));
  CHECK_FALSE(recovery.pending());
  CHECK_FALSE(clock.serverLost());
  CHECK(waitUntil([&] { return sink->ticks.load() >= 24; }, 10));  // and hears clock again
  clock.stop();
}

TEST_CASE("MIDI clock in sets the tempo, clock out ticks at the tempo", "[midi][jack]") {
  LiveRig r(kFullMapping, "--set bpm=100 --clock-out virtual");
  // Listen to the instrument's clock output.
  struct Heard {
    std::mutex m;
    std::vector<std::pair<unsigned char, double>> msgs;
  } heard;
  RtMidiIn listener(RtMidi::UNIX_JACK, "mmlistener");
  listener.ignoreTypes(true, false, true);
  listener.setCallback(
      [](double, std::vector<unsigned char>* msg, void* self) {
        auto* h = static_cast<Heard*>(self);
        const double t = std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
        std::lock_guard<std::mutex> lock(h->m);
        h->msgs.emplace_back((*msg)[0], t);
      },
      &heard);
  REQUIRE(listenTo(listener, "musicmill-clock:clock"));

  // The test's controller sends Start and clock at 140 BPM for 3 s.
  auto& c = *r.controller;
  c.send({0xFA});
  const double period = 60.0 / (24 * 140.0);
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 24 * 7; ++i) {
    std::this_thread::sleep_until(t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                           std::chrono::duration<double>(i * period)));
    c.send({0xF8});
  }
  const double bpm = r.value("bpm");
  CHECK(bpm == Approx(140.0).margin(1.5));
  c.send({0xFC});

  // The clock out now follows 140 BPM: 56 ticks a second. Measure a fresh second.
  size_t from;
  {
    std::lock_guard<std::mutex> lock(heard.m);
    from = heard.msgs.size();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  std::vector<std::pair<unsigned char, double>> msgs;
  {
    std::lock_guard<std::mutex> lock(heard.m);
    msgs = heard.msgs;
  }
  REQUIRE(!msgs.empty());
  std::vector<double> ticks;
  for (size_t i = from; i < msgs.size(); ++i)
    if (msgs[i].first == 0xF8) ticks.push_back(msgs[i].second);
  REQUIRE(ticks.size() > 40);
  const double rate = (ticks.size() - 1) / (ticks.back() - ticks.front());
  CHECK(rate == Approx(bpm * 24 / 60).margin(2.0));
  r.mm->stop();
  // Stop is the last thing the clock output says.
  REQUIRE(waitUntil([&] {
    std::lock_guard<std::mutex> lock(heard.m);
    return heard.msgs.back().first == 0xFC;
  }, 3));
  const std::string out = r.mm->output();
  INFO(out);
  CHECK(out.find("MIDI: clock: start") != std::string::npos);
  CHECK(out.find("MIDI: following MIDI clock at") != std::string::npos);
  CHECK(out.find("MIDI: clock: stop") != std::string::npos);
}

TEST_CASE("musicmill learn binds the next control moved and saves it", "[midi][jack]") {
  JackServer server(44100, 256);
  REQUIRE(server.ok());
  JackMidiSender controller("mmtester");
  const std::string dir = tempDir();
  const std::string path = dir + "/learned.toml";
  auto learn = std::async(std::launch::async, [&] {
    return runCommand(binary() + " learn energy --mapping " + path + " --midi-api jack --midi-in mmtester --timeout 30");
  });
  REQUIRE(waitUntil([] { return jackPortConnected("mmtester:out"); }, 20));
  for (int v : {60, 61, 62, 64}) {
    controller.cc(3, 21, v);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const CommandResult r = learn.get();
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK(r.output.find("learned CC 21 on channel 3 -> energy; saved to " + path) != std::string::npos);
  auto reg = makeStandardRegistry(8);
  LoadReport report;
  auto map = loadMappingFile(path, *reg, report);
  INFO(report.text());
  REQUIRE(map);
  REQUIRE(map->bindings.size() == 1);
  CHECK(map->bindings[0].source == ControlSource::Cc);
  CHECK(map->bindings[0].number == 21);
  CHECK(map->bindings[0].channel == 2);
  CHECK(map->bindings[0].param == "energy");

  // An encoder turned for the next parameter is learned as relative, into the same file.
  // No --midi-api: with a JACK server running, learn takes JACK MIDI by itself, as perform.
  auto learn2 = std::async(std::launch::async, [&] {
    return runCommand(binary() + " learn texture --mapping " + path + " --midi-in mmtester --timeout 30");
  });
  REQUIRE(waitUntil([] { return jackPortConnected("mmtester:out"); }, 20));
  for (int i = 0; i < 4; ++i) {
    controller.cc(1, 22, 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const CommandResult r2 = learn2.get();
  INFO(r2.output);
  REQUIRE(r2.status == 0);
  LoadReport report2;
  map = loadMappingFile(path, *reg, report2);
  REQUIRE(map);
  REQUIRE(map->bindings.size() == 2);
  CHECK(map->bindings[1].relative == RelativeMode::TwosComplement);
  CHECK(map->bindings[1].param == "texture");

  // Nothing moved: a clear message, and the file is unchanged.
  const std::string before = readFile(path);
  const auto idle = runCommand(binary() + " learn chaos --mapping " + path + " --midi-api jack --midi-in mmtester --timeout 1");
  CHECK(idle.status == 1);
  CHECK(idle.output.find("no control moved in 1 s") != std::string::npos);
  CHECK(readFile(path) == before);
}

TEST_CASE("learn from a running performance (OSC /musicmill/learn) binds, saves and plays", "[midi][jack]") {
  LiveRig r("format = 1\n[[control]]\ncc = 7\nparam = \"mix.dry_wet\"\ntakeover = \"jump\"\n", "");
  lo_message m = lo_message_new();
  lo_message_add_string(m, "texture");
  r.osc->send("/musicmill/learn", m);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the request reaches the main thread
  for (int v : {10, 11, 12}) {
    r.controller->cc(1, 30, v);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // Saved to the mapping file...
  REQUIRE(waitUntil([&] { return readFile(r.mapping).find("cc = 30") != std::string::npos; }, 5));
  // ...and playing at once, with pickup: texture is 0, the knob came from 12, so it must
  // come down through 0 first.
  r.controller->cc(1, 30, 0);
  r.controller->cc(1, 30, 90);
  CHECK(r.osc->waitValue("texture", 90 / 127.0) == Approx(90 / 127.0));
  r.mm->stop();
  const std::string out = r.mm->output();
  INFO(out);
  CHECK(out.find("MIDI: learned CC 30 on channel 1 -> texture (saved to " + r.mapping + ")") != std::string::npos);
}

TEST_CASE("broken mapping files: refused at start with file:line, a broken edit while playing changes nothing",
          "[midi][jack]") {
  JackServer server(44100, 256);
  REQUIRE(server.ok());
  const std::string dir = tempDir();
  writeText(dir + "/bad.toml", "format = 1\n\n[[control]]\ncc = 300\nparam = \"energy\"\n");
  MusicmillProcess bad("perform --headless --audio-api jack --no-connect --no-autosave --model " +
                       fixture("delay_44k.ts") + " --midi-api jack --mapping " + dir + "/bad.toml");
  CHECK_FALSE(bad.waitForPorts(60));
  CHECK(bad.stop() == 2);
  CHECK(bad.output().find(dir + "/bad.toml:4: error: cc = 300 is out of range; it must lie in 0 .. 127") != std::string::npos);
}

TEST_CASE("a mapping edited while playing is reloaded, a broken edit keeps the old one", "[midi][jack]") {
  LiveRig r("format = 1\n[[control]]\ncc = 7\nparam = \"mix.dry_wet\"\ntakeover = \"jump\"\n", "");
  r.fence(20);
  // A broken edit: the old mapping stays in use.
  writeText(r.mapping, "format = 1\n[[control]]\ncc = 7\nparam = \"mix.dry_wet\"\ntakeover = \"jmp\"\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  r.fence(30);
  // A good edit: CC 9 now drives texture, CC 7 still the mix.
  writeText(r.mapping, "format = 1\n[[control]]\ncc = 7\nparam = \"mix.dry_wet\"\ntakeover = \"jump\"\n"
                       "[[control]]\ncc = 9\nparam = \"texture\"\ntakeover = \"jump\"\n");
  REQUIRE(waitUntil([&] {
    r.controller->cc(1, 9, 127);
    auto v = r.osc->get("texture", 0.5);
    return v && *v == 1.0;
  }, 10));
  r.mm->stop();
  const std::string out = r.mm->output();
  INFO(out);
  CHECK(out.find(r.mapping + ":5: error: takeover = \"jmp\": use \"pickup\", \"scale\" or \"jump\"") != std::string::npos);
  CHECK(out.find("The previous mapping stays in use") != std::string::npos);
  CHECK(out.find("MIDI: reloaded " + r.mapping) != std::string::npos);
}

TEST_CASE("a ccN route plays live from a JACK MIDI controller, --mod routes are reported, autosaved and restored",
          "[midi][jack]") {
  {
    LiveRig r(kFullMapping, "--mod 'cc21>output.gain:-40' --set mix.dry_wet=1 --set gate.threshold=-90");
    JackTestClient client("ccnprobe", 1, 1, 4.0);
    REQUIRE(client.ok());
    REQUIRE(client.connectOut(0, "musicmill:inport 0"));
    REQUIRE(client.connectIn("musicmill:outport 0", 0));
    const std::vector<float> x = sine(441.0, 44100, 4.0, 0.3f);
    client.play(0, x);
    std::this_thread::sleep_for(std::chrono::milliseconds(2000));
    r.controller->cc(1, 21, 127);  // unmapped: it drives the route only
    client.waitFinished(20);
    const auto out = client.recorded(0);
    REQUIRE(out.size() == x.size());
    const double before = 20 * std::log10(rms(out, 22050, 66150) / rms(x, 22050, 66150));
    const double after = 20 * std::log10(std::max(1e-9, rms(out, 3 * 44100, 4 * 44100)) / rms(x, 3 * 44100, 4 * 44100));
    INFO("level before the CC " << before << " dB, after " << after << " dB");
    CHECK(before == Approx(0.0).margin(1.0));
    CHECK(after == Approx(-40.0).margin(2.0));
    CHECK(r.value("output.gain") == 0.0);  // the route modulates; the set value stays
    REQUIRE(r.mm->stop() == 0);
    CHECK(readFile(r.report).find("\"routes\":[\"cc21>output.gain:-40\"]") != std::string::npos);
  }
  // The routes given with --mod are live state: the autosave keeps them, every option.
  JackServer server(44100, 256);
  REQUIRE(server.ok());
  const std::string dir = tempDir();
  const std::string common = binary() + " perform --headless --audio-api jack --no-connect --model " +
                             fixture("identity_44k.ts") + " --autosave-dir " + dir + " --autosave-seconds 1 ";
  auto first = runCommand("timeout 60 " + common + "--duration 3 --mod 'envelope>bpm:40:decay=50ms:invert'");
  INFO(first.output);
  REQUIRE(first.status == 0);
  const std::string saved = readFile(dir + "/autosave.toml");
  INFO(saved);
  CHECK(saved.find("source = \"voice.envelope\"") != std::string::npos);
  CHECK(saved.find("depth = 40") != std::string::npos);
  CHECK(saved.find("decay_ms = 50") != std::string::npos);
  CHECK(saved.find("invert = true") != std::string::npos);
  // ...and --restore, without --mod, plays them again.
  auto again = runCommand("timeout 60 " + common + "--duration 2 --restore --report " + dir + "/report.json");
  INFO(again.output);
  REQUIRE(again.status == 0);
  const std::string report = readFile(dir + "/report.json");
  INFO(report);
  CHECK(report.find("\"routes\":[\"envelope>bpm:40:invert\"]") != std::string::npos);
}
