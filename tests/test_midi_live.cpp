// LiveMidi without a controller: a preset's own mapping (PresetHooks::applyMapping) is
// added on top of the --mapping files, replaced by the next preset's, and a broken one
// changes nothing; a broken --mapping file stops the start with file:line.
#include <catch2/catch.hpp>

#include "LiveMidi.h"
#include "MidiTestSupport.h"
#include "TestSupport.h"

using namespace mm;
using namespace mmtest;

TEST_CASE("a preset's mapping adds to the session's and a broken one changes nothing", "[midi]") {
  auto reg = makeStandardRegistry(4);
  const std::string dir = tempDir();
  writeText(dir + "/base.toml", "format = 1\n[[control]]\ncc = 7\nparam = \"energy\"\n");
  writeText(dir + "/song.toml", "format = 1\n[[control]]\ncc = 8\nparam = \"chaos\"\n[[control]]\ncc = 9\nparam = \"texture\"\n");
  writeText(dir + "/broken.toml", "format = 1\n[[control]]\ncc = 8\nparam = \"chaos\"\nrange = [0, 5]\n");
  LiveMidiOptions o;
  o.api = "jack";  // no server here: LiveMidi plays on without MIDI input, mappings still load
  o.mappingPaths = {dir + "/base.toml"};
  LiveMidi live(*reg, o);
  std::vector<std::string> said;
  live.onMessage = [&](const std::string& m) { said.push_back(m); };
  REQUIRE(live.start().empty());
  REQUIRE(live.mapper().maps().size() == 1);

  CHECK(live.setPresetMapping(dir + "/song.toml").empty());
  REQUIRE(live.mapper().maps().size() == 2);
  CHECK(live.mapper().maps()[1].bindings.size() == 2);
  CHECK(live.presetMapping() == dir + "/song.toml");

  const std::string err = live.setPresetMapping(dir + "/broken.toml");
  CHECK(err.find(dir + "/broken.toml:5: error: range 5 is outside chaos's range 0 .. 1") != std::string::npos);
  CHECK(live.presetMapping() == dir + "/song.toml");  // the one in use stays
  CHECK(live.mapper().maps().size() == 2);

  CHECK(live.setPresetMapping("").empty());
  CHECK(live.mapper().maps().size() == 1);
  CHECK(live.presetMapping().empty());
}

TEST_CASE("a broken --mapping file stops the start with every problem", "[midi]") {
  auto reg = makeStandardRegistry(4);
  const std::string dir = tempDir();
  writeText(dir + "/a.toml", "format = 1\n[[control]]\ncc = 7\nparam = \"energy\"\nmode = \"hold\"\n");
  LiveMidiOptions o;
  o.api = "jack";
  o.mappingPaths = {dir + "/a.toml", dir + "/missing.toml"};
  LiveMidi live(*reg, o);
  const std::string err = live.start();
  CHECK(err.find(dir + "/a.toml:5: error: mode = \"hold\": use \"trigger\", \"toggle\" or \"momentary\"") != std::string::npos);
  CHECK(err.find(dir + "/missing.toml: error: no such file. Check the path; `musicmill learn") != std::string::npos);
}
