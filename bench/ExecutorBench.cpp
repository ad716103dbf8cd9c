// mm_bench_executor: one model under the runtime's executors side by side, in one process
// and one run: TorchScript, the native executor (fp32) and the native executor with bf16
// weights (MM_NATIVE_BLAS_ONLY=1 in the environment sends the native executor's deep
// layers through BLAS too, for a run to compare with). Each configuration is
// its own loaded copy; every repetition times `--frames` one-frame encode+decode calls of
// each configuration in turn (order rotated), either back to back or as the live worker
// calls them (`--pace live`: a sleep of the rest of the frame period between calls, so
// every call starts cold). `--idle-ms 0,0.5,2,5` instead sweeps fixed pauses between
// calls, one table each: how fast the caches and predictors a call left warm are lost
// while the worker waits. `--wait spin` busy-waits the pauses instead of sleeping (the
// core stays busy, so it cannot idle or be given to another guest). Prints median
// [min-max] over repetitions of each repetition's median, p99 over all calls, and the
// ratio to the first configuration per repetition.
//
//   build-bench/bench/mm_bench_executor --model M.ts [--reps 5] [--frames 200]
//       [--pace back-to-back|live] [--configs torchscript,native,bf16]
//       [--idle-ms LIST] [--wait sleep|spin]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ModelRuntime.h"

namespace {

std::string arg(int argc, char** argv, const std::string& name, const std::string& def) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == name) return argv[i + 1];
  return def;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

struct Config {
  std::string name;
  std::unique_ptr<mm::ModelRuntime> model;
  std::vector<double> repMedians, all, ratios;
};

}  // namespace

int main(int argc, char** argv) {
  const std::string path = arg(argc, argv, "--model", "");
  if (path.empty()) {
    std::fprintf(stderr,
                 "usage: mm_bench_executor --model M.ts [--reps 5] [--frames 200] [--pace back-to-back|live]\n"
                 "                         [--configs torchscript,native,bf16] [--idle-ms 0,0.5,2,5] [--wait sleep|spin]\n");
    return 2;
  }
  const int reps = std::atoi(arg(argc, argv, "--reps", "5").c_str());
  const int frames = std::atoi(arg(argc, argv, "--frames", "200").c_str());
  const bool live = arg(argc, argv, "--pace", "back-to-back") == "live";
  const std::string idleList = arg(argc, argv, "--idle-ms", "");
  const bool spin = arg(argc, argv, "--wait", "sleep") == "spin";
  std::vector<Config> configs;
  std::stringstream list(arg(argc, argv, "--configs", "torchscript,native,bf16"));
  for (std::string name; std::getline(list, name, ',');) {
    mm::ModelRuntime::Options o;
    o.executor = name == "torchscript" ? mm::ModelRuntime::Options::Executor::TorchScript
                                       : mm::ModelRuntime::Options::Executor::Auto;
    if (name == "bf16") o.weights = mm::ModelRuntime::Options::Weights::Bf16;
    Config c;
    c.name = name;
    try {
      c.model = mm::ModelRuntime::load(path, o);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "mm_bench_executor: %s\n", e.what());
      return 1;
    }
    std::printf("%-12s executor %s: %s\n", name.c_str(), c.model->info().executor.c_str(),
                c.model->info().executorNote.c_str());
    for (const auto& w : c.model->info().warnings) std::printf("             warning: %s\n", w.c_str());
    configs.push_back(std::move(c));
  }
  const mm::ModelInfo& info = configs.front().model->info();
  const int R = info.ratio;
  const double periodMs = 1000.0 * R / info.sampleRate;
  std::vector<float> x(static_cast<size_t>(R) * frames), z(static_cast<size_t>(info.latentSize)),
      y(static_cast<size_t>(R) * info.outChannels);
  uint32_t seed = 5;
  for (size_t k = 0; k < x.size(); ++k) {
    seed = seed * 1664525u + 1013904223u;
    x[k] = 0.3f * std::sin(0.01f * static_cast<float>(k % 100000)) + 0.1f * (static_cast<float>(seed >> 8) / 16777216.f - 0.5f);
  }
  for (auto& c : configs)  // warm-up
    for (int f = 0; f < 10; ++f) {
      c.model->encode(x.data() + static_cast<size_t>(f) * R, R, z.data());
      c.model->decode(z.data(), 1, y.data());
    }
  // The pauses between calls: one table each. Negative: the rest of the frame period (live).
  std::vector<double> pauses;
  if (idleList.empty()) {
    pauses.push_back(live ? -1.0 : 0.0);
  } else {
    std::stringstream in(idleList);
    for (std::string v; std::getline(in, v, ',');) pauses.push_back(std::atof(v.c_str()));
  }
  for (const double pause : pauses) {
    for (auto& c : configs) c.repMedians.clear(), c.all.clear(), c.ratios.clear();
    for (int r = 0; r < reps; ++r) {
      std::vector<double> med(configs.size());
      for (size_t k = 0; k < configs.size(); ++k) {
        Config& c = configs[(k + static_cast<size_t>(r)) % configs.size()];
        std::vector<double> ms;
        for (int f = 0; f < frames; ++f) {
          const auto t0 = std::chrono::steady_clock::now();
          c.model->encode(x.data() + static_cast<size_t>(f) * R, R, z.data());
          c.model->decode(z.data(), 1, y.data());
          const auto t1 = std::chrono::steady_clock::now();
          const double took = std::chrono::duration<double, std::milli>(t1 - t0).count();
          ms.push_back(took);
          const double wait = pause < 0 ? periodMs - took : pause;
          if (wait <= 0) continue;
          const auto until = t1 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                      std::chrono::duration<double, std::milli>(wait));
          if (spin)
            while (std::chrono::steady_clock::now() < until) {
            }
          else
            std::this_thread::sleep_until(until);
        }
        c.all.insert(c.all.end(), ms.begin(), ms.end());
        c.repMedians.push_back(median(ms));
        med[(k + static_cast<size_t>(r)) % configs.size()] = median(ms);
      }
      for (size_t k = 0; k < configs.size(); ++k) configs[k].ratios.push_back(med[0] / med[k]);
    }
    char how[96];
    if (pause < 0)
      std::snprintf(how, sizeof how, "as live (rest of the period %s between calls)", spin ? "spinning" : "asleep");
    else if (pause == 0)
      std::snprintf(how, sizeof how, "back to back");
    else
      std::snprintf(how, sizeof how, "%.2f ms %s between calls", pause, spin ? "spinning" : "asleep");
    std::printf("\n%s: one-frame encode+decode (%d samples, %.2f ms of audio), %s, %d reps x %d frames\n",
                path.substr(path.find_last_of('/') + 1).c_str(), R, periodMs, how, reps, frames);
    std::printf("| configuration | median ms [min-max of reps] | p99 ms | %s / this, per rep |\n",
                configs.front().name.c_str());
    std::printf("|---|---|---|---|\n");
    for (auto& c : configs) {
      std::sort(c.all.begin(), c.all.end());
      const double p99 = c.all[std::min(c.all.size() - 1, static_cast<size_t>(0.99 * static_cast<double>(c.all.size())))];
      std::printf("| %s | %.3f [%.3f-%.3f] | %.3f | %.2fx [%.2f-%.2f] |\n", c.name.c_str(), median(c.repMedians),
                  *std::min_element(c.repMedians.begin(), c.repMedians.end()),
                  *std::max_element(c.repMedians.begin(), c.repMedians.end()), p99, median(c.ratios),
                  *std::min_element(c.ratios.begin(), c.ratios.end()), *std::max_element(c.ratios.begin(), c.ratios.end()));
    }
  }
  return 0;
}
