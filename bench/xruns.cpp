// mm_bench_xruns: how many xruns the instrument causes. For each run a private JACK dummy
// server (44.1 kHz, --buffer frames) is measured three ways, one after the other, each
// over --seconds with the same idle probe client counting the server's xruns
// (jack_set_xrun_callback fires for every xrun of the graph):
//   idle      nothing else on the server
//   headless  the real `musicmill perform --headless` playing the model (inputs unconnected)
//   headless-torchscript  the same with `--executor torchscript` (the model through
//             TorchScript even where the native executor would run it: before/after)
//   headless-bf16  the same with `--weights bf16`
//   ui        the same with the fullscreen UI on a private Xvfb of --size (at rest)
//   ui-playing  the same with the demo beatbox take looping as a pattern source, so the
//             model plays and the UI's meters and latent plot move every frame
// The instrument settles for --settle seconds (warm-up, first UI frames) before its
// window. Its own --report gives late frames and the latency it ended at.
//
//   build-bench/bench/mm_bench_xruns [--seconds 30] [--runs 3] [--buffer 128] [--settle 5]
//                                    [--size 1920x1080] [--model PATH]
//                                    [--modes idle,headless,headless-torchscript,headless-bf16,ui,ui-playing]
//
// Target (issue 17): with the instrument playing, at most 2x the idle server's xruns + 10.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "JackHarness.h"
#include "TestSupport.h"
#include "Xvfb.h"

namespace {

std::string arg(int argc, char** argv, const std::string& name, const std::string& def) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == name) return argv[i + 1];
  return def;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

struct Sample {
  double xruns = 0, late = 0, endLatencyMs = 0, startLatencyMs = 0;
  double reported = 0;  // the xruns the instrument's own callback was told of, whole run
  double computeMedian = 0, computeP99 = 0, growths = 0;  // the worker's ms a frame, whole run
};

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// One window of the instrument playing; empty when it did not start.
bool playWindow(const std::string& model, bool headless, bool playing, const std::string& extra, double settle,
                double seconds, Sample& out, std::string& why) {
  const std::string report = mmtest::tempDir() + "/report.json";
  const double duration = settle + seconds + 30;  // stopped earlier, by signal
  mmtest::MusicmillProcess mm("perform --audio-api jack --no-connect --no-autosave --model " + model +
                              (headless ? " --headless" : "") +
                              (playing ? " --pattern " + mmtest::sourcePath("models/demo/beatbox_demo.wav") +
                                             " --set source.pattern=1"
                                       : std::string()) +
                              extra + " --duration " + std::to_string(duration) +
                              " --report " + report);
  if (!mm.waitForPorts(60)) {
    why = "musicmill did not start:\n" + mm.output();
    return false;
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(settle));
  out.xruns = static_cast<double>(mmtest::serverOwnXruns(seconds));
  mm.stop();
  const std::string rep = mmtest::readFile(report);
  out.late = mmtest::jsonNumber(rep, "late_frames");
  out.reported = mmtest::jsonNumber(rep, "xruns");
  out.endLatencyMs = mmtest::jsonNumber(rep, "latency_ms");
  out.startLatencyMs = mmtest::jsonNumber(rep, "start_latency_ms");
  out.computeMedian = mmtest::jsonNumber(rep, "median");
  out.computeP99 = mmtest::jsonNumber(rep, "p99");
  out.growths = mmtest::jsonNumber(rep, "latency_growths");
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
      std::printf("usage: mm_bench_xruns [--seconds 30] [--runs 3] [--buffer 128] [--settle 5] [--size 1920x1080]\n"
                  "                      [--model PATH] [--modes idle,headless,headless-torchscript,headless-bf16,\n"
                  "                                                    ui,ui-playing]\n");
      return 0;
    }
  const double seconds = std::atof(arg(argc, argv, "--seconds", "30").c_str());
  const int runs = std::atoi(arg(argc, argv, "--runs", "3").c_str());
  const int buffer = std::atoi(arg(argc, argv, "--buffer", "128").c_str());
  const double settle = std::atof(arg(argc, argv, "--settle", "5").c_str());
  const std::string size = arg(argc, argv, "--size", "1920x1080");
  const std::string model = arg(argc, argv, "--model", mmtest::sourcePath("models/musicmill_drums.ts"));
  const std::vector<std::string> modes = split(arg(argc, argv, "--modes", "idle,headless,ui,ui-playing"));
  int w = 1920, h = 1080;
  if (std::sscanf(size.c_str(), "%dx%d", &w, &h) != 2) {
    std::fprintf(stderr, "mm_bench_xruns: --size takes WxH, not '%s'\n", size.c_str());
    return 2;
  }
  for (const auto& m : modes)
    if (m != "idle" && m != "headless" && m != "headless-torchscript" && m != "headless-bf16" && m != "ui" &&
        m != "ui-playing") {
      std::fprintf(stderr,
                   "mm_bench_xruns: --modes takes idle, headless, headless-torchscript, headless-bf16, ui and ui-playing, "
                   "not '%s'\n",
                   m.c_str());
      return 2;
    }

  std::map<std::string, std::vector<Sample>> results;
  for (int r = 0; r < runs; ++r) {
    mmtest::JackServer server(44100, buffer);
    if (!server.ok()) {
      std::fprintf(stderr, "mm_bench_xruns: the JACK dummy server did not start\n");
      return 1;
    }
    for (const auto& m : modes) {
      Sample s;
      std::string why;
      if (m == "idle") {
        s.xruns = static_cast<double>(mmtest::serverOwnXruns(seconds));
      } else if (m == "headless" || m == "headless-torchscript" || m == "headless-bf16") {
        const std::string extra = m == "headless-torchscript" ? " --executor torchscript"
                                  : m == "headless-bf16"      ? " --weights bf16"
                                                              : "";
        if (!playWindow(model, true, false, extra, settle, seconds, s, why)) {
          std::fprintf(stderr, "mm_bench_xruns: %s\n", why.c_str());
          return 1;
        }
      } else {
        mmtest::Xvfb display(w, h);
        if (!display.ok()) {
          std::fprintf(stderr, "mm_bench_xruns: Xvfb did not start\n");
          return 1;
        }
        if (!playWindow(model, false, m == "ui-playing", "", settle, seconds, s, why)) {
          std::fprintf(stderr, "mm_bench_xruns: %s\n", why.c_str());
          return 1;
        }
      }
      results[m].push_back(s);
      std::printf("run %d %-8s xruns %4.0f in %.0f s", r + 1, m.c_str(), s.xruns, seconds);
      if (m != "idle")
        std::printf(", late frames %.0f, latency %.1f -> %.1f ms (%.0f growths), xruns the instrument was told of "
                    "(whole run) %.0f, worker compute median %.3f ms p99 %.3f ms",
                    s.late, s.startLatencyMs, s.endLatencyMs, s.growths, s.reported, s.computeMedian, s.computeP99);
      std::printf("\n");
      std::fflush(stdout);
    }
  }
  const double idle = results.count("idle") ? median([&] {
    std::vector<double> v;
    for (const auto& s : results["idle"]) v.push_back(s.xruns);
    return v;
  }())
                                            : 0;
  std::printf("\nJACK dummy server, 44.1 kHz / %d frames, %s, %.0f s windows, %d runs (median [min-max]):\n", buffer,
              model.substr(model.find_last_of('/') + 1).c_str(), seconds, runs);
  std::printf("| on the server | xruns | target (2x idle + 10) | late frames | latency start -> end (ms, median) | "
              "worker ms a frame, median | worker p99 |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  for (const auto& m : modes) {
    std::vector<double> x, late, a, b, cm, cp;
    for (const auto& s : results[m]) {
      cm.push_back(s.computeMedian);
      cp.push_back(s.computeP99);
      x.push_back(s.xruns);
      late.push_back(s.late);
      a.push_back(s.startLatencyMs);
      b.push_back(s.endLatencyMs);
    }
    const char* name = m == "idle"         ? "nothing (idle)"
                       : m == "headless"   ? "musicmill, headless"
                       : m == "headless-torchscript" ? "musicmill, headless, --executor torchscript"
                       : m == "headless-bf16" ? "musicmill, headless, --weights bf16"
                       : m == "ui"         ? "musicmill with the UI, at rest"
                                           : "musicmill with the UI, a pattern playing";
    std::printf("| %s | %.0f [%.0f-%.0f] | %s | ", name, median(x), *std::min_element(x.begin(), x.end()),
                *std::max_element(x.begin(), x.end()),
                m == "idle" ? "-" : (median(x) <= 2 * idle + 10 ? "met" : "missed"));
    if (m == "idle")
      std::printf("- | - | - | - |\n");
    else
      std::printf("%.0f [%.0f-%.0f] | %.1f -> %.1f | %.3f [%.3f-%.3f] | %.3f [%.3f-%.3f] |\n", median(late),
                  *std::min_element(late.begin(), late.end()), *std::max_element(late.begin(), late.end()), median(a),
                  median(b), median(cm), *std::min_element(cm.begin(), cm.end()), *std::max_element(cm.begin(), cm.end()),
                  median(cp), *std::min_element(cp.begin(), cp.end()), *std::max_element(cp.begin(), cp.end()));
  }
  return 0;
}
