// Mapping files: every shipped mapping loads for real; broken files are refused with the
// file and line of the problem and change nothing; learn's writes keep the rest of the
// file and are atomic.
#include <catch2/catch.hpp>

#include <filesystem>

#include "JackHarness.h"
#include "MappingFile.h"
#include "MidiLearn.h"
#include "MidiMapper.h"
#include "MidiTestSupport.h"
#include "TestSupport.h"

using namespace mm;
using namespace mmtest;
namespace fs = std::filesystem;

namespace {

bool anyContains(const std::vector<std::string>& lines, const std::string& part) {
  for (const auto& l : lines)
    if (l.find(part) != std::string::npos) return true;
  return false;
}

// The report's errors (or warnings) as the performer reads them: "FILE:LINE: error: ...".
std::vector<std::string> texts(const LoadReport& r, Severity s) {
  std::vector<std::string> out;
  for (const Problem& p : r.problems())
    if (p.severity == s) out.push_back(p.text());
  return out;
}

std::vector<std::string> shippedMaps() {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(sourcePath("mappings/maps")))
    if (e.path().extension() == ".toml") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

TEST_CASE("every shipped mapping loads for real", "[midi]") {
  const auto files = shippedMaps();
  REQUIRE(files.size() >= 3);  // generic 8x8 and at least two real controllers
  for (const auto& file : files) {
    DYNAMIC_SECTION(fs::path(file).filename().string()) {
      // With a 16-dimension model every binding resolves: no error, no warning.
      auto reg = makeStandardRegistry(16);
      LoadReport report;
      auto map = loadMappingFile(file, *reg, report);
      INFO(report.text());
      REQUIRE(map);
      CHECK(report.warningCount() == 0);
      CHECK_FALSE(map->name.empty());
      CHECK(map->bindings.size() >= 8);
      // Every binding drives a real parameter or a real action, and the mapper takes it.
      for (const auto& b : map->bindings) {
        if (b.action == MidiAction::None) {
          CHECK(b.paramIndex == reg->indexOf(b.param));
          CHECK(b.paramIndex >= 0);
        }
      }
      MidiMapper mapper(*reg);
      mapper.setMaps({*map});
      CHECK(mapper.maps().size() == 1);

      // With the bundled 4-dimension percussion model, dims beyond 3 are skipped with a
      // warning naming the line, never an error.
      auto small = makeStandardRegistry(4);
      LoadReport smallReport;
      REQUIRE(loadMappingFile(file, *small, smallReport));
      for (const auto& w : texts(smallReport, Severity::Warning)) {
        CHECK(w.find(file + ":") == 0);
        CHECK(w.find("latent dimensions") != std::string::npos);
      }
    }
  }
}

TEST_CASE("broken mapping files are refused with file:line and what to do", "[midi]") {
  auto reg = makeStandardRegistry(8);
  struct Case {
    const char* what;
    std::string text;
    std::string expect;  // ":<line>: <part of the message>"
  };
  const std::vector<Case> cases = {
      {"no format", "[[control]]\ncc = 1\nparam = \"energy\"\n", ":1: missing `format = 2`"},
      {"future format", "format = 3\n", ":1: format = 3 is not a format"},
      {"bad TOML", "format = 1\n[[control]]\ncc = = 7\n", ":3: TOML syntax"},
      {"unknown parameter", "format = 1\n\n[[control]]\ncc = 7\nparam = \"enrgy\"\n",
       ":5: there is no parameter \"enrgy\". Did you mean energy"},
      {"cc out of range", "format = 1\n[[control]]\ncc = 130\nparam = \"energy\"\n", ":3: cc = 130 is out of range; it must lie in 0 .. 127"},
      {"cc as text", "format = 1\n[[control]]\ncc = \"7\"\nparam = \"energy\"\n", ":3: cc must be a whole number"},
      {"two sources", "format = 1\n[[control]]\ncc = 7\nnote = 36\nparam = \"energy\"\n", ":2: [[control]] at line 2 names 2 controls"},
      {"no source", "format = 1\n[[control]]\nparam = \"energy\"\n", ":2: [[control]] at line 2 names no control"},
      {"no target", "format = 1\n[[control]]\ncc = 7\n", ":2: [[control]] at line 2 has no target"},
      {"range outside the parameter", "format = 1\n[[control]]\ncc = 7\nparam = \"energy\"\nrange = [0.0, 2.0]\n",
       ":5: range 2 is outside energy's range 0 .. 1"},
      {"range not a pair", "format = 1\n[[control]]\ncc = 7\nparam = \"energy\"\nrange = 0.5\n",
       ":5: range must be a list of two numbers"},
      {"NaN in a range", "format = 1\n[[control]]\ncc = 7\nparam = \"energy\"\nrange = [nan, 1.0]\n",
       ":5: range's first value is nan; it must be a finite number"},
      {"bad relative mode", "format = 1\n[[control]]\ncc = 7\nrelative = \"twos\"\nparam = \"energy\"\n",
       ":4: relative = \"twos\": use \"twos_complement\""},
      {"relative on a note", "format = 1\n[[control]]\nnote = 7\nrelative = \"binary_offset\"\nparam = \"energy\"\n",
       ":4: relative applies to cc controls only"},
      {"channel 17", "format = 1\n[[control]]\ncc = 7\nchannel = 17\nparam = \"energy\"\n", ":4: channel = 17 is out of range; it must lie in 1 .. 16"},
      {"unknown action", "format = 1\n[[control]]\nnote = 40\naction = \"next\"\n", ":4: action = \"next\": use next_part"},
      {"goto_song without a number", "format = 1\n[[control]]\nnote = 40\naction = \"goto_song\"\n",
       ":2: [[control]] at line 2: action \"goto_song\" needs value = NUMBER"},
      {"[control] instead of [[control]]", "format = 1\n[control]\ncc = 7\nparam = \"energy\"\n",
       ":2: write each control as [[control]]"},
      {"empty file", "\n\n", ":1: the file is empty"},
      {"binary data", std::string("MThd\0\0\0\x06", 8), ":1: contains binary data (a NUL byte)"},
  };
  const std::string dir = tempDir();
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.what) {
      const std::string path = dir + "/broken.toml";
      writeText(path, c.text);
      LoadReport report;
      auto map = loadMappingFile(path, *reg, report);
      INFO(report.text());
      CHECK_FALSE(map);
      // "FILE:LINE: error: what", the form compilers use.
      const size_t colon = c.expect.find(": ");
      CHECK(anyContains(texts(report, Severity::Error),
                        path + c.expect.substr(0, colon) + ": error: " + c.expect.substr(colon + 2)));
    }
  }
  SECTION("a missing file says how to make one") {
    LoadReport report;
    CHECK_FALSE(loadMappingFile(dir + "/nope.toml", *reg, report));
    CHECK(anyContains(texts(report, Severity::Error), "no such file. Check the path; `musicmill learn PARAM --mapping FILE` creates one"));
    CHECK(anyContains(texts(report, Severity::Error), "musicmill learn"));
  }
}

TEST_CASE("unknown keys and missing latent dimensions warn with their line, the rest loads", "[midi]") {
  auto reg = makeStandardRegistry(4);
  LoadReport report;
  auto map = parseMappingText(R"(format = 1
colour = "red"

[[control]]
cc = 7
param = "energy"
sensitivity = 3

[[control]]
cc = 8
param = "dim.6"
)",
                              "w.toml", *reg, report);
  INFO(report.text());
  REQUIRE(map);
  CHECK(report.errorCount() == 0);
  CHECK(map->bindings.size() == 1);
  const auto warnings = texts(report, Severity::Warning);
  CHECK(anyContains(warnings, "w.toml:2: warning: unknown key 'colour'"));
  CHECK(anyContains(warnings, "w.toml:7: warning: unknown key 'sensitivity'"));
  CHECK(anyContains(warnings, "w.toml:11: warning: param \"dim.6\" is skipped: this model has 4 latent dimensions"));
}

TEST_CASE("learn writes atomically, one control drives one thing, keeps comments", "[midi]") {
  auto reg = makeStandardRegistry(8);
  const std::string dir = tempDir();
  const std::string path = dir + "/learned.toml";
  MidiBinding knob;
  knob.source = ControlSource::Cc;
  knob.channel = 0;
  knob.number = 21;
  const MidiBinding energy = learnedBinding(knob, *reg, reg->indexOf("energy"));
  REQUIRE(addBindingToFile(path, energy, *reg).empty());
  LoadReport r1;
  auto m1 = loadMappingFile(path, *reg, r1);
  REQUIRE(m1);
  REQUIRE(m1->bindings.size() == 1);
  CHECK(m1->bindings[0].number == 21);
  CHECK(m1->bindings[0].param == "energy");
  CHECK(m1->bindings[0].takeover == Takeover::Pickup);

  // The performer adds a comment and another control by hand.
  std::string text = readFile(path);
  text += "\n# my fader\n[[control]]\ncc = 22\nparam = \"chaos\"\n";
  writeText(path, text);
  // Learning the same knob for the same parameter again replaces it; learning it for
  // another target replaces that too, and says so (never a second binding, silently).
  MidiBinding relative = knob;
  relative.relative = RelativeMode::TwosComplement;
  std::string notes;
  REQUIRE(addBindingToFile(path, learnedBinding(relative, *reg, reg->indexOf("energy")), *reg, &notes).empty());
  CHECK(notes.empty());
  LoadReport r2;
  auto m2 = loadMappingFile(path, *reg, r2);
  REQUIRE(m2);
  REQUIRE(m2->bindings.size() == 2);
  CHECK(m2->bindings[1].param == "energy");
  CHECK(m2->bindings[1].relative == RelativeMode::TwosComplement);
  REQUIRE(addBindingToFile(path, learnedBinding(knob, *reg, reg->indexOf("texture")), *reg, &notes).empty());
  CHECK(notes.find("replaces CC 21") != std::string::npos);
  CHECK(notes.find("-> energy") != std::string::npos);
  m2 = loadMappingFile(path, *reg, r2);
  INFO(readFile(path));
  REQUIRE(m2);
  REQUIRE(m2->bindings.size() == 2);
  CHECK(m2->bindings[0].param == "chaos");
  CHECK(m2->bindings[1].param == "texture");
  // A second control for a parameter that has one is kept beside it, and named.
  MidiBinding other = knob;
  other.number = 23;
  REQUIRE(addBindingToFile(path, learnedBinding(other, *reg, reg->indexOf("chaos")), *reg, &notes).empty());
  CHECK(notes.find("chaos is also moved by CC 22") != std::string::npos);
  m2 = loadMappingFile(path, *reg, r2);
  REQUIRE(m2);
  CHECK(m2->bindings.size() == 3);
  CHECK(readFile(path).find("# my fader") != std::string::npos);
  // No temporary file is left beside it.
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir)) files += e.is_regular_file();
  CHECK(files == 1);

  // Presets count from 1 (format 2); a format 1 file, which counted from 0, keeps meaning
  // what it meant, also when learn adds to it.
  {
    const std::string old = dir + "/old.toml";
    writeText(old, "format = 1\n[[control]]\nnote = 60\naction = \"select_preset\"\nvalue = 0\n");
    LoadReport r;
    auto m = loadMappingFile(old, *reg, r);
    REQUIRE(m);
    CHECK(m->bindings[0].actionValue == 1);  // the first preset
    MidiBinding pad;
    pad.source = ControlSource::Note;
    pad.channel = 0;
    pad.number = 61;
    REQUIRE(addBindingToFile(old, learnedAction(pad, MidiAction::SelectPreset, 3), *reg).empty());
    CHECK(readFile(old).find("value = 2\n") != std::string::npos);  // preset 3, written as format 1 counts
    m = loadMappingFile(old, *reg, r);
    REQUIRE(m);
    CHECK(m->bindings[1].actionValue == 3);
    writeText(old, "format = 2\n[[control]]\nnote = 60\naction = \"select_preset\"\nvalue = 0\n");
    LoadReport bad;
    CHECK_FALSE(loadMappingFile(old, *reg, bad));
    CHECK(bad.text().find(":2: error: select_preset value = 0: presets count from 1") != std::string::npos);
  }

  // A file the performer broke is not touched.
  writeText(path, "format = 1\n[[control]\n");
  const std::string err = addBindingToFile(path, energy, *reg);
  CHECK(err.find(path + ":2:") != std::string::npos);
  CHECK(readFile(path) == "format = 1\n[[control]\n");
}
