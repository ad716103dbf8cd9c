// Preset and set-list files as a performer meets them: what is saved loads back equal,
// the shipped files load cleanly, and every kind of broken file is reported with its file
// and line, never crashes, and never replaces a good set with nothing.
#include <catch2/catch.hpp>

#include <filesystem>
#include <random>

#include "Parameters.h"
#include "PresetFile.h"
#include "SetList.h"
#include "SetListPlayer.h"
#include "SetsTestSupport.h"
#include "TestSupport.h"

using namespace mm;
using namespace mmtest;
using namespace setstest;
namespace fs = std::filesystem;

namespace {

Preset fullPreset(const std::string& dir) {
  Preset p;
  p.name = "Fat \"Kick\" — Ω";
  p.notes = "line one\nline two\twith a tab and a backslash \\";
  p.model = writeText(dir + "/models/m.ts", "not read by the file layer");
  p.params = {{"energy", 0.8f}, {"chaos", 0.1f}, {"dim.0", -2.5f}, {"dim.0.scale", 1.25f},
              {"lfo.1.rate", 3.3333333f}, {"texture", 1e-7f}, {"bpm", 123.456f}};
  p.paramTargets = {{"lfo.1.target", "dim.3"}, {"lfo.2.target", ""}};  // by id, none
  p.style.a = writeText(dir + "/audio/a.wav", "RIFF");
  p.style.b = writeText(dir + "/audio/b b.wav", "RIFF");
  p.patterns = {{0, 3, {{0.1f, -0.2f, 0.3f}, {1.f / 3, 2.f / 3, -1.f}}}, {5, 3, {{0.f, 0.f, 0.5f}}}};
  p.modulation = {route("lfo1>energy:-0.5:curve=s:smooth=12.5ms"), route("envelope>dim.1:1:curve=exp"),
                  // depth in the target's units (40 BPM), a decay and invert: every option kept
                  route("envelope>bpm:40:decay=50ms:invert"),
                  route("onset>energy:0.123456789:bipolar:curve=s:smooth=0.001ms:decay=333.3ms"),
                  route("cc74>dim.0:-2.5:unipolar:curve=log"), route("trigger7>output.gain:-12:decay=0ms")};
  p.mapping = writeText(dir + "/maps/footswitch.toml", "format = 1\n");
  p.rampMs = 75.5;
  return p;
}

}  // namespace

TEST_CASE("a preset saved and loaded again is equal, every section included", "[sets]") {
  const std::string dir = tempDir();
  fs::create_directories(dir + "/models");
  fs::create_directories(dir + "/audio");
  fs::create_directories(dir + "/maps");
  fs::create_directories(dir + "/presets");
  const Preset p = fullPreset(dir);
  const std::string path = dir + "/presets/fat.toml";
  REQUIRE(savePreset(path, p).empty());
  LoadReport report;
  auto reg = makeStandardRegistry(4);
  const auto back = loadPreset(path, report, PresetChecks{reg.get()});
  INFO(report.text() << readFile(path));
  REQUIRE(back);
  CHECK(report.empty());
  CHECK(*back == p);
  // Paths near the file are written relative so a gig folder can move as a whole.
  CHECK(readFile(path).find("model = \"../models/m.ts\"") != std::string::npos);

  // Moving the whole folder keeps every reference working.
  const std::string moved = tempDir() + "/gig";
  fs::rename(dir, moved);
  LoadReport r2;
  const auto again = loadPreset(moved + "/presets/fat.toml", r2);
  INFO(r2.text());
  REQUIRE(again);
  CHECK(again->model == moved + "/models/m.ts");
  CHECK(again->params == p.params);
}

TEST_CASE("a set list saved and loaded again is equal, file and inline presets alike", "[sets]") {
  const std::string dir = tempDir();
  fs::create_directories(dir + "/models");
  fs::create_directories(dir + "/audio");
  fs::create_directories(dir + "/maps");
  fs::create_directories(dir + "/presets");
  const Preset fat = fullPreset(dir);
  REQUIRE(savePreset(dir + "/presets/fat.toml", fat).empty());

  SetList set;
  set.name = "Friday \"late\" set";
  set.notes = "bring the spare footswitch";
  set.rampMs = 35;
  set.crossfadeMs = 220;
  Song a;
  a.number = 1;
  a.name = "Opener";
  a.tempo = 96.5f;
  a.program = 7;
  a.notes = "soft";
  Part fromFile;
  fromFile.name = "Verse";
  fromFile.presetFile = dir + "/presets/fat.toml";
  fromFile.preset = fat;
  fromFile.program = 130;
  Part inlinePart;
  inlinePart.name = "Chorus";
  inlinePart.rampMs = 300;
  inlinePart.preset.name = "Chorus";
  inlinePart.preset.model = fat.model;
  inlinePart.preset.params = {{"energy", 0.95f}, {"dim.1", 0.5f}};
  inlinePart.preset.patterns = {{2, 2, {{0.5f, -0.5f}}}};
  inlinePart.preset.modulation = {route("lfo2>chaos:0.25:unipolar:curve=log:smooth=5ms")};
  a.parts = {fromFile, inlinePart};
  Song b;
  b.number = 5;
  b.name = "Closer";
  Part only;
  only.name = "All";
  only.preset.name = "All";
  only.preset.params = {{"chaos", 1.f}};
  b.parts = {only};
  set.songs = {a, b};

  const std::string path = dir + "/gig.toml";
  REQUIRE(saveSetList(path, set).empty());
  LoadReport report;
  auto reg = makeStandardRegistry(4);
  const auto back = loadSetList(path, report, reg.get());
  INFO(report.text() << readFile(path));
  REQUIRE(back);
  CHECK(report.empty());
  CHECK(*back == set);
  CHECK(back->path == path);
  CHECK(back->models() == std::vector<std::string>{fat.model});
}

TEST_CASE("the shipped set list and built-in presets load with no problem at all", "[sets]") {
  // Like Mixxx's mapping validation: every shipped file is loaded for real. The bundled
  // model may not be trained yet in this checkout; then a fixture model stands in at the
  // same relative place, so the references themselves are still checked.
  const std::string root = tempDir();
  fs::copy(sourcePath("sets"), root + "/sets", fs::copy_options::recursive);
  fs::create_directories(root + "/models");
  const std::string bundled = sourcePath("models/musicmill_drums.ts");
  fs::copy_file(fs::exists(bundled) ? bundled : fixture("identity_44k.ts"), root + "/models/musicmill_drums.ts");
  auto reg = makeStandardRegistry(8);  // the bundled model's latent size

  LoadReport report;
  const auto set = loadSetList(root + "/sets/examples/demo_gig.toml", report, reg.get());
  INFO(report.text());
  REQUIRE(set);
  CHECK(report.empty());
  REQUIRE(set->songs.size() == 3);
  CHECK(set->songs[0].parts.size() == 2);
  CHECK(set->songs[1].parts.size() == 3);
  CHECK(set->songs[2].parts.size() == 2);
  CHECK(set->partCount() == 7);
  CHECK(set->models() == std::vector<std::string>{root + "/models/musicmill_drums.ts"});
  CHECK(set->songs[1].parts[1].presetFile.empty());  // the inline Drop
  CHECK(set->songs[1].parts[1].program == 20);

  std::map<std::string, Preset> builtin;
  for (const char* name : {"calm", "balanced", "intense", "chaotic"}) {
    LoadReport r;
    auto p = loadPreset(root + "/sets/presets/" + name + ".toml", r, PresetChecks{reg.get()});
    INFO(name << "\n" << r.text());
    REQUIRE(p);
    CHECK(r.empty());
    builtin[name] = *p;
  }
  CHECK(builtin["calm"].params["energy"] < builtin["balanced"].params["energy"]);
  CHECK(builtin["balanced"].params["energy"] < builtin["intense"].params["energy"]);
  CHECK(builtin["calm"].params["chaos"] == 0.f);
  CHECK(builtin["intense"].params["chaos"] > builtin["balanced"].params["chaos"]);
  CHECK(builtin["intense"].params["chaos"] < builtin["chaotic"].params["chaos"]);
  CHECK(builtin["chaotic"].params["chaos"] == 1.f);
  CHECK(builtin["chaotic"].params["texture"] == 1.f);
}

namespace {

// A good two-song set list; line numbers matter to the cases below.
const char* kGoodGig =
    "format = 1\n"             // 1
    "name = \"Gig\"\n"         // 2
    "[[song]]\n"               // 3
    "number = 1\n"             // 4
    "name = \"One\"\n"         // 5
    "tempo = 100\n"            // 6
    "  [[song.part]]\n"        // 7
    "  name = \"A\"\n"         // 8
    "  preset = \"p.toml\"\n"  // 9
    "[[song]]\n"               // 10
    "number = 2\n"             // 11
    "name = \"Two\"\n"         // 12
    "  [[song.part]]\n"        // 13
    "  name = \"B\"\n"         // 14
    "  preset = \"p2.toml\"\n";  // 15

const char* kGoodPreset =
    "format = 1\n"          // 1
    "name = \"P\"\n"        // 2
    "model = \"m.ts\"\n"    // 3
    "[params]\n"            // 4
    "energy = 0.5\n";       // 5

std::string replaceLine(std::string text, int line, const std::string& with) {
  size_t start = 0;
  for (int l = 1; l < line; ++l) start = text.find('\n', start) + 1;
  const size_t end = text.find('\n', start);
  return text.replace(start, end - start, with);
}

struct BadCase {
  std::string name;
  std::string gig;     // the set list being loaded
  std::string preset;  // p2.toml (song 2's preset)
  std::string file;    // the file the message must name
  int line;            // and the line (0: the whole file)
  std::string says;    // words the message must contain
  Severity severity;
  bool fatal;          // the file fails as a whole: the previous set must stay
  int songsAfter;      // otherwise: how many songs load
};

std::vector<BadCase> badCases() {
  const std::string g = kGoodGig, p = kGoodPreset;
  const auto E = Severity::Error, W = Severity::Warning;
  std::string garbage(4096, '\0');
  std::mt19937 rng(5);
  for (auto& c : garbage) c = static_cast<char>(rng());
  garbage.replace(0, 5, std::string("\x7f" "ELF\0", 5));  // an executable's first bytes
  std::string huge = "format = 1\n# " + std::string(9u << 20, 'x') + "\n";
  return {
      {"empty file", "", p, "gig.toml", 1, "empty", E, true, 0},
      {"whitespace only", "\n   \n\t\n", p, "gig.toml", 1, "empty", E, true, 0},
      {"binary garbage", garbage, p, "gig.toml", 1, "binary", E, true, 0},
      {"a very large file", huge, p, "gig.toml", 0, "MiB", E, true, 0},
      {"bad TOML syntax", replaceLine(g, 2, "name = \"Gig"), p, "gig.toml", 2, "TOML syntax", E, true, 0},
      {"wrong format version", replaceLine(g, 1, "format = 2"), p, "gig.toml", 1, "format 2 is not supported", E, true, 0},
      {"missing format", replaceLine(g, 1, "# no format"), p, "gig.toml", 1, "format = 1", E, true, 0},
      {"format of the wrong type", replaceLine(g, 1, "format = \"1\""), p, "gig.toml", 1, "whole number", E, true, 0},
      {"no songs", "format = 1\nname = \"Empty\"\n", p, "gig.toml", 1, "no songs", E, true, 0},
      {"every song broken", replaceLine(replaceLine(g, 9, "preset = \"x.toml\""), 15, "preset = \"y.toml\""), p,
       "gig.toml", 0, "none of its songs", E, true, 0},
      {"wrong type: tempo as text", replaceLine(g, 6, "tempo = \"fast\""), p, "gig.toml", 6, "must be a number", E,
       false, 2},
      {"negative tempo", replaceLine(g, 6, "tempo = -120"), p, "gig.toml", 6, "out of range", E, false, 2},
      {"NaN tempo", replaceLine(g, 6, "tempo = nan"), p, "gig.toml", 6, "nan", E, false, 2},
      {"duplicate song numbers", replaceLine(g, 11, "number = 1"), p, "gig.toml", 10, "used twice", E, false, 1},
      {"duplicate song names", replaceLine(g, 12, "name = \"One\""), p, "gig.toml", 10, "name 'One' is used twice", E,
       false, 1},
      {"song number of the wrong type", replaceLine(g, 11, "number = \"two\""), p, "gig.toml", 11, "whole number", E,
       false, 1},
      {"unknown key (a warning)", replaceLine(g, 6, "colour = \"red\""), p, "gig.toml", 6, "unknown key 'colour'", W,
       false, 2},
      {"part without its required preset", replaceLine(g, 15, "# no preset"), p, "gig.toml", 13, "has no preset", E,
       false, 1},
      {"part naming a missing preset file", replaceLine(g, 15, "preset = \"nope.toml\""), p, "gig.toml", 15,
       "does not exist", E, false, 1},
      {"duplicate program numbers", replaceLine(replaceLine(g, 6, "program = 3"), 11, "number = 2\nprogram = 3"), p,
       "gig.toml", 10, "program 3 is given to both", E, false, 2},
      {"preset: missing model file", g, replaceLine(p, 3, "model = \"gone.ts\""), "p2.toml", 3, "does not exist", E,
       false, 1},
      {"preset: out-of-range value", g, replaceLine(p, 5, "energy = 1.5"), "p2.toml", 5, "out of range", E, false, 2},
      {"preset: NaN value", g, replaceLine(p, 5, "energy = nan"), "p2.toml", 5, "nan", E, false, 2},
      {"preset: value of the wrong type", g, replaceLine(p, 5, "energy = \"loud\""), "p2.toml", 5, "must be a number",
       E, false, 2},
      {"preset: wrong format version", g, replaceLine(p, 1, "format = 7"), "p2.toml", 1, "format 7", E, false, 1},
      {"preset: empty", g, "", "p2.toml", 1, "empty", E, false, 1},
      {"preset: pattern frame of the wrong length", g,
       "format = 1\nmodel = \"m.ts\"\n[[pattern]]\nslot = 0\nframes = [[0.1, 0.2],\n  [0.3]]\n", "p2.toml", 6,
       "has 1 values", E, false, 2},
      {"preset: duplicate pattern slots", g,
       "format = 1\n[[pattern]]\nslot = 1\nframes = [[0.1]]\n[[pattern]]\nslot = 1\nframes = [[0.2]]\n", "p2.toml", 5,
       "appears twice", E, false, 2},
      {"preset: modulation with a bad polarity", g,
       "format = 1\n[[modulation]]\nsource = \"lfo.1\"\ntarget = \"energy\"\ndepth = 0.5\npolarity = \"sideways\"\n",
       "p2.toml", 6, "polarity 'sideways'", E, false, 2},
      {"preset: unknown parameter (a warning)", g, replaceLine(p, 5, "enrgy = 0.5"), "p2.toml", 5,
       "unknown parameter 'enrgy'", W, false, 2},
  };
}

}  // namespace

TEST_CASE("broken set lists and presets: file and line named, no crash, good state kept", "[sets]") {
  auto reg = makeStandardRegistry(4);
  int checked = 0;
  for (const BadCase& c : badCases()) {
    INFO("case: " << c.name);
    const std::string dir = tempDir();
    writeText(dir + "/m.ts", "model bytes");
    writeText(dir + "/p.toml", kGoodPreset);
    writeText(dir + "/p2.toml", c.preset);
    writeText(dir + "/good.toml", replaceLine(kGoodGig, 15, "preset = \"p.toml\""));
    writeText(dir + "/gig.toml", c.gig);

    FakeSwitcher models;
    PresetHooks hooks;
    SetListPlayer player(*reg, models, hooks);
    LoadReport first;
    REQUIRE(player.load(dir + "/good.toml", first));
    REQUIRE(first.empty());
    REQUIRE(player.gotoPart(1, 0));

    LoadReport report;
    const bool loaded = player.load(dir + "/gig.toml", report);
    INFO(report.text());
    CHECK(hasProblem(report, c.severity, c.file, c.line, c.says));
    // The text a performer reads starts with the file and line, like a compiler's.
    bool named = false;
    for (const auto& p : report.problems()) {
      const std::string prefix = dir + "/" + c.file + (c.line ? ":" + std::to_string(c.line) : std::string()) + ":";
      named = named || p.text().rfind(prefix, 0) == 0;
    }
    CHECK(named);
    if (c.fatal) {
      CHECK_FALSE(loaded);
      REQUIRE(player.set());
      CHECK(endsWith(player.set()->path, "/good.toml"));  // the previous set stays
      CHECK(player.songIndex() == 1);
      CHECK(player.set()->songs.size() == 2);
    } else {
      CHECK(loaded);
      REQUIRE(player.set());
      CHECK(endsWith(player.set()->path, "/gig.toml"));
      CHECK(static_cast<int>(player.set()->songs.size()) == c.songsAfter);
      CHECK(player.set()->songs[0].name == "One");  // the good entries all load
      if (c.severity == Severity::Warning) CHECK(report.errorCount() == 0);
    }
    ++checked;
  }
  CHECK(checked >= 15);
}

TEST_CASE("a value dropped for being invalid falls back to the default, the rest of the preset stays", "[sets]") {
  auto reg = makeStandardRegistry(4);
  const std::string dir = tempDir();
  writeText(dir + "/m.ts", "model");
  const std::string path = writeText(dir + "/p.toml",
                                     "format = 1\nmodel = \"m.ts\"\n[params]\nenergy = 1.5\nchaos = 0.25\n"
                                     "dim.0 = 2.0\n\"dim.1\" = -1.0\n[style]\nanchor_a = \"missing.wav\"\n");
  LoadReport report;
  const auto p = loadPreset(path, report, PresetChecks{reg.get()});
  INFO(report.text());
  REQUIRE(p);
  CHECK(p->params.count("energy") == 0);
  CHECK(p->params.at("chaos") == 0.25f);
  CHECK(p->params.at("dim.0") == 2.f);  // unquoted dotted ids are read as the id
  CHECK(p->params.at("dim.1") == -1.f);
  CHECK(p->style.a.empty());
  CHECK(hasProblem(report, Severity::Error, "p.toml", 4, "energy"));
  CHECK(hasProblem(report, Severity::Error, "p.toml", 9, "style anchor 'missing.wav' does not exist"));
  CHECK(report.errorCount() == 2);
}

TEST_CASE("a folder or a missing file given as a set list is refused with a message", "[sets]") {
  const std::string dir = tempDir();
  LoadReport r1, r2;
  CHECK_FALSE(loadSetList(dir, r1));
  CHECK(hasProblem(r1, Severity::Error, dir, 0, "folder"));
  CHECK_FALSE(loadSetList(dir + "/absent.toml", r2));
  CHECK(hasProblem(r2, Severity::Error, "absent.toml", 0, "no such file"));
}

TEST_CASE("a preset's model_b (a blend) survives a save and a reload, and model_b alone is refused with its line",
          "[sets]") {
  const std::string dir = tempDir();
  fs::copy_file(fixture("identity_44k.ts"), dir + "/a.ts");
  fs::copy_file(fixture("half_44k.ts"), dir + "/b.ts");
  Preset p;
  p.name = "Both";
  p.model = dir + "/a.ts";
  p.modelB = dir + "/b.ts";
  p.params = {{"blend.output", 0.3f}};
  REQUIRE(savePreset(dir + "/both.toml", p).empty());
  const std::string text = readFile(dir + "/both.toml");
  CHECK(text.find("model_b = \"b.ts\"") != std::string::npos);
  LoadReport report;
  auto reg = makeStandardRegistry(4, 2, 4);
  const auto back = loadPreset(dir + "/both.toml", report, PresetChecks{reg.get()});
  INFO(report.text() << text);
  REQUIRE(back);
  CHECK(report.empty());
  CHECK(*back == p);

  setstest::writeText(dir + "/lonely.toml", "format = 1\nname = \"B only\"\nmodel_b = \"b.ts\"\n");
  LoadReport r2;
  CHECK_FALSE(loadPreset(dir + "/lonely.toml", r2, PresetChecks{reg.get()}));
  CHECK(hasProblem(r2, Severity::Error, dir + "/lonely.toml", 3, "name the first with `model`"));
  setstest::writeText(dir + "/missing.toml", "format = 1\nmodel = \"a.ts\"\nmodel_b = \"nowhere.ts\"\n");
  LoadReport r3;
  CHECK_FALSE(loadPreset(dir + "/missing.toml", r3, PresetChecks{reg.get()}));
  CHECK(hasProblem(r3, Severity::Error, dir + "/missing.toml", 3, "model_b file 'nowhere.ts' does not exist"));
}
