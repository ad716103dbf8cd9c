// `musicmill train`: from folders of audio to a model the instrument plays.
//
// This command does what needs the instrument's own audio reading and runtime, the Python
// trainer (models/mm_train.py, Debian's python3-torch, the same torch as LibTorch so its
// exports load) does the training:
//  1. every file under each --data folder (recursively) is read with libsndfile; what it
//     cannot read, what is silent and what is too short is skipped with one line each;
//  2. the audio is prepared once (mono, or two channels with --stereo; the model's rate,
//     trimmed, peak-normalised) into
//     MODEL.train/ beside the output, with a held-out part set aside (seeded: the last
//     tenth of each long recording and a tenth of the short files, or --eval DIR), and
//     reused by later runs on the same files (same paths, sizes and times);
//  3. the trainer runs within --minutes, checkpointing atomically; the same command
//     continues from its checkpoint (Ctrl-C, kill -9);
//  4. the export is loaded here as the instrument loads it (probe, streaming check) and its
//     compute per frame measured; the figure goes into MODEL.report.json.
// Bad input (no folder, nothing usable, a bad option) is refused before anything is
// written.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "AtomicFile.h"
#include "AudioFile.h"
#include "Commands.h"
#include "Json.h"
#include "ModelRuntime.h"
#include "Resampler.h"

extern char** environ;

namespace fs = std::filesystem;

namespace mm {

namespace {

constexpr double kSilentPeak = 0.001;      // -60 dBFS
constexpr double kMinSoundSeconds = 0.02;  // what is left after trimming
constexpr double kLongSeconds = 20.0;      // a recording long enough to hold out its end

struct Source {
  std::string path;
  uint64_t bytes = 0;
  int64_t modified = 0;
};

// Every regular file under the folders (recursively, sorted; hidden names left out).
std::vector<Source> listSources(const std::vector<std::string>& dirs) {
  std::vector<Source> out;
  for (const std::string& d : dirs) {
    std::error_code ec;
    for (fs::recursive_directory_iterator it(d, fs::directory_options::skip_permission_denied, ec), end;
         !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (!name.empty() && name[0] == '.') {
        if (it->is_directory(ec)) it.disable_recursion_pending();
        continue;
      }
      std::error_code fe;
      if (!it->is_regular_file(fe)) continue;
      Source s;
      s.path = it->path().string();
      s.bytes = static_cast<uint64_t>(it->file_size(fe));
      s.modified = static_cast<int64_t>(it->last_write_time(fe).time_since_epoch().count());
      out.push_back(s);
    }
  }
  std::sort(out.begin(), out.end(), [](const Source& a, const Source& b) { return a.path < b.path; });
  return out;
}

// `channels` (1 or 2) interleaved at `rate`, trimmed (below 1 % of the peak at either end),
// peak at -1 dBFS; or empty with `why` saying why the file is not used. Mono: the channels'
// mean. Stereo: a mono file on both sides, of more channels the first two.
std::vector<float> prepare(const std::string& path, int rate, int channels, std::string& why) {
  AudioBuffer a;
  try {
    a = readAudioFile(path);
  } catch (const std::exception& e) {
    why = e.what();
    return {};
  }
  const size_t ch = static_cast<size_t>(std::max(1, a.channels)), oc = static_cast<size_t>(channels);
  const size_t frames = a.samples.size() / ch;
  std::vector<float> x(frames * oc);
  for (size_t f = 0; f < frames; ++f) {
    const float* in = &a.samples[f * ch];
    if (oc == 1) {
      float s = 0;
      for (size_t c = 0; c < ch; ++c) s += in[c];
      x[f] = s / static_cast<float>(ch);
    } else {
      x[2 * f] = in[0];
      x[2 * f + 1] = in[ch > 1 ? 1 : 0];
    }
  }
  if (a.sampleRate != rate && !x.empty()) x = Resampler::convert(x, channels, a.sampleRate, rate);
  float peak = 0;
  for (float v : x) peak = std::max(peak, std::fabs(v));
  if (peak < kSilentPeak) {
    char b[96];
    std::snprintf(b, sizeof b, "silent (peak %.0f dBFS)", peak > 0 ? 20 * std::log10(peak) : -200.0);
    why = b;
    return {};
  }
  auto loud = [&](size_t f) {
    for (size_t c = 0; c < oc; ++c)
      if (std::fabs(x[f * oc + c]) >= 0.01f * peak) return true;
    return false;
  };
  size_t first = 0, last = x.size() / oc;
  while (first < last && !loud(first)) ++first;
  while (last > first && !loud(last - 1)) --last;
  first = first > 32 ? first - 32 : 0;
  if (static_cast<double>(last - first) < kMinSoundSeconds * rate) {
    char b[96];
    std::snprintf(b, sizeof b, "too short (%.0f ms of sound; at least %.0f ms)", 1000.0 * (last - first) / rate,
                  1000 * kMinSoundSeconds);
    why = b;
    return {};
  }
  std::vector<float> out(x.begin() + static_cast<long>(first * oc), x.begin() + static_cast<long>(last * oc));
  const float g = 0.891f / peak;
  for (float& v : out) v *= g;
  return out;
}

std::string hexHash(const std::string& s) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  char b[20];
  std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(h));
  return b;
}

std::string readText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The value of "key": "..." in a JSON text written by this command ("" when absent).
std::string jsonStringField(const std::string& json, const std::string& key) {
  size_t at = json.find("\"" + key + "\"");
  if (at == std::string::npos) return {};
  at += key.size() + 2;
  while (at < json.size() && (json[at] == ' ' || json[at] == ':')) ++at;
  if (at >= json.size() || json[at] != '"') return {};
  const size_t end = json.find('"', at + 1);
  return end == std::string::npos ? std::string() : json.substr(at + 1, end - at - 1);
}

struct Prepared {
  std::vector<float> train, eval;
  std::vector<std::pair<size_t, size_t>> trainPieces, evalPieces;
  std::vector<std::string> skipped;
  int used = 0;
};

// `n` frames of `ch` interleaved channels; pieces are [first frame, frames].
void add(std::vector<float>& audio, std::vector<std::pair<size_t, size_t>>& pieces, const float* x, size_t n,
         size_t ch) {
  pieces.emplace_back(audio.size() / ch, n);
  audio.insert(audio.end(), x, x + n * ch);
}

bool writeFloats(const std::string& path, const std::vector<float>& x) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out.write(reinterpret_cast<const char*>(x.data()), static_cast<std::streamsize>(x.size() * sizeof(float))))
      return false;
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  return !ec;
}

std::string findPython() {
  if (const char* env = std::getenv("MUSICMILL_PYTHON"); env && *env) return env;
  return "/usr/bin/python3";
}

// Runs `argv` and waits. Ctrl-C reaches the trainer through the terminal's process group
// (it checkpoints and stops); here SIGINT is ignored meanwhile and SIGTERM is passed on.
pid_t g_child = -1;
void forwardTerm(int) {
  if (g_child > 0) ::kill(g_child, SIGTERM);
}

int runChild(const std::vector<std::string>& argv) {
  std::vector<char*> cargs;
  for (const std::string& a : argv) cargs.push_back(const_cast<char*>(a.c_str()));
  cargs.push_back(nullptr);
  pid_t pid = -1;
  if (::posix_spawn(&pid, cargs[0], nullptr, nullptr, cargs.data(), environ) != 0) return -1;
  g_child = pid;
  struct sigaction ignore {}, term {}, oldInt {}, oldTerm {};
  ignore.sa_handler = SIG_IGN;
  term.sa_handler = forwardTerm;
  ::sigaction(SIGINT, &ignore, &oldInt);
  ::sigaction(SIGTERM, &term, &oldTerm);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  ::sigaction(SIGINT, &oldInt, nullptr);
  ::sigaction(SIGTERM, &oldTerm, nullptr);
  g_child = -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

}  // namespace

// A path as a shell reads it back: quoted when it holds anything but plain characters (the
// report's `command` must run again as written, also for folders named with spaces).
static std::string shellWord(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+=:,@%") ==
                        std::string::npos)
    return s;
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

int runTrain(const Args& args, const char* argv0) {
  const char* me = "musicmill train: ";
  const std::vector<std::string> dirs = args.all("data");
  const auto out = args.get("out");
  if (dirs.empty() || !out) {
    std::cerr << me << "needs --data DIR (a folder of audio; repeatable) and --out MODEL.ts\n"
              << "  example: musicmill train --data ~/samples/kit --out ~/my_kit.ts --minutes 60\n";
    return 2;
  }
  const int ratio = args.getInt("ratio", 256), latent = args.getInt("latent", 8), rate = args.getInt("rate", 44100);
  const double minutes = args.getDouble("minutes", 60.0);
  const int seed = args.getInt("seed", 1234);
  const double checkpointSeconds = args.getDouble("checkpoint-seconds", 30.0);
  const std::string device = args.get("device", "cpu");
  const double adversarial = args.getDouble("adversarial", 0.0);
  const bool pitched = args.has("pitched");
  const bool stereo = args.has("stereo");
  const int channels = stereo ? 2 : 1;
  if (ratio != 128 && ratio != 256 && ratio != 512) {
    std::cerr << me << "--ratio " << ratio << ": choose 128, 256 or 512 (samples per latent frame: "
              << "2.9, 5.8 or 11.6 ms at 44.1 kHz; smaller is lower latency and more compute)\n";
    return 2;
  }
  if (latent < 1 || latent > 64) {
    std::cerr << me << "--latent " << latent << ": choose 1 .. 64 latent dimensions (8 for drums, 16 for synths)\n";
    return 2;
  }
  if (pitched && latent < 3) {
    std::cerr << me << "--pitched needs --latent 3 or more (pitch and loudness take dims 0 and 1; 16 for synths)\n";
    return 2;
  }
  if (pitched && stereo) {
    std::cerr << me << "--pitched and --stereo together: the pitched family is mono for now (a synth line from "
              << "one voice); train a stereo model without --pitched\n";
    return 2;
  }
  if (rate != 44100 && rate != 48000) {
    std::cerr << me << "--rate " << rate << ": choose 44100 or 48000 Hz\n";
    return 2;
  }
  if (!(minutes > 0) || minutes > 24 * 60) {
    std::cerr << me << "--minutes must lie in 0 .. 1440\n";
    return 2;
  }
  if (!(checkpointSeconds > 0)) {
    std::cerr << me << "--checkpoint-seconds must be positive\n";
    return 2;
  }
  if (!(adversarial >= 0.0 && adversarial <= 0.9)) {
    std::cerr << me << "--adversarial must lie in 0 .. 0.9 (the share of the budget, at its end, trained against "
              << "a discriminator; 0 = reconstruction only)\n";
    return 2;
  }
  if (device != "cpu" && device != "cuda") {
    std::cerr << me << "--device " << device << ": choose cpu or cuda\n";
    return 2;
  }
  const fs::path outPath = fs::absolute(*out);
  if (outPath.extension() != ".ts") {
    std::cerr << me << "--out " << *out << ": name the model file with .ts (a TorchScript export)\n";
    return 2;
  }
  std::error_code ec;
  if (!fs::is_directory(outPath.parent_path(), ec)) {
    std::cerr << me << "--out " << *out << ": the folder " << outPath.parent_path().string() << " does not exist\n";
    return 2;
  }
  std::vector<std::string> evalDirs;
  if (auto e = args.get("eval")) evalDirs.push_back(*e);
  for (const auto& [option, list] : {std::pair<const char*, const std::vector<std::string>*>{"--data ", &dirs}, {"--eval ", &evalDirs}})
    for (const std::string& d : *list)
      if (!fs::is_directory(d, ec)) {
        std::cerr << me << option << d << ": no such folder\n";
        return 2;
      }
  // The trainer and its Python, before any work.
  const std::string python = findPython();
  const std::string script = installedFile(argv0, "models/mm_train.py");
  if (!fs::exists(script, ec)) {
    std::cerr << me << "the trainer " << script << " is missing from this installation\n";
    return 3;
  }
  if (runChild({"/bin/sh", "-c", "'" + python + "' -c 'import torch, numpy' >/dev/null 2>&1"}) != 0) {
    std::cerr << me << "training needs Python 3 with PyTorch and NumPy at " << python
              << " (MUSICMILL_PYTHON names another). On Debian: sudo apt-get install python3-torch python3-numpy "
                 "(scripts/setup.sh installs them); on macOS: pip3 install torch numpy, and set MUSICMILL_PYTHON.\n";
    return 3;
  }

  // --- the audio, prepared once ---
  const std::vector<Source> sources = listSources(dirs), evalSources = listSources(evalDirs);
  std::string sig = std::to_string(rate) + "|" + std::to_string(seed) + (stereo ? "|stereo" : "");
  for (const auto& list : {sources, evalSources}) {
    sig += "|";
    for (const Source& s : list) sig += s.path + ":" + std::to_string(s.bytes) + ":" + std::to_string(s.modified) + ";";
  }
  const std::string signature = hexHash(sig);
  const fs::path prepared = fs::path(outPath).replace_extension(".train");
  const std::string indexPath = (prepared / "index.json").string();
  std::string index = readText(indexPath);
  if (!index.empty() && jsonStringField(index, "signature") == signature && fs::exists(prepared / "train.f32", ec) &&
      fs::exists(prepared / "eval.f32", ec)) {
    std::printf("musicmill train: the audio prepared before is reused (%s: same files, sizes and times)\n",
                prepared.string().c_str());
  } else {
    Prepared p;
    const size_t oc = static_cast<size_t>(channels);
    std::vector<std::vector<float>> shortOnes;
    std::vector<std::string> shortNames;
    auto readAll = [&](const std::vector<Source>& list, bool forEval) {
      for (const Source& s : list) {
        std::string why;
        std::vector<float> x = prepare(s.path, rate, channels, why);
        if (x.empty()) {
          std::printf("skipped %s: %s\n", s.path.c_str(), why.c_str());
          p.skipped.push_back(s.path + ": " + why);
          continue;
        }
        ++p.used;
        const size_t frames = x.size() / oc;
        if (forEval) {
          add(p.eval, p.evalPieces, x.data(), frames, oc);
        } else if (evalDirs.empty() && frames >= static_cast<size_t>(kLongSeconds * rate)) {
          // A long recording: its last tenth (at least 2 s) is held out.
          const size_t held = std::max<size_t>(frames / 10, static_cast<size_t>(2 * rate));
          add(p.train, p.trainPieces, x.data(), frames - held, oc);
          add(p.eval, p.evalPieces, x.data() + (frames - held) * oc, held, oc);
        } else {
          shortOnes.push_back(std::move(x));
          shortNames.push_back(s.path);
        }
      }
    };
    readAll(sources, false);
    const int usedForTraining = p.used;
    readAll(evalSources, true);
    if (usedForTraining == 0) {
      std::cerr << me << "no usable audio in ";
      for (size_t i = 0; i < dirs.size(); ++i) std::cerr << (i ? ", " : "") << dirs[i];
      std::cerr << " (" << sources.size() << " file(s), " << p.skipped.size()
                << " skipped, see above). It reads every file libsndfile reads: WAV, FLAC, AIFF, OGG (and MP3 where "
                   "Debian's libsndfile has it), any rate and channel count, at least 20 ms of sound each.\n";
      return 2;
    }
    // Short files (one-shots): a tenth of them, seeded, held out (when there are 5 or more).
    std::vector<size_t> order(shortOnes.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::mt19937_64 rng(static_cast<uint64_t>(seed));
    std::shuffle(order.begin(), order.end(), rng);
    const size_t heldShort = evalDirs.empty() && shortOnes.size() >= 5 ? std::max<size_t>(1, shortOnes.size() / 10) : 0;
    for (size_t k = 0; k < order.size(); ++k) {
      const auto& x = shortOnes[order[k]];
      if (k < heldShort) add(p.eval, p.evalPieces, x.data(), x.size() / oc, oc);
      else add(p.train, p.trainPieces, x.data(), x.size() / oc, oc);
    }
    const std::string evalFrom = !evalDirs.empty()   ? "--eval " + evalDirs[0]
                                 : p.eval.empty()    ? "none: too little audio to hold out (the training audio is used)"
                                                     : "held out, seeded: the last tenth of each recording over 20 s "
                                                       "and a tenth of the shorter files";
    JsonWriter j;
    j.beginObject()
        .key("signature").value(signature)
        .key("rate").value(rate)
        .key("channels").value(channels)
        .key("seed").value(seed)
        .key("files_used").value(p.used)
        .key("train_minutes").value(static_cast<double>(p.train.size()) / channels / rate / 60.0)
        .key("eval_minutes").value(static_cast<double>(p.eval.size()) / channels / rate / 60.0)
        .key("eval_from").value(evalFrom);
    for (const auto& [name, pieces] : {std::pair{"train", &p.trainPieces}, std::pair{"eval", &p.evalPieces}}) {
      j.key(name).beginArray();
      for (const auto& [o, n] : *pieces)
        j.beginArray().value(static_cast<unsigned long long>(o)).value(static_cast<unsigned long long>(n)).endArray();
      j.endArray();
    }
    j.key("skipped").beginArray();
    for (const std::string& s : p.skipped) j.value(s);
    j.endArray().endObject();
    fs::create_directories(prepared, ec);
    if (ec || !writeFloats((prepared / "train.f32").string(), p.train) ||
        !writeFloats((prepared / "eval.f32").string(), p.eval)) {
      std::cerr << me << "cannot write the prepared audio to " << prepared.string() << "\n";
      return 3;
    }
    writeTextAtomically(indexPath, j.str() + "\n");
    index = readText(indexPath);
    std::printf("musicmill train: %d file(s) used, %.1f min of audio to train on, %.1f min held out (%s); "
                "%zu skipped\n",
                p.used, static_cast<double>(p.train.size()) / channels / rate / 60.0,
                static_cast<double>(p.eval.size()) / channels / rate / 60.0, evalFrom.c_str(), p.skipped.size());
  }
  std::fflush(stdout);

  // --- training (Python) ---
  std::string command = "musicmill train";
  for (const std::string& d : dirs) command += " --data " + shellWord(d);
  command += " --out " + shellWord(*out) + " --minutes " + args.get("minutes", "60") + " --ratio " + std::to_string(ratio) +
             " --latent " + std::to_string(latent) + " --rate " + std::to_string(rate);
  if (!evalDirs.empty()) command += " --eval " + shellWord(evalDirs[0]);
  if (device != "cpu") command += " --device " + device;
  char mins[32], ck[32], adv[32];
  std::snprintf(adv, sizeof adv, "%g", adversarial);
  if (adversarial > 0) command += std::string(" --adversarial ") + adv;
  if (pitched) command += " --pitched";
  if (stereo) command += " --stereo";
  std::snprintf(mins, sizeof mins, "%g", minutes);
  std::snprintf(ck, sizeof ck, "%g", checkpointSeconds);
  std::vector<std::string> argvPy{python, script, "--prepared", prepared.string(), "--out", outPath.string(),
                                  "--minutes", mins, "--ratio", std::to_string(ratio), "--latent",
                                  std::to_string(latent), "--rate", std::to_string(rate), "--device", device,
                                  "--seed", std::to_string(seed), "--checkpoint-seconds", ck, "--adversarial", adv, "--command", command};
  if (auto n = args.get("name")) argvPy.insert(argvPy.end(), {"--name", *n});
  if (args.has("fresh")) argvPy.push_back("--fresh");
  if (pitched) argvPy.push_back("--pitched");
  if (stereo) argvPy.push_back("--stereo");
  const int rc = runChild(argvPy);
  if (rc == 130) return 130;  // stopped: the trainer said so and kept its checkpoint
  if (rc != 0) {
    std::cerr << me << "the trainer stopped with status " << rc << " (see above); its last checkpoint is in "
              << prepared.string() << "\n";
    return 3;
  }

  // --- the export, as the instrument loads it ---
  ModelRuntime::Options mo;
  mo.checkStreaming = true;
  std::unique_ptr<ModelRuntime> model;
  try {
    model = ModelRuntime::load(outPath.string(), mo);
  } catch (const ModelError& e) {
    std::cerr << me << "the exported model does not load: " << e.what() << "\n";
    return 3;
  }
  for (const auto& w : model->info().warnings) std::cerr << me << "warning: " << w << "\n";
  const ModelInfo& i = model->info();
  const double msPerFrame = measureMsPerFrame(*model);
  const double frameMs = 1000.0 * i.ratio / i.sampleRate;
  const std::string reportPath = fs::path(outPath).replace_extension(".report.json").string();
  std::string report = readText(reportPath);
  if (!report.empty() && report[0] == '{') {
    char fields[256];
    std::snprintf(fields, sizeof fields,
                  "{\n \"compute_ms_per_frame\": %.5f,\n \"compute_measured_by\": \"musicmill train (LibTorch, %s, 1 "
                  "thread)\",\n \"real_time\": %s,\n",
                  msPerFrame, i.device.c_str(), msPerFrame < frameMs ? "true" : "false");
    report = fields + report.substr(1);
    writeTextAtomically(reportPath, report);
  }
  std::printf("musicmill train: wrote %s (RAVE v2 interface, %d Hz, ratio %d = %.1f ms a frame, %d latent dims, "
              "%s, streaming %s); compute %.3f ms a frame here (%s)\n"
              "  report: %s and %s\n  play it: musicmill perform --model %s\n",
              outPath.string().c_str(), i.sampleRate, i.ratio, frameMs, i.latentSize,
              i.outChannels == 2 ? "stereo out" : "mono", i.streaming == 1 ? "yes" : "NO", msPerFrame, msPerFrame < frameMs ? "faster than real time" : "TOO SLOW",
              reportPath.c_str(), fs::path(outPath).replace_extension(".report.png").string().c_str(),
              outPath.string().c_str());
  return 0;
}

}  // namespace mm
