// Fault injection: what the machine or the stage can do to a running instrument.
#include <catch2/catch.hpp>

#include <mutex>

#include <atomic>

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

#include "AtomicFile.h"
#include "AudioReconnect.h"
#include "JackHarness.h"
#include "LiveEngine.h"
#include "ModelRuntime.h"
#include "Parameters.h"
#include "PresetFile.h"
#include "SetList.h"
#include "TestSupport.h"
#include "TimingCheck.h"
#include "TriggerProfile.h"

using namespace mm;
using namespace mmtest;
namespace fs = std::filesystem;

namespace {

template <class F>
bool waitUntil(F done, double seconds) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

// Plays a 440 Hz tone through the instrument for `seconds` and returns the RMS of the
// second half of what came back.
double toneThrough(double seconds) {
  JackTestClient client("tester", 1, 1, seconds);
  REQUIRE(client.ok());
  REQUIRE(client.connectOut(0, "musicmill:inport 0"));
  REQUIRE(client.connectIn("musicmill:outport 0", 0));
  client.play(0, sine(440.0, client.rate(), seconds, 0.4f));
  client.waitFinished(seconds + 20);
  const auto out = client.recorded(0);
  return rms(out, out.size() / 2, out.size());
}

std::string bytesOf(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// Drives the engine's callback for `seconds` of a 330 Hz sine at real-time pace and
// returns the output RMS of the last half.
double drive(LiveEngine& engine, double seconds) {
  std::vector<float> in(128), out(256);
  const int blocks = static_cast<int>(seconds * 44100 / 128);
  double sum = 0;
  long count = 0;
  for (int k = 0; k < blocks; ++k) {
    for (int i = 0; i < 128; ++i) in[i] = 0.4f * std::sin(2 * M_PI * 330.0 * (k * 128 + i) / 44100.0);
    engine.processBlock(in.data(), out.data(), 128, false);
    if (k >= blocks / 2)
      for (int i = 0; i < 128; ++i, ++count) sum += double(out[2 * i]) * out[2 * i];
    std::this_thread::sleep_for(std::chrono::microseconds(2900));
  }
  return count ? std::sqrt(sum / count) : 0.0;
}

}  // namespace

TEST_CASE("the model file deleted or replaced during a show: the loaded model plays on, panic keeps it",
          "[faults]") {
  const std::string dir = tempDir();
  const std::string path = dir + "/show.ts";
  fs::copy_file(fixture("identity_44k.ts"), path);
  auto reg = makeStandardRegistry(64);
  reg->setById("gate.threshold", -90.f);
  reg->setById("mix.dry_wet", 1.f);
  LiveEngine engine(*reg);
  engine.openWithoutDevice(ModelRuntime::load(path), 44100, 128, 1, 2);
  engine.start();
  const double before = drive(engine, 1.0);
  CHECK(before > 0.1);
  // Panic reloads the model from its file (a fresh streaming state): whatever the file has
  // become, the model that is playing must go on.
  const std::vector<std::pair<std::string, std::function<void()>>> faults = {
      {"replaced by a different model (48 kHz, other latent size)",
       [&] { fs::copy_file(fixture("v2_48k.ts"), path, fs::copy_options::overwrite_existing); }},
      {"replaced by garbage", [&] { std::ofstream(path, std::ios::binary | std::ios::trunc) << "not a model"; }},
      {"deleted", [&] { fs::remove(path); }},
  };
  uint64_t reloads = 0;
  for (const auto& [what, fault] : faults) {
    INFO("model file " << what);
    fault();
    engine.panic();
    const double after = drive(engine, 1.5);
    CHECK(engine.worker()->reloads() == ++reloads);
    CHECK(after == Approx(before).epsilon(0.1));
    CHECK(engine.status().nonFiniteBlocks == 0);
  }
  engine.stop();
}

TEST_CASE("the disk full while saving: every save fails with a message and the saved file is untouched",
          "[faults]") {
  const std::string dir = tempDir();
  // What the performer saved before: a preset, a set list, a trigger profile, a file.
  Preset preset;
  preset.name = "Opener";
  preset.params["energy"] = 0.7f;
  REQUIRE(savePreset(dir + "/opener.toml", preset).empty());
  SetList set;
  set.name = "Gig";
  set.songs.resize(1);
  set.songs[0].number = 1;
  set.songs[0].name = "One";
  set.songs[0].parts.resize(1);
  set.songs[0].parts[0].preset = preset;
  REQUIRE(saveSetList(dir + "/gig.toml", set).empty());
  REQUIRE(saveTriggerProfile(dir + "/voice.toml", starterTriggerProfile()).empty());
  REQUIRE(writeTextAtomically(dir + "/notes.txt", "keep me").empty());
  const std::vector<std::string> files = {"opener.toml", "gig.toml", "voice.toml", "notes.txt"};
  std::vector<std::string> saved;
  for (const auto& f : files) saved.push_back(bytesOf(dir + "/" + f));

  // A child process whose files cannot grow past 16 bytes: write() fails (EFBIG) the way
  // it does on a full disk (ENOSPC), after part of the data went out.
  int pipeFds[2];
  REQUIRE(::pipe(pipeFds) == 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    dieWithParent();
    ::close(pipeFds[0]);
    ::signal(SIGXFSZ, SIG_IGN);
    rlimit lim{16, 16};
    ::setrlimit(RLIMIT_FSIZE, &lim);
    Preset bigger = preset;
    for (int i = 0; i < 50; ++i) bigger.params["dim." + std::to_string(i)] = 0.5f;
    SetList longer = set;
    longer.notes = std::string(4000, 'x');
    std::string messages = savePreset(dir + "/opener.toml", bigger) + "\n" +
                           saveSetList(dir + "/gig.toml", longer) + "\n" +
                           saveTriggerProfile(dir + "/voice.toml", starterTriggerProfile()) + "\n" +
                           writeTextAtomically(dir + "/notes.txt", std::string(10000, 'y')) + "\n";
    (void)!::write(pipeFds[1], messages.data(), messages.size());
    ::_exit(0);
  }
  ::close(pipeFds[1]);
  std::string messages;
  char buf[4096];
  for (ssize_t n; (n = ::read(pipeFds[0], buf, sizeof buf)) > 0;) messages.append(buf, static_cast<size_t>(n));
  ::close(pipeFds[0]);
  int st = 0;
  ::waitpid(pid, &st, 0);
  INFO(messages);
  REQUIRE(WIFEXITED(st));
  for (size_t i = 0; i < files.size(); ++i) {
    INFO(files[i]);
    CHECK(messages.find("cannot save '" + dir + "/" + files[i] + "'") != std::string::npos);
    CHECK(bytesOf(dir + "/" + files[i]) == saved[i]);  // the saved file is exactly as it was
  }
  CHECK(messages.find("the previous file is unchanged") != std::string::npos);
  for (const auto& e : fs::directory_iterator(dir))  // no half-written temporary left behind
    CHECK(e.path().string().find(".tmp-") == std::string::npos);
}

TEST_CASE("the JACK server killed mid-show: the instrument says so, reconnects when it is back, plays on",
          "[faults][jack]") {
  JackServer server(44100, 128);
  REQUIRE(server.ok());
  const std::string report = tempDir() + "/report.json";
  MusicmillProcess mm("perform --headless --audio-api jack --no-connect --report " + report + " --model " +
                      fixture("identity_44k.ts") + " --set mix.dry_wet=1");
  REQUIRE(mm.waitForPorts(60));
  const double before = toneThrough(2.0);
  INFO(mm.output());
  CHECK(before > 0.1);

  server.kill9();  // as a crash would: no goodbye to the clients
  REQUIRE(waitUntil([&] { return mm.output().find("audio server went away") != std::string::npos; }, 20));
  // Nothing to reconnect to for a while: the instrument keeps waiting, it does not exit.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  REQUIRE(server.restart());
  REQUIRE(waitUntil([&] { return mm.output().find("audio: reconnected") != std::string::npos; }, 30));
  REQUIRE(waitUntil([] { return JackTestClient::portExists("musicmill:outport 0"); }, 10));
  const double after = toneThrough(2.0);
  CHECK(after == Approx(before).epsilon(0.1));

  const int status = mm.stop();
  INFO(mm.output());
  CHECK(status == 0);
  const std::string json = readFile(report);
  CHECK(jsonNumber(json, "audio_reconnects") == 1);
}

TEST_CASE("a model that starts producing NaN, or starts throwing, is muted with a message, and plays again when it "
          "recovers",
          "[faults][jack]") {
  struct Breakage {
    const char* fixture;
    const char* counted;  // report key
    const char* said;     // the message the performer sees
  };
  // Each fixture breaks whenever its output would peak above 0.8: one outputs NaN, the
  // other's code raises (a torch::jit::JITException reaches the worker, not a ModelError).
  const Breakage b = GENERATE(Breakage{"nan_when_loud_44k.ts", "non_finite_blocks", "model: the playing model produced NaN/Inf"},
                              Breakage{"throw_when_loud_44k.ts", "model_fault_blocks",
                                       "model: the playing model failed in "});
  INFO(b.fixture);
  JackServer server(44100, 128);
  REQUIRE(server.ok());
  const std::string report = tempDir() + "/report.json";
  MusicmillProcess mm("perform --headless --audio-api jack --no-connect --report " + report + " --model " +
                      fixture(b.fixture) + " --set mix.dry_wet=1 --set gate.threshold=-90");
  REQUIRE(mm.waitForPorts(60));
  JackTestClient client("tester", 1, 1, 9.0);
  REQUIRE(client.ok());
  REQUIRE(client.connectOut(0, "musicmill:inport 0"));
  REQUIRE(client.connectIn("musicmill:outport 0", 0));
  // 3 s quiet, 3 s loud (the model breaks), 3 s quiet again (it recovers).
  std::vector<float> x = sine(330.0, 44100, 9.0, 0.3f);
  for (size_t i = 3 * 44100; i < 6 * 44100; ++i) x[i] *= 0.97f / 0.3f;
  client.play(0, x);
  client.waitFinished(40);
  const auto out = client.recorded(0);
  REQUIRE(out.size() == x.size());
  const int status = mm.stop();
  const std::string log = mm.output(), json = readFile(report);
  INFO(log << json);
  CHECK(status == 0);
  const double quiet = 0.3 / std::sqrt(2.0);
  CHECK(rms(out, 44100, 3 * 44100) == Approx(quiet).epsilon(0.1));
  // Muted (a window of the output timeline: a latency that grew under load shifts it).
  // A late frame crossfades to the dry voice by design (a few ms of the loud input), so
  // the window is judged in 10 ms pieces: at most a tenth may sound (unmuted: all 230).
  const size_t from = static_cast<size_t>(3.5 * 44100), to = static_cast<size_t>(5.8 * 44100), piece = 441;
  int sounding = 0;
  for (size_t i = from; i + piece <= to; i += piece)
    if (rms(out, i, i + piece) > 0.01) ++sounding;
  CHECK(sounding <= 23);
  // Without a late frame nothing at all leaks.
  if (jsonNumber(json, "late_frames") == 0) CHECK_TIMING(rms(out, from, to) < 0.01);
  CHECK(rms(out, static_cast<size_t>(6.5 * 44100), 9 * 44100) == Approx(quiet).epsilon(0.1));  // back
  float peak = 0.f;
  for (float v : out) {
    REQUIRE(std::isfinite(v));  // nothing non-finite ever reaches the speakers
    peak = std::max(peak, std::fabs(v));
  }
  CHECK(peak < 1.0f);
  CHECK(jsonNumber(json, b.counted) > 100);
  CHECK(log.find(b.said) != std::string::npos);
  // Said once, then at most every 5 s: not once a block.
  size_t said = 0;
  for (size_t at = log.find(b.said); at != std::string::npos; at = log.find(b.said, at + 1)) ++said;
  CHECK(said <= 2);
}

TEST_CASE("the audio reconnect policy: said once, a try a second, each reason once, back with the time", "[faults]") {
  using Clock = AudioReconnect::Clock;
  AudioReconnect r;
  const auto t0 = Clock::now();
  std::mutex m;
  std::string answer = "the JACK server is not running";
  std::atomic<int> tries{0};
  std::atomic<std::thread::id> attemptThread{};
  ReopenThread attempts([&] {
    attemptThread = std::this_thread::get_id();
    ++tries;
    std::lock_guard<std::mutex> lock(m);
    return answer;
  });
  auto setAnswer = [&](const std::string& a) {
    std::lock_guard<std::mutex> lock(m);
    answer = a;
  };
  auto playing = [] { return std::string("44100 Hz, buffer 128"); };
  auto at = [&](double s) { return t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s)); };
  // Each attempt runs on the reopen thread; the answer is taken at a later poll.
  auto settle = [&](int wanted) {
    for (int i = 0; i < 2000 && tries.load() < wanted; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  };
  CHECK(r.poll(at(0), false, attempts, playing).empty());  // playing: nothing to do
  auto said = r.poll(at(0.1), true, attempts, playing);
  REQUIRE(said.size() == 1);
  CHECK(said[0].find("the audio server went away") != std::string::npos);
  CHECK(r.poll(at(0.6), true, attempts, playing).empty());  // not a second yet: no try
  CHECK(tries.load() == 0);
  CHECK(r.poll(at(1.2), true, attempts, playing).empty());  // a try starts; the answer comes later
  settle(1);
  CHECK(tries.load() == 1);
  CHECK(attemptThread.load() != std::this_thread::get_id());  // not on the polling thread
  said = r.poll(at(1.25), true, attempts, playing);
  REQUIRE(said.size() == 1);
  CHECK(said[0] == "audio: not reconnected yet: the JACK server is not running");
  CHECK(r.poll(at(2.3), true, attempts, playing).empty());  // next try
  settle(2);
  CHECK(r.poll(at(2.35), true, attempts, playing).empty());  // the same reason: not said again
  CHECK(tries.load() == 2);
  setAnswer("the server runs at 48000 Hz, the show at 44100 Hz");
  r.poll(at(3.4), true, attempts, playing);
  settle(3);
  said = r.poll(at(3.45), true, attempts, playing);
  REQUIRE(said.size() == 1);
  CHECK(said[0].find("48000 Hz") != std::string::npos);
  setAnswer("");
  r.poll(at(4.5), true, attempts, playing);
  settle(4);
  said = r.poll(at(4.55), true, attempts, playing);
  REQUIRE(said.size() == 1);
  CHECK(said[0] == "audio: reconnected after 4 s (44100 Hz, buffer 128); playing again");
  CHECK_FALSE(r.waiting());
  CHECK(r.poll(at(4.6), false, attempts, playing).empty());
  CHECK(tries.load() == 4);
}

TEST_CASE("a reopen attempt that hangs never holds up the polling thread", "[faults]") {
  // An audio server that answers only after 300 ms: every poll meanwhile returns at once.
  std::atomic<bool> release{false};
  ReopenThread attempts([&] {
    while (!release.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return std::string();
  });
  AudioReconnect r;
  const auto t0 = AudioReconnect::Clock::now();
  r.poll(t0, true, attempts, [] { return std::string(); });
  r.poll(t0 + std::chrono::seconds(2), true, attempts, [] { return std::string(); });  // starts the attempt
  double longest = 0;
  std::vector<std::string> said;
  const auto wall = std::chrono::steady_clock::now();
  for (int i = 0; said.empty() && i < 5000; ++i) {
    if (std::chrono::steady_clock::now() - wall > std::chrono::milliseconds(300)) release = true;
    const auto a = std::chrono::steady_clock::now();
    said = r.poll(t0 + std::chrono::seconds(3), true, attempts, [] { return std::string("back"); });
    longest = std::max(longest, std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count());
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  REQUIRE(said.size() == 1);
  CHECK(said[0].find("reconnected") != std::string::npos);
  WARN("longest poll while the attempt hung: " << longest * 1000 << " ms");
  CHECK(longest < 0.1);  // the attempt hung 300 ms; a poll never waited for it
}

TEST_CASE("the test harness tells the leak checker's own crash from a leak report", "[faults][harness]") {
  // What LeakSanitizer printed when its tracer crashed at a UI process's exit in CI.
  const std::string tracerCrash =
      "musicmill: UI 1024x768 on a 1024x768 display\n"
      "Tracer caught signal 11: addr=0x6b350 pc=0x55f0c329f1da sp=0x7f4a6f077d40\n"
      "==11916==LeakSanitizer has encountered a fatal error.\n"
      "==11916==HINT: LeakSanitizer does not work under ptrace (strace, gdb, etc)\n";
  CHECK(mmtest::leakCheckerCrashed(tracerCrash));
  // A real finding is never taken for the tool's crash, even with the crash beside it.
  CHECK_FALSE(mmtest::leakCheckerCrashed(tracerCrash + "==11916==ERROR: LeakSanitizer: detected memory leaks\n"));
  CHECK_FALSE(mmtest::leakCheckerCrashed(tracerCrash + "==11916==ERROR: AddressSanitizer: heap-use-after-free\n"));
  CHECK_FALSE(mmtest::leakCheckerCrashed(tracerCrash + "engine/Foo.cpp:3:5: runtime error: signed integer overflow\n"));
  CHECK_FALSE(mmtest::leakCheckerCrashed("musicmill: playing\n"));
  // A clean command is run once, and its status and output come back unchanged.
  const mmtest::CommandResult r = mmtest::runCommand("echo one; exit 3");
  CHECK(r.status == 3);
  CHECK(r.output == "one\n");
}
