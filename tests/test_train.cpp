// `musicmill train` (perform/TrainCommand.cpp + models/mm_train.py): from a folder of real
// drum one-shots (a hydrogen kit, with its drumkit.xml, a silent sample and a WAV whose
// header is broken) to a model the instrument loads; resuming after SIGKILL; bad folders
// and options refused before anything is written.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <cmath>
#include <random>
#include <regex>
#include <thread>

#include "AudioFile.h"
#include "JackHarness.h"
#include "TestSupport.h"

using namespace mm;
using namespace mmtest;
namespace fs = std::filesystem;

namespace {

const char* kKit = "/usr/share/hydrogen/data/drumkits/Millo-Drums_v.1";

// The kit's folder as a user's folder of samples, plus a WAV cut inside its header.
std::string makeDataFolder(const std::string& root) {
  const std::string data = root + "/my samples";  // a space, as users name folders
  fs::create_directories(data + "/more");
  for (const auto& e : fs::directory_iterator(kKit)) fs::copy_file(e.path(), data + "/" + e.path().filename().string());
  std::ofstream(data + "/more/broken.wav", std::ios::binary) << std::string("RIFF\x24\x00\x00\x00WAVEfmt ", 16);
  return data;
}

std::string trainCommand(const std::string& data, const std::string& out, const std::string& extra) {
  return binary() + " train --data '" + data + "' --out " + out + " " + extra + " 2>&1";
}

}  // namespace

TEST_CASE("musicmill train: a model from a folder of one-shots, bad files named, inspect and render accept it",
          "[train]") {
  REQUIRE(fs::is_directory(kKit));  // hydrogen-drumkits, installed by scripts/setup.sh
  const std::string root = tempDir(), data = makeDataFolder(root), out = root + "/kit.ts";
  const CommandResult r = runCommand(trainCommand(data, out, "--minutes 2 --ratio 128 --latent 4 --name kit"));
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK(r.output.find("skipped " + data + "/more/broken.wav: ") != std::string::npos);
  CHECK(r.output.find("skipped " + data + "/drumkit.xml: ") != std::string::npos);
  CHECK(r.output.find("skipped " + data + "/emptySample.flac: silent") != std::string::npos);
  CHECK(r.output.find("file(s) used") != std::string::npos);
  CHECK(r.output.find("held-out multi-resolution STFT distance") != std::string::npos);
  // The instrument takes it as it is, with the asked ratio and latent size.
  const CommandResult inspect = runCommand(binary() + " inspect --json " + out);
  INFO(inspect.output);
  REQUIRE(inspect.status == 0);
  CHECK(inspect.output.find("\"ratio\":128") != std::string::npos);
  CHECK(inspect.output.find("\"latent_size\":4") != std::string::npos);
  CHECK(inspect.output.find("\"streaming\":\"yes\"") != std::string::npos);
  AudioBuffer in;
  in.samples = sine(200.0, 44100, 1.5, 0.4f);
  writeAudioFile(root + "/in.wav", in);
  REQUIRE(runCommand(binary() + " render --model " + out + " --in " + root + "/in.wav --out " + root + "/o.wav").status == 0);
  CHECK(readAudioFile(root + "/o.wav").samples.size() == in.samples.size());
  // The report, with what the issue asks of it.
  const std::string report = readFile(root + "/kit.report.json");
  INFO(report);
  for (const char* field : {"\"compute_ms_per_frame\"", "\"real_time\"", "\"held_out_mrstft\"", "\"held_out_onsets\"",
                            "\"f_measure\"", "\"loss_curve\"", "\"held_out_curve\"", "\"export_check\"",
                            "\"train_minutes\"", "\"command\": \"musicmill train --data"})
    CHECK(report.find(field) != std::string::npos);
  CHECK(report.find("\"name\": \"kit\"") != std::string::npos);
  // The command as the shell reads it back: the folder with a space quoted.
  CHECK(report.find("\"command\": \"musicmill train --data '" + data + "' --out ") != std::string::npos);
  const std::string png = readFile(root + "/kit.report.png");
  REQUIRE(png.size() > 1000);
  CHECK(png.compare(1, 3, "PNG") == 0);
}

TEST_CASE("musicmill train: killed with SIGKILL after a checkpoint, the same command resumes and finishes, through "
          "the adversarial phase",
          "[train]") {
  REQUIRE(fs::is_directory(kKit));
  const std::string root = tempDir(), data = makeDataFolder(root), out = root + "/kit.ts";
  const std::string cmd = trainCommand(data, out, "--minutes 1 --latent 4 --checkpoint-seconds 3 --adversarial 0.5");
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::setpgid(0, 0);  // its own group: the kill takes the trainer with it
    ::execl("/bin/sh", "sh", "-c", (cmd + " > " + root + "/first.log").c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::setpgid(pid, pid);
  const std::string ckpt = root + "/kit.train/ckpt_r256_l4.pt";
  bool checkpointed = false;
  for (int i = 0; i < 1200 && !checkpointed; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    checkpointed = fs::exists(ckpt);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ::kill(-pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  INFO(readFile(root + "/first.log"));
  REQUIRE(checkpointed);
  CHECK_FALSE(fs::exists(out));  // it was killed before its export
  const CommandResult again = runCommand(cmd);
  INFO(again.output);
  REQUIRE(again.status == 0);
  std::smatch m;
  REQUIRE(std::regex_search(again.output, m, std::regex("resuming from step ([0-9]+)")));
  CHECK(std::stoi(m[1]) > 0);
  CHECK(again.output.find("audio prepared before is reused") != std::string::npos);
  // The last half of the minute trains against the discriminator (killed before it began).
  CHECK(again.output.find("adversarial phase from step") != std::string::npos);
  CHECK(fs::exists(out));
}

TEST_CASE("musicmill train refuses an empty folder, text files, a missing folder, --ratio 100 and --adversarial 1.5, "
          "writing nothing",
          "[train]") {
  const std::string root = tempDir();
  fs::create_directories(root + "/empty");
  fs::create_directories(root + "/texts");
  std::ofstream(root + "/texts/a.txt") << "not audio\n";
  std::ofstream(root + "/texts/b.md") << "# not audio either\n";
  struct Case {
    std::string args, said;
  };
  for (const Case& c : {Case{"--data " + root + "/empty", "no usable audio in " + root + "/empty (0 file(s)"},
                        Case{"--data " + root + "/texts", "no usable audio in " + root + "/texts (2 file(s), 2 skipped"},
                        Case{"--data " + root + "/nowhere", "--data " + root + "/nowhere: no such folder"},
                        Case{"--data " + std::string(kKit) + " --ratio 100", "--ratio 100: choose 128, 256 or 512"},
                        Case{"--data " + std::string(kKit) + " --adversarial 1.5", "--adversarial must lie in 0 .. 0.9"}}) {
    const CommandResult r = runCommand(binary() + " train " + c.args + " --out " + root + "/m.ts 2>&1");
    INFO(c.args << "\n" << r.output);
    CHECK(r.status != 0);
    CHECK(r.output.find(c.said) != std::string::npos);
    CHECK_FALSE(fs::exists(root + "/m.ts"));
    CHECK_FALSE(fs::exists(root + "/m.train"));
  }
  const CommandResult texts = runCommand(binary() + " train --data " + root + "/texts --out " + root + "/m.ts 2>&1");
  CHECK(texts.output.find("skipped " + root + "/texts/a.txt: ") != std::string::npos);
}

TEST_CASE("musicmill train: Ctrl-C stops it cleanly and keeps the checkpoint", "[train]") {
  REQUIRE(fs::is_directory(kKit));
  const std::string root = tempDir(), data = makeDataFolder(root), out = root + "/kit.ts";
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::setpgid(0, 0);
    const std::string cmd = "exec " + trainCommand(data, out, "--minutes 1 --latent 4 --checkpoint-seconds 2") + " > " +
                            root + "/log";
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::setpgid(pid, pid);
  // Once it trains (its first checkpoint is there), Ctrl-C: SIGINT to its process group,
  // as a terminal sends it.
  for (int i = 0; i < 1200 && !fs::exists(root + "/kit.train/ckpt_r256_l4.pt"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ::kill(-pid, SIGINT);
  int status = 0;
  ::waitpid(pid, &status, 0);
  const std::string log = readFile(root + "/log");
  INFO(log);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 130);
  CHECK(log.find("stopped (Ctrl-C) at step ") != std::string::npos);
  CHECK(log.find("the checkpoint is kept") != std::string::npos);
  CHECK(fs::exists(root + "/kit.train/ckpt_r256_l4.pt"));
  CHECK_FALSE(fs::exists(out));
}

namespace {

// Melodies of a bright harmonic tone (12 partials) with note envelopes, seeded: a folder of
// "synth recordings" a pitched model can learn from.
void writeMelodies(const std::string& dir, int files, unsigned seed) {
  fs::create_directories(dir);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> key(45, 80);
  std::uniform_real_distribution<double> len(0.25, 0.9), gain(0.1, 0.5);
  for (int f = 0; f < files; ++f) {
    AudioBuffer b;
    const int sr = 44100;
    double phase = 0.0;
    while (b.samples.size() < static_cast<size_t>(8 * sr)) {
      const double hz = 440.0 * std::pow(2.0, (key(rng) - 69) / 12.0), seconds = len(rng), g = gain(rng);
      const int n = static_cast<int>(seconds * sr);
      for (int i = 0; i < n; ++i) {
        phase += 2.0 * M_PI * hz / sr;
        double v = 0.0;
        for (int k = 1; k <= 12 && k * hz < sr / 2; ++k) v += std::sin(k * phase) / k;
        const double env = std::min(1.0, i / (0.01 * sr)) * std::min(1.0, (n - i) / (0.03 * sr));
        b.samples.push_back(static_cast<float>(g * env * v));
      }
    }
    writeAudioFile(dir + "/melody" + std::to_string(f) + ".wav", b);
  }
}

double reportNumber(const std::string& report, const std::string& key) {
  std::smatch m;
  if (!std::regex_search(report, m, std::regex("\"" + key + "\": ([-0-9.e]+)"))) return -1.0;
  return std::stod(m[1]);
}

}  // namespace

TEST_CASE("musicmill train --pitched: a synth model whose output follows the input's pitch", "[train]") {
  const std::string root = tempDir();
  writeMelodies(root + "/train", 6, 11);
  writeMelodies(root + "/eval", 2, 12);
  const std::string out = root + "/synth.ts";
  const CommandResult r = runCommand(binary() + " train --data " + root + "/train --eval " + root + "/eval --out " +
                                     out + " --minutes 1 --ratio 512 --latent 6 --pitched 2>&1");
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK(r.output.find("held-out pitch following") != std::string::npos);
  const CommandResult inspect = runCommand(binary() + " inspect --json " + out);
  CHECK(inspect.output.find("\"ratio\":512") != std::string::npos);
  CHECK(inspect.output.find("\"latent_size\":6") != std::string::npos);
  CHECK(inspect.output.find("\"pitch_dim\":0") != std::string::npos);
  CHECK(inspect.output.find("\"loudness_dim\":1") != std::string::npos);
  // Pitch is measured inside the model and played by its oscillators: even a minute's
  // training follows the held-out melodies' pitch (aubio yin on input and output).
  const std::string report = readFile(root + "/synth.report.json");
  INFO(report);
  CHECK(report.find("\"command\": \"musicmill train") != std::string::npos);
  CHECK(report.find("--pitched") != std::string::npos);
  const double cents = reportNumber(report, "median_abs_cents"), voiced = reportNumber(report, "voiced_out_share");
  CHECK(cents >= 0.0);
  CHECK(cents <= 50.0);
  CHECK(voiced >= 0.5);
}

TEST_CASE("musicmill train --stereo: two channels prepared and played back, the side the data leans to kept",
          "[train]") {
  REQUIRE(fs::is_directory(kKit));
  // The kit's hits as stereo files leaning left: the right side 12 dB under the left (a
  // quarter of its level); one file stays mono (it goes to both sides).
  const std::string root = tempDir(), data = root + "/stereo kit";
  fs::create_directories(data);
  int n = 0;
  for (const auto& e : fs::directory_iterator(kKit)) {
    if (e.path().extension() != ".flac" && e.path().extension() != ".wav") continue;
    AudioBuffer a;
    try {
      a = readAudioFile(e.path().string());
    } catch (const std::exception&) {
      continue;
    }
    AudioBuffer s;  // the kit's files are stereo already: their left side, leaning left
    s.sampleRate = a.sampleRate;
    s.channels = n == 0 ? 1 : 2;
    for (long f = 0; f < a.frames(); ++f) {
      const float v = a.samples[static_cast<size_t>(f * a.channels)];
      s.samples.push_back(v);
      if (s.channels == 2) s.samples.push_back(0.25f * v);
    }
    writeAudioFile(data + "/" + e.path().stem().string() + ".wav", s);
    ++n;
  }
  REQUIRE(n >= 5);
  const std::string out = root + "/wide.ts";
  const CommandResult r = runCommand(trainCommand(data, out, "--minutes 1.5 --ratio 128 --latent 4 --stereo"));
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK(r.output.find("stereo out") != std::string::npos);
  const std::string index = readFile(root + "/wide.train/index.json");
  CHECK(index.find("\"channels\":2") != std::string::npos);
  // The instrument sees a stereo model: one input channel (the mic), two out.
  const CommandResult inspect = runCommand(binary() + " inspect --json " + out);
  INFO(inspect.output);
  CHECK(inspect.output.find("\"stereo\":true") != std::string::npos);
  // A trained model is the bundled family: it plays on the native executor, which the
  // load has checked against TorchScript (within 1e-4) on both channels.
  CHECK(inspect.output.find("\"executor\":\"native\"") != std::string::npos);
  const std::string report = readFile(root + "/wide.report.json");
  INFO(report);
  CHECK(report.find("\"channels\": 2") != std::string::npos);
  CHECK(report.find("--stereo") != std::string::npos);
  CHECK(report.find("\"side_to_mid_out\"") != std::string::npos);
  // Rendered, the kit comes out on two channels with the right side quieter than the
  // left, as in the data (0.25 there; a mono model or swapped channels give 1 or 4).
  AudioBuffer in;
  in.sampleRate = 44100;
  for (const auto& e : fs::directory_iterator(data)) {
    const AudioBuffer a = readAudioFile(e.path().string());
    for (long f = 0; f < a.frames(); ++f) in.samples.push_back(a.samples[static_cast<size_t>(f * a.channels)]);
    in.samples.insert(in.samples.end(), 11025, 0.f);
  }
  writeAudioFile(root + "/in.wav", in);
  REQUIRE(runCommand(binary() + " render --model " + out + " --in " + root + "/in.wav --out " + root + "/o.wav")
              .status == 0);
  const AudioBuffer o = readAudioFile(root + "/o.wav");
  REQUIRE(o.channels == 2);
  CHECK(o.frames() == static_cast<long>(in.samples.size()));
  double l = 0, rr = 0;
  for (long f = 0; f < o.frames(); ++f) {
    l += double(o.samples[static_cast<size_t>(2 * f)]) * o.samples[static_cast<size_t>(2 * f)];
    rr += double(o.samples[static_cast<size_t>(2 * f + 1)]) * o.samples[static_cast<size_t>(2 * f + 1)];
  }
  const double ratio = std::sqrt(rr / std::max(l, 1e-12));
  INFO("right/left level " << ratio);
  CHECK(ratio > 0.05);
  CHECK(ratio < 0.6);
}

TEST_CASE("musicmill train: --stereo with --pitched is refused before anything is written", "[train]") {
  const std::string root = tempDir();
  const CommandResult r =
      runCommand(binary() + " train --data " + kKit + " --out " + root + "/m.ts --stereo --pitched 2>&1");
  INFO(r.output);
  CHECK(r.status == 2);
  CHECK(r.output.find("--pitched and --stereo together") != std::string::npos);
  CHECK_FALSE(fs::exists(root + "/m.train"));
}
