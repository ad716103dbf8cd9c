// The command line as a performer types it the night before a gig: a typo in a command or
// an option, a missing value or a stray word is refused with exit status 2 and a
// suggestion, before anything starts; `musicmill check` finds every problem of the files a
// show would load, with the file and the line, without starting a show.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "Cli.h"
#include "SetsTestSupport.h"
#include "TestSupport.h"

using namespace mm;
using namespace mmtest;
namespace fs = std::filesystem;

namespace {

Args parse(std::vector<std::string> words) {
  std::vector<char*> argv;
  static std::string prog = "musicmill";
  argv.push_back(prog.data());
  for (auto& w : words) argv.push_back(w.data());
  return parseArgs(static_cast<int>(argv.size()), argv.data());
}

std::string usageError(std::vector<std::string> words) {
  try {
    parse(std::move(words));
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("every command refuses unknown options, missing values and stray words", "[cli]") {
  CHECK(usageError({"perform", "--headless", "--set-lsit", "gig.toml"}).find("did you mean --set-list?") !=
        std::string::npos);
  CHECK(usageError({"perform", "--mappin", "my.toml"}).find("did you mean --mapping?") != std::string::npos);
  CHECK(usageError({"render", "--bogus-flag", "1"}).find("unknown option --bogus-flag for render") !=
        std::string::npos);
  CHECK(usageError({"inspect", "--jsn"}).find("did you mean --json?") != std::string::npos);
  // An option of another command is unknown here (render has no --headless).
  CHECK(usageError({"render", "--headless"}).find("unknown option --headless") != std::string::npos);
  CHECK(usageError({"perfrom"}).find("did you mean perform?") != std::string::npos);
  CHECK(usageError({"perform", "--mapping"}).find("--mapping needs a value") != std::string::npos);
  CHECK(usageError({"perform", "--mapping", "--headless"}).find("not the option --headless") != std::string::npos);
  CHECK(usageError({"perform", "--headless=yes"}).find("takes no value") != std::string::npos);
  CHECK(usageError({"perform", "--headless", "1"}).find("unexpected argument '1'") != std::string::npos);
  CHECK(usageError({"perform", "-x"}).find("unknown option -x") != std::string::npos);
  CHECK(usageError({"triggers", "lern"}).find("learn, classify or show") != std::string::npos);
  CHECK(usageError({"check"}).find("check needs FILE...") != std::string::npos);

  // What is right parses: repeated options, --key=value, negative numbers as values.
  Args a = parse({"perform", "--mapping", "a.toml", "--mapping=b.toml", "--set", "dim.0=-2", "--headless",
                  "--onset-threshold", "-0.5"});
  CHECK(a.all("mapping") == std::vector<std::string>{"a.toml", "b.toml"});
  CHECK(a.get("set") == std::string("dim.0=-2"));
  CHECK(a.has("headless"));
  CHECK(a.getDouble("onset-threshold", 0) == -0.5);
  a = parse({"triggers", "learn", "--out", "p.toml"});
  CHECK(a.command == "triggers");
  CHECK(a.positional == std::vector<std::string>{"learn"});
  // --help is answered whatever else is on the line.
  CHECK(parse({"perform", "--set-lsit", "x", "--help"}).has("help"));
}

TEST_CASE("every option the commands read is in their tables", "[cli]") {
  // The parser refuses what a command's table lacks, so an option read in the code but
  // missing from the table could never be given. Read the sources for every
  // args.get/has/all/getInt/getDouble("name") and look for the name in the tables.
  std::set<std::string> known;
  for (const CommandSpec& c : commandSpecs())
    for (const OptionSpec& o : c.options) known.insert(o.name);
  const std::regex read(R"re(args\.(?:get|has|all|getInt|getDouble)\("([a-z0-9-]+)")re");
  int reads = 0;
  for (const char* dir : {"perform", "perform/ui"}) {
    for (const auto& entry : fs::directory_iterator(sourcePath(dir))) {
      if (entry.path().extension() != ".cpp") continue;
      std::ifstream in(entry.path());
      std::stringstream text;
      text << in.rdbuf();
      const std::string s = text.str();
      for (std::sregex_iterator it(s.begin(), s.end(), read), end; it != end; ++it, ++reads) {
        INFO(entry.path().filename().string() << " reads --" << (*it)[1]);
        CHECK(known.count((*it)[1]) == 1);
      }
    }
  }
  CHECK(reads > 50);
}

TEST_CASE("the binary refuses a typo with exit status 2 before starting anything", "[cli]") {
  auto r = runCommand(binary() + " perform --headless --audio-api jack --set-lsit gig.toml --duration 1");
  CHECK(r.status == 2);
  CHECK(r.output.find("unknown option --set-lsit for perform; did you mean --set-list?") != std::string::npos);
  CHECK(r.output.find("latency") == std::string::npos);  // no show started
  r = runCommand(binary() + " perform --help");
  CHECK(r.status == 0);
  CHECK(r.output.find("--set-list GIG.toml") != std::string::npos);
  r = runCommand(binary() + " help");
  CHECK(r.status == 0);
  CHECK(r.output.find("check FILE...") != std::string::npos);
}

TEST_CASE("musicmill check reports every problem as FILE:LINE and passes good files", "[cli][sets]") {
  const std::string root = sourcePath(".");
  auto r = runCommand(binary() + " check " + root + "/sets/examples/demo_gig.toml " + root +
                      "/sets/presets/calm.toml " + root + "/mappings/maps/generic_8x8.toml " + root +
                      "/fuzz/corpus/trigger_profile/profile.toml");
  INFO(r.output);
  CHECK(r.status == 0);
  CHECK(r.output.find("0 error(s)") != std::string::npos);
  CHECK(r.output.find("ok as a set list") != std::string::npos);
  CHECK(r.output.find("ok as a MIDI mapping") != std::string::npos);
  CHECK(r.output.find("ok as a trigger profile") != std::string::npos);

  const std::string dir = tempDir();
  const std::string preset = setstest::writeText(dir + "/p.toml",
                                                 "format = 1\nname = \"x\"\n[params]\nenergy = 7\n");
  const std::string mapping = setstest::writeText(
      dir + "/m.toml", "format = 1\nname = \"m\"\n\n[[control]]\ncc = 20\nparam = \"energi\"\n");
  const std::string set = setstest::writeText(
      dir + "/gig.toml", "format = 1\nname = \"g\"\n\n[[song]]\nnumber = 1\nname = \"s\"\n\n[[song.part]]\n"
                         "name = \"a\"\n[song.part.preset]\nmodel = \"" + fixture("nan_output.ts") + "\"\n");
  r = runCommand(binary() + " check " + preset + " " + mapping + " " + set + " " + dir + "/missing.toml");
  INFO(r.output);
  CHECK(r.status == 1);
  CHECK(r.output.find(preset + ":4: error:") != std::string::npos);
  CHECK(r.output.find(mapping + ":6: error:") != std::string::npos);
  CHECK(r.output.find("Did you mean energy") != std::string::npos);
  CHECK(r.output.find(set + ": error: the model") != std::string::npos);
  CHECK(r.output.find("NaN") != std::string::npos);
  CHECK(r.output.find(dir + "/missing.toml: error: there is no such file") != std::string::npos);
}
