// The set-list features through the real `musicmill perform` on a private JACK dummy
// server: a set loads before the show with its problems up front, and after a kill -9 the
// autosaved state is offered and restored while nothing saved earlier is lost.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "Autosave.h"
#include "JackHarness.h"
#include "PresetFile.h"
#include "SetsTestSupport.h"
#include "TestSupport.h"

using namespace mm;
using namespace mmtest;
using namespace setstest;
namespace fs = std::filesystem;

namespace {

const std::string kPerform = " perform --headless --audio-api jack --no-connect ";

// Starts musicmill in the background with its own pid, so the test can kill -9 it.
pid_t spawn(const std::string& args, const std::string& log) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    dieWithParent();
    const std::string cmd = "exec " + binary() + " " + args + " > " + log + " 2>&1";
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

template <class F>
bool waitFor(F done, double seconds) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

std::string gigWithTwoModels(const std::string& dir) {
  writeText(dir + "/first.toml", "format = 1\nmodel = \"" + fixture("identity_44k.ts") +
                                     "\"\n[params]\nenergy = 0.77\nchaos = 0.05\n");
  return writeText(dir + "/gig.toml",
                   "format = 1\n"                                                   // 1
                   "name = \"Live test\"\n"                                         // 2
                   "[[song]]\n"                                                     // 3
                   "name = \"Opener\"\n"                                            // 4
                   "  [[song.part]]\n"                                              // 5
                   "  preset = \"first.toml\"\n"                                    // 6
                   "  [[song.part]]\n"                                              // 7
                   "  preset = { model = \"" + fixture("delay_44k.ts") + "\" }\n"  // 8
                   "[[song]]\n"                                                     // 9
                   "name = \"Broken\"\n"                                            // 10
                   "  [[song.part]]\n"                                              // 11
                   "  preset = \"missing.toml\"\n");                                // 12
}

}  // namespace

TEST_CASE("perform --set-list preloads every model, reports problems up front, plays the first part",
          "[sets][jack]") {
  JackServer server(44100, 128);
  REQUIRE(server.ok());
  const std::string dir = tempDir();
  const std::string gig = gigWithTwoModels(dir);
  const std::string report = dir + "/report.json";
  const auto r = runCommand(binary() + kPerform + "--model " + fixture("identity_44k.ts") + " --set-list " + gig +
                            " --no-autosave --duration 1 --report " + report);
  INFO(r.output);
  CHECK(r.status == 0);
  CHECK(r.output.find("loading model 1/1: " + fixture("delay_44k.ts")) != std::string::npos);
  CHECK(r.output.find(gig + ":12: error: song 2 part 1") != std::string::npos);
  CHECK(r.output.find("missing.toml' does not exist") != std::string::npos);
  CHECK(r.output.find("set 'Live test': 1 songs, 2 parts") != std::string::npos);
  // Loading happens before the show starts.
  CHECK(r.output.find("loading model 1/1") < r.output.find("musicmill: playing"));
  const std::string json = readFile(report);
  CHECK(jsonNumber(json, "energy") == Approx(0.77));
  CHECK(jsonNumber(json, "chaos") == Approx(0.05));

  // A set list that cannot be used at all stops before the show, naming file and line.
  writeText(dir + "/bad.toml", "format = 2\n");
  const auto bad = runCommand(binary() + kPerform + "--model " + fixture("identity_44k.ts") + " --set-list " + dir +
                              "/bad.toml --no-autosave --duration 1");
  INFO(bad.output);
  CHECK(bad.status == 2);
  CHECK(bad.output.find(dir + "/bad.toml:1: error: format 2 is not supported") != std::string::npos);
  CHECK(bad.output.find("musicmill: playing") == std::string::npos);
}

TEST_CASE("after kill -9 the autosaved state is offered, --restore brings it back, nothing saved is lost",
          "[sets][jack]") {
  JackServer server(44100, 128);
  REQUIRE(server.ok());
  const std::string dir = tempDir();
  const std::string autosaveDir = dir + "/autosave";
  const std::string model = " --model " + fixture("identity_44k.ts");
  // Something the performer saved earlier, which nothing may touch.
  Preset mine;
  mine.name = "Mine";
  mine.params = {{"energy", 0.33f}};
  REQUIRE(savePreset(dir + "/mine.toml", mine).empty());
  const std::string mineText = readFile(dir + "/mine.toml");
  const std::string gig = gigWithTwoModels(dir);

  // 1. Play, change parameters, let autosave run, then crash hard.
  const std::string log1 = dir + "/run1.log";
  const pid_t pid = spawn(kPerform + model + " --set-list " + gig + " --autosave-dir " + autosaveDir +
                              " --autosave-seconds 1 --set energy=0.9 --set chaos=0.3",
                          log1);
  const std::string autosave = autosaveDir + "/autosave.toml";
  const bool saved = waitFor(
      [&] {
        LoadReport ignored;
        const auto s = loadLiveState(autosave, ignored);
        return s && s->preset.params.count("energy") && s->preset.params.at("energy") == 0.9f;
      },
      60);
  INFO(readFile(log1));
  REQUIRE(saved);
  CHECK(readFile(log1).find("musicmill: playing") != std::string::npos);
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(WIFSIGNALED(status));
  const std::string crashed = readFile(autosave);
  LoadReport r0;
  const auto state = loadLiveState(autosave, r0);
  REQUIRE(state);  // the file a kill -9 left is whole (atomic writes)
  CHECK(state->preset.params.at("chaos") == 0.3f);
  CHECK(state->setList == gig);
  CHECK(state->song == 1);
  CHECK(state->part == 1);

  // 2. The next start offers it; starting without touching anything leaves it in place.
  const auto offered = runCommand(binary() + kPerform + model + " --autosave-dir " + autosaveDir + " --duration 1");
  INFO(offered.output);
  CHECK(offered.status == 0);
  CHECK(offered.output.find("an autosaved state from " + state->savedAt + " exists: --restore to load it") !=
        std::string::npos);
  CHECK(readFile(autosave) == crashed);

  // 3. --restore: the set list, the position and every value come back.
  const std::string report = dir + "/report.json";
  const auto restored = runCommand(binary() + kPerform + model + " --autosave-dir " + autosaveDir +
                                   " --restore --duration 1 --report " + report);
  INFO(restored.output);
  CHECK(restored.status == 0);
  CHECK(restored.output.find("restoring the state autosaved at " + state->savedAt) != std::string::npos);
  CHECK(restored.output.find("set 'Live test'") != std::string::npos);
  const std::string json = readFile(report);
  CHECK(jsonNumber(json, "energy") == Approx(0.9));
  CHECK(jsonNumber(json, "chaos") == Approx(0.3));

  // 4. Nothing saved was lost: the crashed state is kept in history/, the preset untouched.
  bool kept = false;
  for (const auto& e : fs::directory_iterator(autosaveDir + "/history")) kept = kept || readFile(e.path()) == crashed;
  CHECK(kept);
  CHECK(readFile(dir + "/mine.toml") == mineText);
  LoadReport r1;
  const auto now = loadLiveState(autosave, r1);
  REQUIRE(now);
  CHECK(now->preset.params.at("energy") == 0.9f);
}
