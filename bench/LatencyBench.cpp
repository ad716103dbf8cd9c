// mm_bench_latency: end-to-end latency of the real `musicmill perform` through a private
// JACK dummy server, measured with our own JACK client: play clicks into
// "musicmill:inport 0", record "musicmill:outport 0" sample-aligned, find each click in
// the output. The JACK graph adds one period on the way in and one on the way out, as a
// sound card's capture and playback buffers do, so what is measured is mic to speaker.
//
//   mm_bench_latency --model M --out FILE.json [--buffers 64,128,256,512] [--rate 44100]
//                    [--clicks 8] [--model-delay N] [--label NAME] [--threads N]
//
// --model-delay: samples the model itself delays a click by (64 for the delay_44k
// fixture); it is subtracted, so that row gives the engine's own latency exactly.
// For a drum model the output is not the click but the drum hit it triggers: the
// measured figure is then the click's arrival to the first output sample above the
// detection threshold, which includes whatever attack the model puts before its hit.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "JackHarness.h"
#include "Json.h"
#include "TestSupport.h"

using namespace mmtest;

namespace {

std::string arg(int argc, char** argv, const std::string& name, const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (name == argv[i]) return argv[i + 1];
  return fallback;
}

std::vector<int> intList(const std::string& s) {
  std::vector<int> v;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) v.push_back(std::stoi(item));
  return v;
}

double median(std::vector<double> v) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// A percussive click: a full-scale first sample (so that an exact-delay model shows the
// delay to the sample), then a short decaying noise burst (so that a drum model hears a
// beatbox-like hit).
void addClick(std::vector<float>& x, size_t at, double rate, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  const size_t len = static_cast<size_t>(0.03 * rate);
  x[at] = 0.9f;
  for (size_t i = 1; i < len && at + i < x.size(); ++i)
    x[at + i] = 0.7f * u(rng) * std::exp(-static_cast<float>(i) / static_cast<float>(0.006 * rate));
}

// First output sample after `at` (within `window`) whose magnitude exceeds both 4x the
// loudest sample of the 50 ms before the click and 25 % of the window's peak.
long findOnset(const std::vector<float>& y, size_t at, size_t window, double rate) {
  if (at >= y.size()) return -1;
  const size_t pre = static_cast<size_t>(0.05 * rate);
  float floor = 0.f, peak = 0.f;
  for (size_t i = at > pre ? at - pre : 0; i < at; ++i) floor = std::max(floor, std::fabs(y[i]));
  const size_t end = std::min(y.size(), at + window);
  for (size_t i = at; i < end; ++i) peak = std::max(peak, std::fabs(y[i]));
  const float threshold = std::max(4.f * floor, 0.25f * peak);
  if (peak < 1e-4f || peak <= 4.f * floor) return -1;  // nothing stands out: no onset
  for (size_t i = at; i < end; ++i)
    if (std::fabs(y[i]) >= threshold) return static_cast<long>(i - at);
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string model = arg(argc, argv, "--model", "");
  const std::string outPath = arg(argc, argv, "--out", "");
  if (model.empty() || outPath.empty()) {
    std::fprintf(stderr, "usage: mm_bench_latency --model M --out FILE.json [--buffers 64,128,256,512] "
                         "[--rate 44100] [--clicks 8] [--model-delay N] [--label NAME] [--threads N]\n");
    return 2;
  }
  const std::vector<int> buffers = intList(arg(argc, argv, "--buffers", "64,128,256,512"));
  const int rate = std::stoi(arg(argc, argv, "--rate", "44100"));
  const int clicks = std::stoi(arg(argc, argv, "--clicks", "8"));
  const double modelDelay = std::stod(arg(argc, argv, "--model-delay", "0"));
  const std::string label = arg(argc, argv, "--label", model);
  const std::string threads = arg(argc, argv, "--threads", "1");

  mm::JsonWriter j;
  j.beginObject().key("model").value(model).key("label").value(label).key("rate").value(rate)
      .key("model_delay_samples").value(modelDelay).key("rows").beginArray();
  for (int buffer : buffers) {
    std::fprintf(stderr, "latency: %s, buffer %d ...\n", label.c_str(), buffer);
    JackServer server(rate, buffer);
    if (!server.ok()) {
      std::fprintf(stderr, "mm_bench_latency: jackd did not start:\n%s\n", server.log().c_str());
      return 3;
    }
    const std::string report = tempDir() + "/report.json";
    MusicmillProcess mm("perform --headless --audio-api jack --no-connect --threads " + threads +
                        " --set gate.threshold=-90 --report " + report + " --model " + model);
    if (!mm.waitForPorts(120)) {
      std::fprintf(stderr, "mm_bench_latency: musicmill did not start:\n%s\n", mm.output().c_str());
      return 3;
    }
    // Clicks 0.6 s apart after 1 s of silence (the model settles), 0.6 s of tail.
    const double spacing = 0.6;
    const double seconds = 1.0 + clicks * spacing + 0.6;
    std::vector<float> x(static_cast<size_t>(seconds * rate), 0.f);
    std::vector<size_t> at;
    std::mt19937 rng(7);
    for (int k = 0; k < clicks; ++k) {
      at.push_back(static_cast<size_t>((1.0 + k * spacing) * rate));
      addClick(x, at.back(), rate, rng);
    }
    JackTestClient client("mm-bench", 1, 1, seconds);
    if (!client.ok() || !client.connectOut(0, "musicmill:inport 0") ||
        !client.connectIn("musicmill:outport 0", 0)) {
      std::fprintf(stderr, "mm_bench_latency: cannot connect to musicmill's ports\n");
      return 3;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    client.play(0, x);
    client.waitFinished(seconds + 30);
    const std::vector<float> y = client.recorded(0);
    const int status = mm.stop();
    const std::string rep = readFile(report);
    if (status != 0 || rep.empty()) {
      std::fprintf(stderr, "mm_bench_latency: musicmill exited with %d:\n%s\n", status, mm.output().c_str());
      return 3;
    }
    std::vector<double> found;
    for (size_t a : at) {
      const long d = findOnset(y, a, static_cast<size_t>(0.4 * rate), rate);
      if (d >= 0) found.push_back(static_cast<double>(d) - modelDelay);
    }
    const double measured = median(found);
    double spread = 0;
    for (double v : found) spread = std::max(spread, std::fabs(v - measured));
    j.beginObject()
        .key("buffer").value(buffer)
        .key("clicks").value(clicks)
        .key("clicks_found").value(static_cast<int>(found.size()))
        .key("measured_samples").value(measured)
        .key("measured_ms").value(1000.0 * measured / rate)
        .key("measured_max_deviation_samples").value(spread)
        .key("reported_latency_samples").value(jsonNumber(rep, "latency_samples"))
        .key("reported_latency_ms").value(jsonNumber(rep, "latency_ms"))
        .key("start_latency_ms").value(jsonNumber(rep, "start_latency_ms"))
        .key("latency_growths").value(jsonNumber(rep, "latency_growths"))
        .key("preroll_samples").value(jsonNumber(rep, "preroll_samples"))
        .key("floor_ms").value(jsonNumber(rep, "floor_ms"))
        .key("compute_budget_ms").value(jsonNumber(rep, "compute_budget_ms"))
        .key("ratio").value(jsonNumber(rep, "ratio"))
        .key("model_rate").value(jsonNumber(rep, "model_rate"))
        .key("compute_median_ms").value(jsonNumber(rep, "median"))
        .key("compute_p99_ms").value(jsonNumber(rep, "p99"))
        .key("compute_max_ms").value(jsonNumber(rep, "max"))
        .key("xruns").value(jsonNumber(rep, "xruns"))
        .key("late_frames").value(jsonNumber(rep, "late_frames"))
        .endObject();
    std::fprintf(stderr, "  measured %.1f samples (%.2f ms) over %zu/%d clicks; engine reports %.0f samples\n",
                 measured, 1000.0 * measured / rate, found.size(), clicks,
                 jsonNumber(rep, "latency_samples"));
  }
  j.endArray().endObject();
  std::ofstream(outPath) << j.str() << "\n";
  return 0;
}
