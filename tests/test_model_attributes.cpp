// The model's own controls (engine/ModelAttributes.h): attributes a model declares
// (nn_tilde's get_attributes / get_<name> / set_<name>, as RAVE 2.3 exports carry them)
// read from the file, turned into attr.<name> parameters, given to the model by its own
// processing thread, refused with their name and valid values, and learning from a file
// (the input fed into the model while learn_target is held on). Fixture: adain_44k.ts.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>

#include "AudioFile.h"
#include "JackHarness.h"
#include "MidiTestSupport.h"
#include "FrameProcessor.h"
#include "LoadReport.h"
#include "MappingFile.h"
#include "MidiMapper.h"
#include "ModelAttributes.h"
#include "ModelRuntime.h"
#include "Parameters.h"
#include "PresetFile.h"
#include "TestSupport.h"
#include "Xvfb.h"

using namespace mm;
using namespace mmtest;

namespace {

std::unique_ptr<ParameterRegistry> registryFor(const ModelRuntime& m) {
  return makeStandardRegistry(m.info().latentSize, 2, 0, attributeParamSpecs({m.info().attributes}));
}

// Runs `blocks` blocks of a quiet sine through the processor; the output's RMS.
double playQuiet(FrameProcessor& p, int blocks, float amp = 0.1f) {
  const int n = p.blockSamples();
  std::vector<float> in(static_cast<size_t>(n)), out(static_cast<size_t>(n));
  std::vector<float> all;
  for (int b = 0; b < blocks; ++b) {
    for (int i = 0; i < n; ++i) in[static_cast<size_t>(i)] = amp * std::sin(0.2f * static_cast<float>(b * n + i));
    p.process(in.data(), out.data());
    all.insert(all.end(), out.begin(), out.end());
  }
  return rms(all);
}

int attributeIndex(const ModelInfo& info, const std::string& name) {
  for (size_t i = 0; i < info.attributes.size(); ++i)
    if (info.attributes[i].name == name) return static_cast<int>(i);
  return -1;
}

}  // namespace

TEST_CASE("model attributes: read from the file with their types, values and setters", "[attributes]") {
  auto m = ModelRuntime::load(fixture("adain_44k.ts"));
  const auto& a = m->info().attributes;
  REQUIRE(a.size() == 5);
  CHECK(a[0].name == "learn_target");
  CHECK(a[0].type == ModelAttribute::Type::Bool);
  CHECK(a[0].settable);
  CHECK(a[0].value == 0);
  CHECK(a[4].name == "gain");
  CHECK(a[4].type == ModelAttribute::Type::Float);
  CHECK(a[4].value == Approx(1.0));
  CHECK(m->info().warnings.empty());
  // A model without attributes has none; the parameters follow the attributes.
  CHECK(ModelRuntime::load(fixture("identity_44k.ts"))->info().attributes.empty());
  auto reg = registryFor(*m);
  const int gain = reg->indexOf("attr.gain"), learn = reg->indexOf("attr.learn_target");
  REQUIRE(gain >= 0);
  REQUIRE(learn >= 0);
  CHECK(reg->get(gain) == Approx(1.0));
  CHECK(reg->spec(learn).curve == Curve::Toggle);
  // Setting and reading back through the runtime; a refused value says so.
  double v = 0;
  std::string text;
  CHECK(m->setAttribute(4, 2.5, "").empty());
  REQUIRE(m->readAttribute(4, v, text));
  CHECK(v == Approx(2.5));
  const std::string refused = m->setAttribute(4, 9.0, "");
  CHECK(refused.find("refused gain = 9") != std::string::npos);
  REQUIRE(m->readAttribute(4, v, text));
  CHECK(v == Approx(2.5));
}

TEST_CASE("model attributes: --attr values are judged by the attribute's type", "[attributes]") {
  auto m = ModelRuntime::load(fixture("adain_44k.ts"));
  const auto& attrs = m->info().attributes;
  AttributeAssignment as;
  CHECK_FALSE(parseAttributeAssignment(attrs, "learn_target=true", as));
  CHECK(as.index == 0);
  CHECK(as.number == 1);
  CHECK_FALSE(parseAttributeAssignment(attrs, "gain=0.5", as));
  CHECK(as.number == Approx(0.5));
  auto err = parseAttributeAssignment(attrs, "gian=2", as);
  REQUIRE(err);
  CHECK(err->find("no attribute 'gian'") != std::string::npos);
  CHECK(err->find("did you mean gain") != std::string::npos);
  CHECK(err->find("learn_target (bool, now false)") != std::string::npos);
  err = parseAttributeAssignment(attrs, "learn_target=maybe", as);
  REQUIRE(err);
  CHECK(err->find("learn_target is a bool: write true or false") != std::string::npos);
  err = parseAttributeAssignment(attrs, "gain=loud", as);
  REQUIRE(err);
  CHECK(err->find("gain is a float") != std::string::npos);
  err = parseAttributeAssignment({}, "gain=1", as);
  REQUIRE(err);
  CHECK(err->find("declares no attributes") != std::string::npos);
}

TEST_CASE("model attributes: the processing thread gives a changed parameter to the model, again after a reload",
          "[attributes]") {
  auto m = ModelRuntime::load(fixture("adain_44k.ts"));
  auto reg = registryFor(*m);
  FrameProcessor p(*m, *reg, defaultFramesPerBlock(m->info().ratio));
  const double plain = playQuiet(p, 40);
  REQUIRE(plain > 0.05);
  reg->setById("attr.gain", 2.f);
  CHECK(playQuiet(p, 40) == Approx(2 * plain).epsilon(0.02));
  // The model refuses 9 (its setter answers -1): counted, named, the last value stays.
  reg->setById("attr.gain", 9.f);
  CHECK(playQuiet(p, 10) == Approx(2 * plain).epsilon(0.02));
  CHECK(p.attributeRefusals() == 1);
  CHECK(p.lastRefusedAttribute() == attributeIndex(m->info(), "gain"));
  CHECK(p.lastRefusedValue() == Approx(9.0));
  // A fresh load of the file (a panic reload) is given the performed value again.
  reg->setById("attr.gain", 0.5f);
  playQuiet(p, 2);
  auto fresh = ModelRuntime::load(fixture("adain_44k.ts"));
  p.replaceModel(*fresh);
  CHECK(playQuiet(p, 40) == Approx(0.5 * plain).epsilon(0.02));
}

TEST_CASE("model attributes: learning the target from a file changes the sound, reset brings it back", "[attributes]") {
  auto m = ModelRuntime::load(fixture("adain_44k.ts"));
  auto reg = registryFor(*m);
  FrameProcessor p(*m, *reg, defaultFramesPerBlock(m->info().ratio));
  const double before = playQuiet(p, 40);
  // One second of a loud sine as the target, fed at the model's rate.
  auto f = std::make_unique<FrameProcessor::InputFeed>();
  f->audio = sine(440.0, m->info().sampleRate, 1.0, 0.8f);
  f->attribute = attributeIndex(m->info(), "learn_target");
  const size_t feedBlocks = (f->audio.size() + static_cast<size_t>(p.blockSamples()) - 1) / static_cast<size_t>(p.blockSamples());
  p.feed(std::move(f));
  playQuiet(p, 1);
  CHECK(p.feedSecondsLeft() > 0.9);
  playQuiet(p, static_cast<int>(feedBlocks) + 2);
  CHECK(p.feedSecondsLeft() == 0);
  playQuiet(p, 2);
  auto done = p.finishedFeed();
  REQUIRE(done);
  CHECK(done->audio.size() == static_cast<size_t>(m->info().sampleRate));
  // The parameter stayed off: only the feed's blocks were learned. The target's spread
  // (a 0.8 sine: 0.8 / sqrt(2) in every latent row) now scales the quiet input.
  CHECK(reg->getById("attr.learn_target") == 0.f);
  double learning = 0;
  std::string text;
  REQUIRE(m->readAttribute(attributeIndex(m->info(), "learn_target"), learning, text));
  CHECK(learning == 0);
  const double after = playQuiet(p, 40);
  INFO("before " << before << " after " << after);
  CHECK(after == Approx(0.8 / std::sqrt(2.0) * before).epsilon(0.1));
  // reset_target (a momentary control: on, then off) forgets the target.
  reg->setById("attr.reset_target", 1.f);
  playQuiet(p, 2);
  reg->setById("attr.reset_target", 0.f);
  CHECK(playQuiet(p, 40) == Approx(before).epsilon(0.02));
}

TEST_CASE("model attributes: --attr in render and params, a typo refused with the model's attributes",
          "[attributes][cli]") {
  const std::string dir = tempDir();
  AudioBuffer in;
  in.sampleRate = 44100;
  in.samples = sine(220.0, 44100, 1.0, 0.2f);
  writeAudioFile(dir + "/in.wav", in);
  const std::string base = binary() + " render --model " + fixture("adain_44k.ts") + " --in " + dir + "/in.wav";
  auto r = runCommand(base + " --out " + dir + "/plain.wav");
  REQUIRE(r.status == 0);
  r = runCommand(base + " --out " + dir + "/double.wav --attr gain=2");
  INFO(r.output);
  REQUIRE(r.status == 0);
  const double plain = rms(readAudioFile(dir + "/plain.wav").samples);
  const double twice = rms(readAudioFile(dir + "/double.wav").samples);
  CHECK(twice == Approx(2 * plain).epsilon(0.02));
  // As a parameter it also takes a time, like any --set.
  r = runCommand(base + " --out " + dir + "/later.wav --set attr.gain=2@0.5");
  REQUIRE(r.status == 0);
  const auto later = readAudioFile(dir + "/later.wav").samples;
  CHECK(rms(later, 0, 20000) == Approx(plain).epsilon(0.05));
  CHECK(rms(later, 24000, 44000) == Approx(2 * plain).epsilon(0.05));
  r = runCommand(base + " --out " + dir + "/x.wav --attr gian=2");
  CHECK(r.status == 2);
  CHECK(r.output.find("no attribute 'gian' (did you mean gain?)") != std::string::npos);
  CHECK_FALSE(std::ifstream(dir + "/x.wav").good());
  r = runCommand(base + " --out " + dir + "/x.wav --attr learn_target=perhaps");
  CHECK(r.status == 2);
  CHECK(r.output.find("learn_target is a bool") != std::string::npos);
  r = runCommand(binary() + " params --model " + fixture("adain_44k.ts"));
  CHECK(r.output.find("attr.learn_target") != std::string::npos);
  CHECK(r.output.find("attr.gain") != std::string::npos);
}

TEST_CASE("model attributes live: learn the target from a file over OSC, reset it, move a numeric attribute",
          "[attributes][live][jack][osc]") {
  JackServer server(44100, 256);
  REQUIRE(server.ok());
  const std::string dir = tempDir();
  AudioBuffer target;
  target.sampleRate = 22050;  // resampled to the model's 44100 Hz on the loader thread
  target.samples = sine(440.0, 22050, 1.0, 0.8f);
  writeAudioFile(dir + "/target.wav", target);
  // A preset that learns the target from the file again each time it is applied (preset 5:
  // the first --preset after the four built-ins).
  std::ofstream(dir + "/learn.toml") << "format = 1\nname = \"Learned\"\n[params]\n\"gate.threshold\" = -90\n"
                                        "[learn]\nattribute = \"learn_target\"\nreset = \"reset_target\"\n"
                                        "file = \"target.wav\"\n";
  const int oscPort = freeUdpPort();
  MusicmillProcess mm("perform --headless --audio-api jack --no-connect --no-autosave --model " + fixture("adain_44k.ts") +
                      " --set gate.threshold=-90 --preset " + dir + "/learn.toml --osc-port " + std::to_string(oscPort));
  const bool up = mm.waitForPorts(120);
  INFO(mm.output());
  REQUIRE(up);
  const double seconds = 23.0;
  JackTestClient client("tester", 1, 1, seconds);
  REQUIRE(client.ok());
  REQUIRE(client.connectOut(0, "musicmill:inport 0"));
  REQUIRE(client.connectIn("musicmill:outport 0", 0));
  OscProbe osc(oscPort);
  osc.send("/musicmill/ping", lo_message_new());
  REQUIRE(osc.waitFor("/musicmill/pong", 10));
  client.play(0, sine(220.0, 44100, seconds, 0.1f));
  // Actions at sample times (JACK cycles: a dummy server may run slower than real time).
  auto at = [&](double t) {
    const uint64_t cycles = static_cast<uint64_t>(t * 44100 / 256);
    while (client.cycles() < cycles && !client.finished()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  };
  at(3.0);
  lo_message m = lo_message_new();
  lo_message_add_string(m, "nope");
  lo_message_add_float(m, 2.f);
  osc.send("/musicmill/model/learn", m);
  m = lo_message_new();
  lo_message_add_string(m, "learn_target");
  lo_message_add_string(m, (dir + "/target.wav").c_str());
  osc.send("/musicmill/model/learn", m);
  at(8.0);
  m = lo_message_new();
  lo_message_add_string(m, "reset_target");
  osc.send("/musicmill/model/reset", m);
  at(12.0);
  osc.sendFloat("/musicmill/param/attr.gain", 2.f);
  at(17.0);
  m = lo_message_new();
  lo_message_add_int32(m, 5);
  osc.send("/musicmill/preset", m);  // gain back to its default, reset, learn from the file
  client.waitFinished(seconds + 60);
  const std::vector<float> out = client.recorded(0);
  const int status = mm.stop();
  const std::string log = mm.output();
  INFO(log);
  CHECK(status == 0);
  CHECK(log.find("no attribute 'nope' (it has learn_target, reset_target") != std::string::npos);
  CHECK(log.find("learn_target learned from " + dir + "/target.wav") != std::string::npos);
  CHECK(log.find("reset_target pressed") != std::string::npos);
  auto level = [&](double from, double to) { return rms(out, static_cast<size_t>(from * 44100), static_cast<size_t>(to * 44100)); };
  const double before = level(1.0, 3.0), learned = level(6.0, 8.0), reset = level(10.0, 12.0), doubled = level(14.5, 16.5),
               preset = level(20.5, 22.5);
  INFO("before " << before << " learned " << learned << " reset " << reset << " doubled " << doubled << " preset " << preset);
  REQUIRE(before > 0.05);
  CHECK(learned == Approx(0.8 / std::sqrt(2.0) * before).epsilon(0.1));
  CHECK(reset == Approx(before).epsilon(0.05));
  // Gain 2 doubles the level it follows (the reset one, itself within 5 % of the start:
  // under load the start window can catch a little of the fixture's own settling).
  CHECK(doubled == Approx(2 * reset).epsilon(0.05));
  CHECK(preset == Approx(0.8 / std::sqrt(2.0) * before).epsilon(0.1));
}

TEST_CASE("a preset's [learn] survives a save and a reload, and a broken one is named", "[attributes][sets]") {
  const std::string dir = tempDir();
  AudioBuffer a;
  a.samples = sine(440.0, 44100, 0.5, 0.5f);
  writeAudioFile(dir + "/t.wav", a);
  auto reg = makeStandardRegistry(8);
  auto write = [&](const std::string& name, const std::string& learn) {
    std::ofstream(dir + "/" + name) << "format = 1\nname = \"P\"\n[learn]\n" << learn;
    return dir + "/" + name;
  };
  LoadReport report;
  auto p = loadPreset(write("file.toml", "attribute = \"learn_target\"\nreset = \"reset_target\"\nfile = \"t.wav\"\n"),
                      report, PresetChecks{reg.get()});
  INFO(report.text());
  REQUIRE(p);
  REQUIRE(p->learn);
  CHECK(p->learn->file == dir + "/t.wav");
  CHECK(p->learn->reset == "reset_target");
  REQUIRE(savePreset(dir + "/again.toml", *p).empty());
  auto back = loadPreset(dir + "/again.toml", report, PresetChecks{reg.get()});
  REQUIRE(back);
  CHECK(*back == *p);
  p = loadPreset(write("input.toml", "attribute = \"learn_source\"\nseconds = 2.5\n"), report, PresetChecks{reg.get()});
  REQUIRE(p);
  CHECK(p->learn->seconds == 2.5);
  REQUIRE(savePreset(dir + "/again2.toml", *p).empty());
  back = loadPreset(dir + "/again2.toml", report, PresetChecks{reg.get()});
  REQUIRE(back);
  CHECK(*back == *p);
  // Broken: both sources, no attribute, a missing file, seconds out of range. Each is
  // named with its line; the preset still loads, without the learning.
  for (const auto& [learn, said] : std::vector<std::pair<std::string, std::string>>{
           {"attribute = \"learn_target\"\nseconds = 2\nfile = \"t.wav\"\n", "either 'file'"},
           {"seconds = 2\n", "needs 'attribute'"},
           {"attribute = \"learn_target\"\nfile = \"nope.wav\"\n", "audio file 'nope.wav' does not exist"},
           {"attribute = \"learn_target\"\nseconds = 600\n", "seconds"}}) {
    LoadReport r;
    auto bad = loadPreset(write("bad.toml", learn), r, PresetChecks{reg.get()});
    INFO(r.text());
    REQUIRE(bad);
    CHECK_FALSE(bad->learn);
    CHECK(r.text().find("bad.toml:") != std::string::npos);
    CHECK(r.text().find(said) != std::string::npos);
  }
}

TEST_CASE("model panel and browser in the UI: learn from the input, reset, choose a library model and play it",
          "[attributes][ui][jack]") {
  JackServer server(44100, 256);
  REQUIRE(server.ok());
  Xvfb display(1920, 1080);
  REQUIRE(display.ok());
  const std::string dir = tempDir();
  std::filesystem::create_directories(dir + "/lib");
  std::filesystem::copy_file(fixture("identity_44k.ts"), dir + "/lib/kit.ts");
  std::ofstream(dir + "/script.txt") << "frame 20 click model.learn.learn_target\n"
                                        "frame 60 click model.reset.reset_target\n"
                                        "frame 90 click model.browse\n"
                                        "frame 330 click model.entry=kit\n"
                                        "frame 360 click model.play\n";
  const CommandResult r = runCommand("XDG_DATA_HOME=" + dir + "/data XDG_CACHE_HOME=" + dir + "/cache timeout 240 " +
                                     binary() + " perform --audio-api jack --no-connect --no-autosave --model " +
                                     fixture("adain_44k.ts") + " --models-dir " + dir + "/lib --frames 700 --ui-script " +
                                     dir + "/script.txt --ui-log " + dir + "/ui.json --screenshot " + dir + "/shot.png");
  INFO(r.output);
  REQUIRE(r.status == 0);
  const std::string log = readFile(dir + "/ui.json");
  INFO(log);
  CHECK(log.find("\"script_problems\":[]") != std::string::npos);  // every control was on screen
  CHECK(log.find("\"learn learn_target from the input\"") != std::string::npos);
  CHECK(log.find("\"press reset_target\"") != std::string::npos);
  CHECK(log.find("\"model browser\"") != std::string::npos);
  CHECK(log.find("\"play model kit\"") != std::string::npos);
  CHECK(log.find("\"Model\"") != std::string::npos);
  // What the Messages panel said.
  CHECK(log.find("learn_target from the input for 4.0 s") != std::string::npos);
  CHECK(log.find("learn_target learned from the input") != std::string::npos);
  CHECK(log.find("reset_target pressed") != std::string::npos);
  CHECK(log.find("kit.ts loaded; switching to it") != std::string::npos);
}

TEST_CASE("model attributes from MIDI: a knob on a float attribute's range, a pad on a bool one", "[attributes][midi]") {
  auto m = ModelRuntime::load(fixture("adain_44k.ts"));
  auto reg = registryFor(*m);
  LoadReport report;
  auto map = parseMappingText("format = 1\n"
                              "[[control]]\ncc = 20\nparam = \"attr.gain\"\nrange = [0.0, 4.0]\ntakeover = \"jump\"\n"
                              "[[control]]\nnote = 36\nparam = \"attr.learn_target\"\n",
                              "attrs.toml", *reg, report);
  INFO(report.text());
  REQUIRE(map);
  MidiMapper mapper(*reg);
  mapper.setMaps({*map});
  mapper.handle(MidiEvent::make(0, 0xB0, 20, 127));
  CHECK(reg->getById("attr.gain") == Approx(4.0));
  mapper.handle(MidiEvent::make(0, 0x90, 36, 100));
  CHECK(reg->getById("attr.learn_target") == 1.f);
  mapper.handle(MidiEvent::make(0, 0x80, 36, 0));
  CHECK(reg->getById("attr.learn_target") == 0.f);
  // And the processing thread gives the knob's value to the model.
  FrameProcessor p(*m, *reg, defaultFramesPerBlock(m->info().ratio));
  mapper.handle(MidiEvent::make(0, 0xB0, 20, 64));
  playQuiet(p, 2);
  double gain = 0;
  std::string text;
  REQUIRE(m->readAttribute(attributeIndex(m->info(), "gain"), gain, text));
  CHECK(gain == Approx(4.0 * 64 / 127).epsilon(0.01));
}
