// Saves as a performer relies on them: a save that fails leaves the previous file exactly
// as it was, and autosave keeps every earlier state (it moves, it is never overwritten).
#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <csignal>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "AtomicFile.h"
#include "Autosave.h"
#include "AutosaveWriter.h"
#include "Parameters.h"
#include "PresetFile.h"
#include "SetList.h"
#include "SetsTestSupport.h"
#include "TestSupport.h"

using namespace mm;
using namespace mmtest;
using namespace setstest;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> filesIn(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Limits how large a file this process may write, as a full disk would; restored on exit.
struct FileSizeLimit {
  rlimit old{};
  void (*oldHandler)(int);
  explicit FileSizeLimit(rlim_t bytes) {
    oldHandler = std::signal(SIGXFSZ, SIG_IGN);  // a failing write() then says EFBIG
    getrlimit(RLIMIT_FSIZE, &old);
    rlimit lim = old;
    lim.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &lim);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, oldHandler);
  }
};

Preset bigPreset() {
  Preset p;
  p.name = "Big";
  PatternSlot s;
  s.slot = 0;
  s.dims = 8;
  s.frames.assign(400, std::vector<float>(8, 0.123456f));
  p.patterns = {s};
  return p;
}

}  // namespace

TEST_CASE("a save that fails midway leaves the previous preset file intact and no debris", "[sets]") {
  const std::string dir = tempDir();
  const std::string path = dir + "/verse.toml";
  Preset old;
  old.name = "Verse";
  old.params = {{"energy", 0.3f}};
  REQUIRE(savePreset(path, old).empty());
  const std::string before = readFile(path);
  std::string err;
  {
    FileSizeLimit limit(before.size() + 100);  // the new text is far larger: the write fails
    err = savePreset(path, bigPreset());
  }
  INFO(err);
  CHECK_FALSE(err.empty());
  CHECK(err.find(path) != std::string::npos);
  CHECK(err.find("previous file is unchanged") != std::string::npos);
  CHECK(readFile(path) == before);
  CHECK(filesIn(dir) == std::vector<std::string>{"verse.toml"});
  LoadReport report;
  const auto back = loadPreset(path, report);
  REQUIRE(back);
  CHECK(*back == old);

  // Without the limit the same save succeeds and replaces the file as a whole.
  REQUIRE(savePreset(path, bigPreset()).empty());
  CHECK(filesIn(dir) == std::vector<std::string>{"verse.toml"});
}

TEST_CASE("a set-list save into a folder that cannot take it fails with a message, nothing changes", "[sets]") {
  const std::string dir = tempDir();
  SetList set;
  set.songs.resize(1);
  set.songs[0].number = 1;
  set.songs[0].name = "S";
  set.songs[0].parts.resize(1);
  set.songs[0].parts[0].name = "P";
  const std::string err = saveSetList(dir + "/no/such/folder/gig.toml", set);
  CHECK(err.find(dir + "/no/such/folder/gig.toml") != std::string::npos);
  CHECK(filesIn(dir).empty());
  // A folder where the file should be: the rename fails, the folder and its content stay.
  fs::create_directories(dir + "/gig.toml");
  writeText(dir + "/gig.toml/keep", "x");
  CHECK_FALSE(saveSetList(dir + "/gig.toml", set).empty());
  CHECK(readFile(dir + "/gig.toml/keep") == "x");
  CHECK(filesIn(dir) == std::vector<std::string>{"gig.toml"});
}

TEST_CASE("autosave writes only changed states, on its interval, and keeps the previous session's", "[sets]") {
  const std::string dir = tempDir();
  using Clock = Autosave::Clock;
  LiveState base;
  base.preset.params = {{"energy", 0.4f}};
  const auto t0 = Clock::now();

  // A previous session's autosave (the state a crash left behind).
  {
    Autosave previous(dir, 1.0);
    previous.setBaseline(base);
    LiveState crashed = base;
    crashed.preset.params["energy"] = 0.9f;
    crashed.setList = "/gigs/friday.toml";
    crashed.song = 2;
    crashed.part = 3;
    REQUIRE(previous.saveIfChanged(crashed).empty());
  }
  const std::string crashedText = readFile(dir + "/autosave.toml");
  REQUIRE_FALSE(crashedText.empty());

  Autosave a(dir, 1.0);
  REQUIRE(a.exists());
  CHECK(a.savedAt().size() == 19);  // "YYYY-MM-DD HH:MM:SS"
  a.setBaseline(base);
  LiveState now = base;
  // Unchanged state: nothing written, however long it runs; the old autosave stays put.
  CHECK(a.tick(t0, [&] { return now; }).empty());
  CHECK(a.tick(t0 + std::chrono::seconds(5), [&] { return now; }).empty());
  CHECK(a.writes() == 0);
  CHECK(readFile(dir + "/autosave.toml") == crashedText);

  // A change is written at the next interval, and only then. Modulation routes go with
  // it, every option kept (depth in the target's units, decay, invert, s-curve).
  now.preset.params["energy"] = 0.2f;
  now.preset.modulation = {setstest::route("envelope>bpm:40:decay=50ms:invert"),
                           setstest::route("lfo2>dim.0:-1.75:curve=s:smooth=20ms")};
  CHECK(a.tick(t0 + std::chrono::milliseconds(5500), [&] { return now; }).empty());
  CHECK(a.writes() == 0);
  CHECK(a.tick(t0 + std::chrono::milliseconds(6100), [&] { return now; }).empty());
  CHECK(a.writes() == 1);
  LoadReport report;
  const auto saved = loadLiveState(dir + "/autosave.toml", report);
  REQUIRE(saved);
  CHECK(saved->preset.params.at("energy") == 0.2f);
  CHECK(saved->preset.modulation == now.preset.modulation);
  // ... and the crashed session's state was moved to history/, byte for byte.
  const auto history = filesIn(dir + "/history");
  REQUIRE(history.size() == 1);
  CHECK(readFile(dir + "/history/" + history[0]) == crashedText);
  LoadReport r2;
  const auto old = loadLiveState(dir + "/history/" + history[0], r2);
  REQUIRE(old);
  CHECK(old->preset.params.at("energy") == 0.9f);
  CHECK(old->setList == "/gigs/friday.toml");
  CHECK(old->song == 2);
  CHECK(old->part == 3);

  // Later writes of this session overwrite only its own autosave.
  now.preset.params["energy"] = 0.25f;
  CHECK(a.saveIfChanged(now).empty());
  CHECK(filesIn(dir + "/history").size() == 1);
}

TEST_CASE("autosave into an unusable folder reports once and never throws", "[sets]") {
  const std::string dir = tempDir();
  writeText(dir + "/file", "not a folder");
  Autosave a(dir + "/file/musicmill", 0.5);
  LiveState s;
  s.preset.params = {{"energy", 0.1f}};
  const auto t0 = Autosave::Clock::now();
  CHECK(a.tick(t0, [&] { return s; }).empty());  // the interval has not passed yet
  const std::string first = a.tick(t0 + std::chrono::seconds(1), [&] { return s; });
  CHECK(first.find("autosave: cannot save") != std::string::npos);
  s.preset.params["energy"] = 0.2f;
  CHECK(a.tick(t0 + std::chrono::seconds(2), [&] { return s; }).empty());  // the same failure: not repeated
  CHECK(a.writes() == 0);
}

TEST_CASE("the autosave writer writes on its own thread, newest state wins, each failure said once", "[sets]") {
  using Clock = AutosaveWriter::Clock;
  const std::string dir = tempDir();
  LiveState base;
  base.preset.params = {{"energy", 0.4f}};
  Autosave autosave(dir, 1.0);
  autosave.setBaseline(base);
  LiveState now = base;
  now.preset.params["energy"] = 0.7f;
  const auto t0 = Clock::now();
  {
    AutosaveWriter writer(autosave, 1.0);
    writer.tick(t0, [&] { return now; });  // starts the interval
    writer.tick(t0 + std::chrono::milliseconds(1100), [&] { return now; });
    for (int i = 0; i < 500 && !fs::exists(dir + "/autosave.toml"); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    REQUIRE(fs::exists(dir + "/autosave.toml"));
    writer.stop();
  }
  LoadReport report;
  const auto saved = loadLiveState(dir + "/autosave.toml", report);
  REQUIRE(saved);
  CHECK(saved->preset.params.at("energy") == 0.7f);
  CHECK(autosave.writes() == 1);

  // A folder that cannot be written: the failure comes back as a message, once.
  const std::string blocked = tempDir() + "/file";
  { std::ofstream(blocked) << "a file where the folder should be"; }
  Autosave broken(blocked + "/sub", 1.0);
  broken.setBaseline(base);
  AutosaveWriter writer(broken, 1.0);
  std::vector<std::string> said;
  for (int k = 0; k < 4; ++k) {
    now.preset.params["energy"] = 0.1f * k;
    writer.tick(t0 + std::chrono::milliseconds(1100 * k), [&] { return now; });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    for (const auto& m : writer.takeMessages()) said.push_back(m);
  }
  writer.stop();
  for (const auto& m : writer.takeMessages()) said.push_back(m);
  INFO((said.empty() ? std::string("nothing said") : said[0]));
  CHECK(said.size() == 1);
}
