// The set-list player as the performer uses it: footswitch and program-change navigation,
// parameter ramps on every switch, model switches through the (fake) engine, the other
// subsystems' sections handed over, and saving edits back to the files.
#include <catch2/catch.hpp>

#include <filesystem>

#include "Parameters.h"
#include "PresetFile.h"
#include "SetListPlayer.h"
#include "SetsTestSupport.h"
#include "TestSupport.h"

using namespace mm;
using namespace mmtest;
using namespace setstest;
namespace fs = std::filesystem;
using Clock = SetListPlayer::Clock;

namespace {

Part part(const std::string& name, float energy, const std::string& model = "") {
  Part p;
  p.name = name;
  p.preset.name = name;
  p.preset.model = model;
  p.preset.params = {{"energy", energy}};
  return p;
}

Song song(int number, const std::string& name, std::vector<Part> parts) {
  Song s;
  s.number = number;
  s.name = name;
  s.parts = std::move(parts);
  return s;
}

// Song 1: A B | song 2: C | song 5: D E. Each part's energy tells where we are.
SetList threeSongs() {
  SetList set;
  set.name = "test";
  set.rampMs = 0;
  set.songs = {song(1, "One", {part("A", 0.1f), part("B", 0.2f)}), song(2, "Two", {part("C", 0.3f)}),
               song(5, "Five", {part("D", 0.4f), part("E", 0.5f)})};
  return set;
}

struct Rig {
  std::unique_ptr<ParameterRegistry> reg = makeStandardRegistry(4);
  FakeSwitcher models;
  PresetHooks hooks;
  SetListPlayer player{*reg, models, hooks};
  std::vector<std::string> messages;
  Rig() {
    player.onMessage = [this](const std::string& m) { messages.push_back(m); };
  }
  float get(const std::string& id) const { return reg->getById(id); }
  std::string where() const { return player.currentPart() ? player.currentPart()->name : "-"; }
};

}  // namespace

TEST_CASE("footswitch navigation walks every part of the set in order and back", "[sets]") {
  Rig r;
  REQUIRE(r.player.adopt(threeSongs()));
  std::vector<std::string> seen;
  while (r.player.nextPart()) seen.push_back(r.where());
  CHECK(seen == std::vector<std::string>{"A", "B", "C", "D", "E"});
  CHECK(r.get("energy") == Approx(0.5f));
  REQUIRE_FALSE(r.messages.empty());
  CHECK(r.messages.back().find("end of the set") != std::string::npos);
  CHECK(r.player.nextText() == "end of set");

  seen.clear();
  while (r.player.prevPart()) seen.push_back(r.where());
  CHECK(seen == std::vector<std::string>{"D", "C", "B", "A"});
  CHECK(r.messages.back().find("first part") != std::string::npos);
  CHECK(r.get("energy") == Approx(0.1f));
}

TEST_CASE("song navigation, jump to song N and part selection", "[sets]") {
  Rig r;
  SetList set = threeSongs();
  set.songs[0].notes = "count in from the drummer";
  set.songs[0].parts[1].notes = "build: open the filter";
  REQUIRE(r.player.adopt(set));
  // A move says where it landed, with the part's notes, else the song's.
  REQUIRE(r.player.gotoPart(0, 0));
  CHECK(r.messages.back() == "now: Song 1 'One' (1/3) | part 1/2 'A' -- count in from the drummer");
  REQUIRE(r.player.nextPart());
  CHECK(r.messages.back() == "now: Song 1 'One' (1/3) | part 2/2 'B' -- build: open the filter");
  CHECK(r.player.notesText() == "build: open the filter");
  REQUIRE(r.player.gotoPart(0, 1));  // One / B
  REQUIRE(r.player.nextSong());
  CHECK(r.where() == "C");
  REQUIRE(r.player.prevSong());
  CHECK(r.where() == "A");  // a song always starts at its first part
  CHECK_FALSE(r.player.prevSong());
  REQUIRE(r.player.gotoSong(5));  // by the number announced, not the position
  CHECK(r.where() == "D");
  CHECK(r.player.nowText() == "Song 5 'Five' (3/3) | part 1/2 'D'");
  CHECK(r.messages.back() == "now: Song 5 'Five' (3/3) | part 1/2 'D'");  // every move says where it landed
  CHECK(r.player.nextText() == "Song 5 'Five' | part 2 'E'");
  CHECK_FALSE(r.player.gotoSong(3));
  CHECK(r.messages.back() == "there is no song 3 in this set (songs: 1 2 5)");
  CHECK(r.where() == "D");  // a wrong request changes nothing
  REQUIRE(r.player.selectPart(1));
  CHECK(r.where() == "E");
  CHECK(r.get("energy") == Approx(0.5f));
  CHECK_FALSE(r.player.selectPart(2));
  CHECK(r.where() == "E");
}

TEST_CASE("program change: explicit part and song programs, else program P is song P+1, bank select", "[sets]") {
  Rig r;
  SetList set = threeSongs();
  set.songs[2].parts[1].program = 20;      // E
  set.songs[1].program = 7;                // song 2 (C)
  set.songs[0].parts[1].program = 128 + 2;  // B: bank 1, program 2
  REQUIRE(r.player.adopt(set));
  REQUIRE(r.player.programChange(20));
  CHECK(r.where() == "E");
  REQUIRE(r.player.programChange(7));
  CHECK(r.where() == "C");
  REQUIRE(r.player.programChange(0));  // "program 1" on the controller: song 1
  CHECK(r.where() == "A");
  REQUIRE(r.player.programChange(4));  // song number 5
  CHECK(r.where() == "D");
  r.player.bankSelect(1);
  REQUIRE(r.player.programChange(2));
  CHECK(r.where() == "B");
  CHECK_FALSE(r.player.programChange(99));
  CHECK(r.messages.back().find("not mapped") != std::string::npos);
  CHECK(r.where() == "B");
}

TEST_CASE("switching ramps the parameters over the ramp time, a knob moved meanwhile wins", "[sets]") {
  Rig r;
  SetList set = threeSongs();
  set.rampMs = 100;
  set.songs[0].parts[0].preset.params = {{"energy", 0.f}, {"chaos", 0.f}, {"pattern.slot", 0.f}};
  set.songs[0].parts[1].preset.params = {{"energy", 1.f}, {"chaos", 1.f}, {"pattern.slot", 5.f}};
  REQUIRE(r.player.adopt(set));
  REQUIRE(r.player.start());
  r.player.tick(Clock::now() + std::chrono::seconds(1));
  REQUIRE(r.get("energy") == 0.f);

  const auto t0 = Clock::now();
  REQUIRE(r.player.nextPart());
  // Stepped parameters switch at once; continuous ones have barely moved.
  CHECK(r.get("pattern.slot") == 5.f);
  CHECK(r.get("energy") < 0.3f);
  r.player.tick(t0 + std::chrono::milliseconds(50));
  CHECK(r.get("energy") == Approx(0.5f).margin(0.15));
  r.reg->setById("chaos", 0.2f);  // the performer grabs the chaos knob mid-ramp
  r.player.tick(t0 + std::chrono::milliseconds(75));
  CHECK(r.get("chaos") == 0.2f);
  r.player.tick(t0 + std::chrono::milliseconds(250));
  CHECK(r.get("energy") == 1.f);  // ends exactly on the preset's value
  CHECK(r.get("chaos") == 0.2f);

  // A part's own ramp_ms wins over the set's; 0 jumps.
  r.player.gotoPart(0, 0);
  r.player.tick(Clock::now() + std::chrono::seconds(1));
  set.songs[0].parts[1].rampMs = 0.0;
  REQUIRE(r.player.adopt(set));
  REQUIRE(r.player.gotoPart(0, 1));
  CHECK(r.get("energy") == 1.f);
}

TEST_CASE("a preset sets what it lists, defaults the rest, leaves venue levels and the tempo, song tempo wins", "[sets]") {
  Rig r;
  SetList set = threeSongs();
  set.songs[0].tempo = 96.f;
  set.songs[0].parts[0].preset.params["bpm"] = 140.f;
  REQUIRE(r.player.adopt(set));
  r.reg->setById("chaos", 0.9f);         // left over from before: not in the preset
  r.reg->setById("input.gain", 6.f);     // soundcheck
  r.reg->setById("gate.threshold", -40.f);
  REQUIRE(r.player.start());
  CHECK(r.get("energy") == Approx(0.1f));
  CHECK(r.get("chaos") == 0.f);  // default
  CHECK(r.get("input.gain") == 6.f);
  CHECK(r.get("gate.threshold") == -40.f);
  CHECK(r.get("bpm") == 96.f);  // the song's tempo overrides the preset's bpm
  REQUIRE(r.player.gotoSong(2));
  CHECK(r.get("bpm") == 96.f);  // song 2 names no tempo and its preset no bpm: the tempo plays on
  // A preset pressed mid-song keeps the song's tempo unless it names one (issue 21 #3).
  REQUIRE(r.player.gotoSong(1));
  CHECK(r.get("bpm") == 96.f);
  Preset intense;
  intense.params = {{"energy", 0.9f}};
  r.player.applyPreset(intense, 0.0);
  CHECK(r.get("bpm") == 96.f);
  CHECK(r.get("energy") == Approx(0.9f));
  intense.params["bpm"] = 132.f;
  r.player.applyPreset(intense, 0.0);
  CHECK(r.get("bpm") == 132.f);
  // A preset that lists a venue parameter does set it.
  Preset loud;
  loud.params = {{"output.gain", -6.f}};
  r.player.applyPreset(loud, 0.0);
  CHECK(r.get("output.gain") == -6.f);
  CHECK(r.get("input.gain") == 6.f);
}

TEST_CASE("models: preloaded once, switched with the set's crossfade only when they change", "[sets]") {
  Rig r;
  SetList set = threeSongs();
  set.crossfadeMs = 180;
  set.songs[0].parts[0].preset.model = "/models/a.ts";
  set.songs[0].parts[1].preset.model = "/models/a.ts";
  set.songs[1].parts[0].preset.model = "/models/b.ts";
  set.songs[2].parts[0].preset.model = "/models/broken.ts";
  set.songs[2].parts[1].preset.model = "/models/c.ts";
  set.songs[2].parts[1].line = 42;
  REQUIRE(r.player.adopt(set));
  r.player.registerPlayingModel("/models/a.ts");
  std::vector<std::string> progress;
  LoadReport report;
  r.player.prepareModels(
      [&](int i, int n, const std::string& path) {
        progress.push_back(std::to_string(i) + "/" + std::to_string(n) + " " + path);
      },
      report);
  CHECK(progress == std::vector<std::string>{"1/3 /models/b.ts", "2/3 /models/broken.ts", "3/3 /models/c.ts"});
  CHECK(r.models.added == std::vector<std::string>{"/models/b.ts", "/models/c.ts"});
  CHECK(hasProblem(report, Severity::Error, "/models/broken.ts", 0, "not a TorchScript model"));
  CHECK(hasProblem(report, Severity::Error, "", 0, "song 5 part 'D' uses this model"));

  REQUIRE(r.player.start());
  REQUIRE(r.player.nextPart());  // same model: no switch
  CHECK(r.models.selects.empty());
  REQUIRE(r.player.nextPart());  // C on b
  REQUIRE(r.models.selects.size() == 1);
  CHECK(r.models.selects[0].slot == 1);
  CHECK(r.models.selects[0].crossfadeMs == 180.0);
  REQUIRE(r.player.nextPart());  // D on the broken model: parameters apply, model stays
  CHECK(r.models.selects.size() == 1);
  CHECK(r.get("energy") == Approx(0.4f));
  CHECK(r.messages.back().find("did not load, so the current model keeps playing") != std::string::npos);
  REQUIRE(r.player.nextPart());  // E on c
  REQUIRE(r.models.selects.size() == 2);
  CHECK(r.models.selects[1].slot == 2);
  REQUIRE(r.player.gotoSong(1));  // back to the model that played first
  REQUIRE(r.models.selects.size() == 3);
  CHECK(r.models.selects[2].slot == 0);

  // When the engine refuses a switch the show goes on: parameters apply, the reason shows.
  r.models.refuseSelect = true;
  REQUIRE(r.player.gotoSong(2));
  CHECK(r.get("energy") == Approx(0.3f));
  CHECK(r.messages.back() == "cannot switch now");
  CHECK(r.player.modelPlaying() == "/models/a.ts");
}

TEST_CASE("a part's style, patterns, modulation and mapping reach their subsystems", "[sets]") {
  Rig r;
  SetList set = threeSongs();
  Preset& p = set.songs[0].parts[1].preset;
  p.style = {"/audio/a.wav", "/audio/b.wav"};
  p.patterns = {{3, 2, {{0.5f, -0.5f}}}};
  p.modulation = {route("lfo1>energy:0.5")};
  p.mapping = "/maps/foot.toml";
  REQUIRE(r.player.adopt(set));
  StyleAnchors style;
  std::vector<PatternSlot> patterns;
  std::vector<ModRoute> routes;
  std::string mapping = "unset";
  r.hooks.applyStyle = [&](const StyleAnchors& s) { style = s; };
  r.hooks.applyPatterns = [&](const std::vector<PatternSlot>& s) { patterns = s; };
  r.hooks.applyModulation = [&](const std::vector<ModRoute>& m) { routes = m; };
  r.hooks.applyMapping = [&](const std::string& m) { mapping = m; };
  REQUIRE(r.player.gotoPart(0, 1));
  CHECK(style == p.style);
  CHECK(patterns == p.patterns);
  CHECK(routes == p.modulation);
  CHECK(mapping == "/maps/foot.toml");
  // Saving the live state records those sections: from the capture hooks when set, else
  // as last applied.
  CHECK(r.player.captureLive(false).patterns == p.patterns);
  r.hooks.capturePatterns = [] { return std::vector<PatternSlot>{{1, 1, {{0.25f}}}}; };
  CHECK(r.player.captureLive(false).patterns[0].slot == 1);
  // A subsystem that sets its hook after the part was applied gets it on resend.
  std::vector<ModRoute> late;
  r.hooks.applyModulation = [&](const std::vector<ModRoute>& m) { late = m; };
  r.player.resendSections();
  CHECK(late == p.modulation);
  REQUIRE(r.player.gotoPart(0, 0));  // a part without them clears them
  CHECK(style.empty());
  CHECK(patterns.empty());
  CHECK(mapping.empty());
}

TEST_CASE("saving the live state: as a preset, into the current part, as a new part, edits reload equal",
          "[sets]") {
  const std::string dir = tempDir();
  writeText(dir + "/m.ts", "model");
  writeText(dir + "/verse.toml", "format = 1\nname = \"Verse\"\nmodel = \"m.ts\"\n[params]\nenergy = 0.3\n");
  writeText(dir + "/gig.toml",
            "format = 1\n[[song]]\nname = \"S\"\n[[song.part]]\nname = \"Verse\"\npreset = \"verse.toml\"\n"
            "[[song.part]]\nname = \"Drop\"\n[song.part.preset]\nmodel = \"m.ts\"\n[song.part.preset.params]\n"
            "energy = 0.9\n");
  Rig r;
  LoadReport report;
  REQUIRE(r.player.load(dir + "/gig.toml", report));
  INFO(report.text());
  r.player.registerPlayingModel(dir + "/m.ts");
  REQUIRE(r.player.start());
  r.player.tick(Clock::now() + std::chrono::seconds(1));

  // The performer tweaks the verse and stores it: the preset file changes on disk.
  r.reg->setById("chaos", 0.6f);
  r.reg->setById("input.gain", 9.f);  // venue: not part of a preset
  REQUIRE(r.player.updateCurrentPart() == "");
  LoadReport r1;
  const auto verse = loadPreset(dir + "/verse.toml", r1, PresetChecks{r.reg.get()});
  INFO(r1.text());
  REQUIRE(verse);
  CHECK(verse->name == "Verse");
  CHECK(verse->params.at("chaos") == 0.6f);
  CHECK(verse->params.at("energy") == Approx(0.3f));
  CHECK(verse->params.count("input.gain") == 0);
  CHECK(verse->model == dir + "/m.ts");

  // Save as a new preset file.
  REQUIRE(r.player.savePresetAs(dir + "/mine.toml", "Mine") == "");
  LoadReport r2;
  const auto mine = loadPreset(dir + "/mine.toml", r2, PresetChecks{r.reg.get()});
  REQUIRE(mine);
  CHECK(mine->name == "Mine");
  CHECK(mine->params.at("chaos") == 0.6f);

  // The inline Drop: updating it rewrites the set list.
  REQUIRE(r.player.nextPart());
  r.player.tick(Clock::now() + std::chrono::seconds(1));
  r.reg->setById("texture", 0.7f);
  REQUIRE(r.player.updateCurrentPart() == "");
  // A new part from the live state, then the set list saved: it all reloads equal.
  r.reg->setById("energy", 0.15f);
  REQUIRE(r.player.addPartFromLive("Breakdown") == "");
  CHECK(r.player.currentPart()->name == "Breakdown");
  REQUIRE(r.player.saveSet() == "");
  LoadReport r3;
  const auto again = loadSetList(dir + "/gig.toml", r3, r.reg.get());
  INFO(r3.text() << readFile(dir + "/gig.toml"));
  REQUIRE(again);
  CHECK(r3.empty());
  CHECK(*again == *r.player.set());
  REQUIRE(again->songs[0].parts.size() == 3);
  CHECK(again->songs[0].parts[1].preset.params.at("texture") == 0.7f);
  CHECK(again->songs[0].parts[2].name == "Breakdown");
  CHECK(again->songs[0].parts[2].preset.params.at("energy") == 0.15f);
  CHECK(again->songs[0].parts[0].presetFile == dir + "/verse.toml");  // still a reference
}

TEST_CASE("the preset shelf: SelectPreset N applies preset N without touching the set position", "[sets]") {
  Rig r;
  Preset calm, wild;
  calm.name = "Calm";
  calm.params = {{"energy", 0.2f}};
  wild.name = "Wild";
  wild.params = {{"energy", 0.9f}, {"chaos", 1.f}};
  wild.rampMs = 0.0;
  calm.rampMs = 0.0;
  r.player.setShelf({calm, wild});
  // Numbered from 1, as on the screen, the keys, OSC and mappings (issue 21 #4).
  REQUIRE(r.player.selectPreset(2));
  CHECK(r.get("chaos") == 1.f);
  CHECK(r.player.nowText() == "preset 'Wild'");
  CHECK(r.messages.back() == "preset 2 'Wild'");
  REQUIRE(r.player.selectPreset(1));
  CHECK(r.get("energy") == Approx(0.2f));
  CHECK(r.get("chaos") == 0.f);
  CHECK_FALSE(r.player.selectPreset(3));
  CHECK(r.messages.back().find("there is no preset 3: the presets are 1 .. 2") != std::string::npos);
  CHECK_FALSE(r.player.selectPreset(0));
}

TEST_CASE("a model that was not preloaded loads off the control thread, the switch follows if still wanted",
          "[sets]") {
  Rig r;
  SetList set = threeSongs();
  set.crossfadeMs = 120;
  set.songs[0].parts[1].preset.model = "/models/late.ts";
  set.songs[1].parts[0].preset.model = "/models/later.ts";
  REQUIRE(r.player.adopt(set));
  r.player.registerPlayingModel("/models/a.ts");
  REQUIRE(r.player.start());
  // No prepareModels: the part's model is asked for during the show.
  REQUIRE(r.player.nextPart());
  CHECK(r.models.selects.empty());  // nothing waits for the load: the old model plays on
  CHECK(r.messages.back().find("loading model /models/late.ts (it was not preloaded)") != std::string::npos);
  CHECK(r.get("energy") == Approx(0.2f));  // the part's parameters apply at once
  r.player.tick();  // the load is done: switch
  REQUIRE(r.models.selects.size() == 1);
  CHECK(r.models.selects[0].slot == 1);
  CHECK(r.models.selects[0].crossfadeMs == 120.0);
  CHECK(r.player.modelPlaying() == "/models/late.ts");
  // The set moves on before a load is done: the loaded model is kept for later, not played.
  REQUIRE(r.player.nextPart());  // song 2: "/models/later.ts" starts loading
  REQUIRE(r.player.prevPart());  // back to the part on late.ts, which still plays
  r.player.tick();
  CHECK(r.models.selects.size() == 1);  // later.ts finished loading but is not wanted now
  CHECK(r.player.modelPlaying() == "/models/late.ts");
  REQUIRE(r.player.nextPart());  // asked for again: it is loaded, so the switch is immediate
  REQUIRE(r.models.selects.size() == 2);
  CHECK(r.models.selects[1].slot == 2);
}

TEST_CASE("an LFO's target is saved by parameter id and aims at the same parameter on a model of another size",
          "[sets]") {
  // b.energy (model B's energy) sits after the latent dimensions: its registry index
  // depends on the latent size, so a saved index would aim at another parameter.
  auto small = makeStandardRegistry(4, 2, 4);
  FakeSwitcher modelsA;
  PresetHooks hooksA;
  SetListPlayer playerA(*small, modelsA, hooksA);
  small->setById("lfo.1.target", static_cast<float>(small->indexOf("b.energy")));
  const Preset p = playerA.captureLive(false);
  CHECK(p.paramTargets.at("lfo.1.target") == "b.energy");
  CHECK(p.paramTargets.at("lfo.2.target").empty());  // none
  CHECK(p.params.count("lfo.1.target") == 0);
  auto big = makeStandardRegistry(16, 2, 8);
  REQUIRE(big->indexOf("b.energy") != small->indexOf("b.energy"));
  FakeSwitcher modelsB;
  PresetHooks hooksB;
  SetListPlayer playerB(*big, modelsB, hooksB);
  playerB.restorePreset(p);
  playerB.tick(SetListPlayer::Clock::now() + std::chrono::seconds(1));
  CHECK(big->getById("lfo.1.target") == static_cast<float>(big->indexOf("b.energy")));
  CHECK(big->getById("lfo.2.target") == -1.f);
}

TEST_CASE("a preset captured from the show names a library model by its short name, a file by its path", "[sets][models]") {
  Rig r;
  r.player.registerPlayingModel("/models/drums.ts", "drums");
  Preset live = r.player.captureLive(false);
  CHECK(live.model == "/models/drums.ts");
  CHECK(live.modelName == "drums");
  // The browser (or a part) switches to a library model by name, then to a plain file.
  r.player.playModel("/models/kit.ts", 50.0, "kit");
  r.player.tick();
  live = r.player.captureLive(false);
  CHECK(live.model == "/models/kit.ts");
  CHECK(live.modelName == "kit");
  r.player.playModel("/elsewhere/mine.ts", 50.0);
  r.player.tick();
  live = r.player.captureLive(false);
  CHECK(live.model == "/elsewhere/mine.ts");
  CHECK(live.modelName.empty());
}

TEST_CASE("a part naming model_b plays a blend: preloaded as its own pair, switched to and away, captured", "[sets]") {
  Rig r;
  SetList set = threeSongs();
  set.songs[0].parts[0].preset.model = "/models/synth.ts";
  set.songs[0].parts[1].preset.model = "/models/synth.ts";  // B: synth and drums together
  set.songs[0].parts[1].preset.modelB = "/models/drums.ts";
  set.songs[0].parts[1].preset.modelBName = "drums";
  set.songs[1].parts[0].preset.model = "/models/drums.ts";
  set.songs[2].parts[0].preset.model = "/models/synth.ts";  // the same blend again: one slot
  set.songs[2].parts[0].preset.modelB = "/models/drums.ts";
  set.songs[2].parts[1].preset.model = "/models/synth.ts";  // a partner that does not load
  set.songs[2].parts[1].preset.modelB = "/models/broken.ts";
  REQUIRE(r.player.adopt(set));
  r.player.registerPlayingModel("/models/synth.ts", "synth");
  LoadReport report;
  r.player.prepareModels(nullptr, report);
  CHECK(r.models.added == std::vector<std::string>{"/models/synth.ts + /models/drums.ts", "/models/drums.ts"});
  CHECK(hasProblem(report, Severity::Error, "", 0, "song 5 part 'E' uses this model"));

  REQUIRE(r.player.start());  // A: the synth alone, already playing
  CHECK(r.models.selects.empty());
  REQUIRE(r.player.nextPart());  // B: the blend
  REQUIRE(r.models.selects.size() == 1);
  CHECK(r.models.selects[0].slot == 1);
  CHECK(r.player.modelPlaying() == "/models/synth.ts");
  CHECK(r.player.partnerPlaying() == "/models/drums.ts");
  // What is playing is what a save keeps: both models, by the names they were chosen by.
  const Preset live = r.player.captureLive(false);
  CHECK(live.model == "/models/synth.ts");
  CHECK(live.modelName == "synth");
  CHECK(live.modelB == "/models/drums.ts");
  CHECK(live.modelBName == "drums");
  REQUIRE(r.player.nextPart());  // C: drums alone
  REQUIRE(r.models.selects.size() == 2);
  CHECK(r.models.selects[1].slot == 2);
  CHECK(r.player.partnerPlaying().empty());
  REQUIRE(r.player.gotoSong(5));  // D: the blend again, the same slot
  REQUIRE(r.models.selects.size() == 3);
  CHECK(r.models.selects[2].slot == 1);
  REQUIRE(r.player.nextPart());  // E: its partner failed: the blend plays on, the reason shows
  CHECK(r.models.selects.size() == 3);
  CHECK(r.messages.back().find("did not load together, so the current model keeps playing") != std::string::npos);
  CHECK(r.player.gotoSong(1));  // back to the synth alone: slot 0
  CHECK(r.models.selects.back().slot == 0);
}
