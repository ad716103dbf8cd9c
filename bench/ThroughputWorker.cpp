// mm_bench_worker: one model under one runtime configuration, driven line by line over
// stdin/stdout by bench/run_bench.py. Several workers (configurations, and the Python
// reference bench/py_throughput.py, which speaks the same protocol) stay loaded side by
// side and the driver interleaves their measurements, so that every ratio is measured
// under the same machine load.
//
//   mm_bench_worker --model M [--threads N] [--graph loaded|frozen|optimized]
//                   [--executor profiling|simple|legacy] [--mkldnn 1|0] [--warmup N]
//                   [--blas-threads N]   (overrides the OpenBLAS pool size the runtime set:
//                                         the "before" of that optimisation)
//                   [--retain-memory 1|0] (ModelRuntime::Options::retainFreedMemory)
//                   [--huge-pages 1|0]    (ModelRuntime::Options::hugePageWeights)
//                   [--sched fifo]       (SCHED_FIFO priority 10 for the measuring thread: what
//                                         a real-time worker thread would see on a busy machine)
//
// Commands (one per line; each answer is one JSON line):
//   info          ratio, latent size, sample rate, parameter count, load time
//   decode F      one decode call of F latent frames (latents made beforehand) -> {"ms":x}
//   encdec F      encode F*R samples, then decode the latents                 -> {"ms":x}
//   stream K      K consecutive one-frame encode+decode calls (the live unit) -> {"ms":[...]}
//   copycheck F   what the runtime adds per decode call of F frames: copying the output
//                 into the caller's buffer and checking it for NaN/Inf         -> {"ms":x}
//   quit
//
// Threads: everything runs on the main thread, which flushes denormals like the live
// inference worker does.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <dlfcn.h>
#include <sched.h>
#include <sys/resource.h>

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <torch/csrc/jit/runtime/graph_executor.h>

#include "ModelRuntime.h"
#include "Realtime.h"

namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// Minor page faults of the calling thread so far (each one a zero-filled page).
long minorFaults() {
  rusage u{};
  ::getrusage(RUSAGE_THREAD, &u);
  return u.ru_minflt;
}

std::string arg(int argc, char** argv, const std::string& name, const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (name == argv[i]) return argv[i + 1];
  return fallback;
}

// Inputs for every size asked for, made once (outside the timed region) and reused.
struct Inputs {
  std::mt19937 rng{1234};
  std::map<int, std::vector<float>> audio, latents;
  std::vector<float> out, z;

  const std::vector<float>& audioFor(int n, int channels) {
    auto& v = audio[n];
    if (v.empty()) {
      std::normal_distribution<float> d(0.f, 0.3f);
      v.resize(static_cast<size_t>(n) * channels);
      for (auto& x : v) x = d(rng);
    }
    return v;
  }
  const std::vector<float>& latentsFor(int frames, int dims) {
    auto& v = latents[frames];
    if (v.empty()) {
      std::normal_distribution<float> d(0.f, 1.f);
      v.resize(static_cast<size_t>(frames) * dims);
      for (auto& x : v) x = d(rng);
    }
    return v;
  }
};

}  // namespace

int main(int argc, char** argv) {
  const std::string model = arg(argc, argv, "--model", "");
  if (model.empty()) {
    std::fprintf(stderr, "usage: mm_bench_worker --model M [--threads N] [--graph loaded|frozen|optimized] "
                         "[--executor profiling|simple|legacy] [--mkldnn 1|0] [--warmup N]\n");
    return 2;
  }
  mm::flushDenormals();
  // Executor choice is process-wide and fixed when a method first runs: set it before load.
  const std::string executor = arg(argc, argv, "--executor", "profiling");
  torch::jit::getExecutorMode() = executor != "legacy";
  torch::jit::getProfilingMode() = executor == "profiling";
  at::globalContext().setUserEnabledMkldnn(arg(argc, argv, "--mkldnn", "1") == "1");

  mm::ModelRuntime::Options opt;
  opt.threads = std::stoi(arg(argc, argv, "--threads", "1"));
  opt.probe = false;  // warm-up is under the driver's control (--warmup)
  opt.retainFreedMemory = arg(argc, argv, "--retain-memory", "1") == "1";
  opt.hugePageWeights = arg(argc, argv, "--huge-pages", "0") == "1";
  const std::string graph = arg(argc, argv, "--graph", "loaded");
  opt.graph = graph == "frozen"      ? mm::ModelRuntime::Options::Graph::Frozen
              : graph == "optimized" ? mm::ModelRuntime::Options::Graph::FrozenOptimized
                                     : mm::ModelRuntime::Options::Graph::AsLoaded;
  const auto t0 = Clock::now();
  std::unique_ptr<mm::ModelRuntime> rt;
  try {
    rt = mm::ModelRuntime::load(model, opt);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mm_bench_worker: %s\n", e.what());
    return 3;
  }
  const double loadMs = msSince(t0);
  if (const std::string b = arg(argc, argv, "--blas-threads", ""); !b.empty()) {
    using SetBlasThreads = void (*)(int);
    if (auto set = reinterpret_cast<SetBlasThreads>(::dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
      set(std::stoi(b));
  }
  if (arg(argc, argv, "--sched", "other") == "fifo") {
    sched_param p{};
    p.sched_priority = 10;
    if (::sched_setscheduler(0, SCHED_FIFO, &p) != 0) {
      std::fprintf(stderr, "mm_bench_worker: SCHED_FIFO refused (needs CAP_SYS_NICE or rtprio limits)\n");
      return 4;
    }
  }
  const mm::ModelInfo info = rt->info();
  const int R = info.ratio, dims = info.latentSize;
  Inputs inputs;

  auto encdec = [&](int frames) {
    const int n = frames * R;
    const auto& x = inputs.audioFor(n, info.inChannels);
    inputs.z.resize(static_cast<size_t>(frames) * dims);
    inputs.out.resize(static_cast<size_t>(n) * info.outChannels);
    const auto t = Clock::now();
    rt->encode(x.data(), n, inputs.z.data());
    rt->decode(inputs.z.data(), frames, inputs.out.data());
    return msSince(t);
  };
  auto decode = [&](int frames) {
    const auto& z = inputs.latentsFor(frames, dims);
    inputs.out.resize(static_cast<size_t>(frames) * R * info.outChannels);
    const auto t = Clock::now();
    rt->decode(z.data(), frames, inputs.out.data());
    return msSince(t);
  };

  // Warm-up before the first measured call (the first calls of a TorchScript method
  // profile and optimise the graph); its per-call times are reported by `info`.
  const int warmup = std::stoi(arg(argc, argv, "--warmup", "0"));
  std::vector<double> warmMs;
  for (int i = 0; i < warmup; ++i) warmMs.push_back(encdec(1));

  std::string line;
  while (std::getline(std::cin, line)) {
    char cmd[32] = {0};
    int n = 0;
    const int got = std::sscanf(line.c_str(), "%31s %d", cmd, &n);
    if (got < 1) continue;
    const std::string c = cmd;
    std::string answer;
    try {
      if (c == "quit") break;
      if (c == "info") {
        answer = "{\"ratio\":" + std::to_string(R) + ",\"latent\":" + std::to_string(dims) +
                 ",\"sr\":" + std::to_string(info.sampleRate) + ",\"params\":" +
                 std::to_string(info.parameterCount) + ",\"load_ms\":" + std::to_string(loadMs) +
                 ",\"warmup_ms\":[";
        for (size_t i = 0; i < warmMs.size(); ++i) answer += (i ? "," : "") + std::to_string(warmMs[i]);
        using GetBlasThreads = int (*)();
        auto get = reinterpret_cast<GetBlasThreads>(::dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
        answer += "],\"huge_pages\":" + std::to_string(rt->hugePagesBackingWeights()) +
                  ",\"threads\":" + std::to_string(at::get_num_threads()) +
                  ",\"blas_threads\":" + std::to_string(get ? get() : -1) + "}";
      } else if (c == "decode" && n > 0) {
        const long f0 = minorFaults();
        const double ms = decode(n);
        answer = "{\"ms\":" + std::to_string(ms) + ",\"faults\":" + std::to_string(minorFaults() - f0) + "}";
      } else if (c == "encdec" && n > 0) {
        const long f0 = minorFaults();
        const double ms = encdec(n);
        answer = "{\"ms\":" + std::to_string(ms) + ",\"faults\":" + std::to_string(minorFaults() - f0) + "}";
      } else if (c == "stream" && n > 0) {
        const long f0 = minorFaults();
        answer = "{\"ms\":[";
        for (int i = 0; i < n; ++i) answer += (i ? "," : "") + std::to_string(encdec(1));
        answer += "],\"faults\":" + std::to_string(static_cast<double>(minorFaults() - f0) / n) + "}";
      } else if (c == "copycheck" && n > 0) {
        // The runtime's own per-call work besides the model: the output copy and the
        // NaN/Inf scan (see ModelRuntime::decode), on an output of the same size.
        const size_t total = static_cast<size_t>(n) * R * info.outChannels;
        std::vector<float> src(total, 0.25f), dst(total);
        const int reps = 1000;
        size_t bad = 0;
        const auto t = Clock::now();
        for (int r = 0; r < reps; ++r) {
          for (size_t i = 0; i < total; ++i) bad += !std::isfinite(src[i]);
          std::memcpy(dst.data(), src.data(), sizeof(float) * total);
          src[r % total] = dst[(r + 1) % total];
        }
        answer = "{\"ms\":" + std::to_string(msSince(t) / reps) + ",\"bad\":" + std::to_string(bad) + "}";
      } else {
        answer = "{\"error\":\"unknown command: " + c + "\"}";
      }
    } catch (const std::exception& e) {
      std::string msg = e.what();
      std::replace(msg.begin(), msg.end(), '"', '\'');
      answer = "{\"error\":\"" + msg + "\"}";
    }
    std::printf("%s\n", answer.c_str());
    std::fflush(stdout);
  }
  return 0;
}
