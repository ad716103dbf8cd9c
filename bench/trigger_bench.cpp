// trigger_bench: measurements of the beatbox triggers on the generated vocal-percussion
// set (tests/fixtures/make_vocal_percussion.py). Prints tables for bench/README.md.
//
//   trigger_bench onsets   --set DIR                      onset F-measure and delays
//   trigger_bench accuracy --set DIR [--examples N]       held-out classification accuracy
//   trigger_bench latency  --set DIR [--model M] [--performer NAME|all]
//                          [--rate 44100] [--period 128]  voice onset -> MIDI note, via JACK
//
// Common options (trigger settings): --listen-ms MS, --hop N (window 4N), --threshold T,
// --method M, --silence-db DB, --min-gap-ms MS, --min-rise-db DB, --hold-ms MS, --hold-decay-db DB,
// --k K.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "OnsetDetector.h"
#include "TriggerAnalyzer.h"
#include "TriggerBenchSet.h"
#include "TriggerClassifier.h"

using namespace mm;
using namespace mmbench;

int runLatency(const std::map<std::string, std::string>& opt, const TriggerSettings& settings);

namespace {

constexpr double kTolerance = 0.05;  // MIREX onset tolerance (s)

// For each reference time, the index of the nearest unused estimate within tolerance (-1: missed).
std::vector<int> match(const std::vector<double>& ref, const std::vector<double>& est) {
  std::vector<int> m(ref.size(), -1);
  std::vector<bool> used(est.size(), false);
  for (size_t i = 0; i < ref.size(); ++i) {
    double best = kTolerance;
    for (size_t j = 0; j < est.size(); ++j) {
      const double d = std::fabs(est[j] - ref[i]);
      if (!used[j] && d <= best) {
        best = d;
        m[i] = static_cast<int>(j);
      }
    }
    if (m[i] >= 0) used[m[i]] = true;
  }
  return m;
}

int runOnsets(const std::string& dir, const TriggerSettings& s) {
  std::printf("onset detection on the held-out takes of %s (tolerance %.0f ms)\n", dir.c_str(), kTolerance * 1000);
  std::printf(
      "trigger settings: %s, hop %d, window %d, threshold %.2f, silence %.0f dB, min gap %.0f ms, listen %.1f ms\n\n",
      s.onsetMethod.c_str(), s.hop, s.window, s.onsetThreshold, s.silenceDb, s.minGapMs, s.listenMs);
  std::printf("%-10s %5s %5s %6s %6s %6s | %9s %9s | %9s %9s | %9s %9s\n", "performer", "ref", "found", "P", "R", "F",
              "ts med", "ts p95", "det med", "det p95", "dec med", "dec p95");
  std::vector<double> allTs, allDet, allDec, vaTs;
  int ref = 0, est = 0, matched = 0, vaEst = 0, vaMatched = 0;
  double rate = 0;
  for (const Performer& p : loadSet(dir)) {
    const auto mono = readMono(p.dir + "/test.wav", &rate);
    std::vector<double> truth;
    for (const auto& l : readLabels(p.dir + "/test.csv")) truth.push_back(l.time);
    const auto reports = analyzeTriggersOffline(mono, rate, s, nullptr);
    std::vector<double> times;
    for (const auto& r : reports) times.push_back(r.hit.onsetSample / rate);
    const auto m = match(truth, times);
    std::vector<double> ts, det, dec;
    for (size_t i = 0; i < truth.size(); ++i) {
      if (m[i] < 0) continue;
      const TriggerHit& h = reports[m[i]].hit;
      ts.push_back(1000 * (h.onsetSample / rate - truth[i]));
      det.push_back(1000 * (h.detectedSample / rate - truth[i]));
      dec.push_back(1000 * (h.decidedSample / rate - truth[i]));
    }
    const int k = static_cast<int>(ts.size());
    const double P = times.empty() ? 0 : double(k) / times.size(), R = double(k) / truth.size();
    std::printf("%-10s %5zu %5zu %6.3f %6.3f %6.3f | %7.1f ms %6.1f ms | %6.1f ms %6.1f ms | %6.1f ms %6.1f ms\n",
                p.name.c_str(), truth.size(), times.size(), P, R, P + R > 0 ? 2 * P * R / (P + R) : 0, median(ts),
                percentile(ts, 95), median(det), percentile(det, 95), median(dec), percentile(dec, 95));
    ref += static_cast<int>(truth.size());
    est += static_cast<int>(times.size());
    matched += k;
    allTs.insert(allTs.end(), ts.begin(), ts.end());
    allDet.insert(allDet.end(), det.begin(), det.end());
    allDec.insert(allDec.end(), dec.begin(), dec.end());
    // For comparison: the voice analysis's onset detector with its defaults.
    const auto va = detectOnsets(mono, rate);
    const OnsetMatch vm = matchOnsets(truth, va, kTolerance);
    vaEst += vm.estimated;
    vaMatched += vm.matched;
    const auto vmm = match(truth, va);
    for (size_t i = 0; i < truth.size(); ++i)
      if (vmm[i] >= 0) vaTs.push_back(1000 * (va[vmm[i]] - truth[i]));
  }
  const double P = double(matched) / est, R = double(matched) / ref;
  std::printf("%-10s %5d %5d %6.3f %6.3f %6.3f | %7.1f ms %6.1f ms | %6.1f ms %6.1f ms | %6.1f ms %6.1f ms\n", "ALL",
              ref, est, P, R, 2 * P * R / (P + R), median(allTs), percentile(allTs, 95), median(allDet),
              percentile(allDet, 95), median(allDec), percentile(allDec, 95));
  const double vP = double(vaMatched) / vaEst, vR = double(vaMatched) / ref;
  std::printf(
      "\nfor comparison, OnsetDetector defaults (hfc, hop 128, window 512, threshold 0.3): P %.3f R %.3f F %.3f, "
      "timestamp error median %.1f ms\n",
      vP, vR, 2 * vP * vR / (vP + vR), median(vaTs));
  std::printf(
      "\nts = reported onset time - true onset; det = when the detector reported it - true onset;\n"
      "dec = when the hit was classified (detector and listen window both done) - true onset.\n");

  // Held voice between hits: a sung vowel, a hum and a swelling vowel, 3 s each after
  // silence (sustain.wav). At most its start may count as a hit; every other hit is false.
  std::printf("\nheld voice (sustain.wav: vowel, hum, swelling vowel, 3 s each, on a stage), min rise %.1f dB\n",
              s.minRiseDb);
  std::printf("%-10s %8s %12s %14s\n", "performer", "seconds", "start hits", "false hits");
  int allFalse = 0, allStart = 0;
  double allSeconds = 0;
  for (const Performer& p : loadSet(dir)) {
    const auto mono = readMono(p.dir + "/sustain.wav", &rate);
    std::vector<std::pair<double, double>> held;
    {
      std::ifstream f(p.dir + "/sustain.csv");
      std::string line;
      std::getline(f, line);
      while (std::getline(f, line)) {
        const auto comma = line.find(',');
        if (comma != std::string::npos) held.emplace_back(std::stod(line.substr(0, comma)), std::stod(line.substr(comma + 1)));
      }
    }
    int starts = 0, falseHits = 0;
    double seconds = 0;
    for (const auto& h : held) seconds += h.second - h.first;
    for (const auto& r : analyzeTriggersOffline(mono, rate, s, nullptr)) {
      const double t = r.hit.onsetSample / rate;
      bool start = false;
      for (const auto& h : held) start |= std::fabs(t - h.first) <= kTolerance;
      (start ? starts : falseHits)++;
    }
    std::printf("%-10s %8.1f %12d %8d (%.1f/min)\n", p.name.c_str(), seconds, starts, falseHits, 60.0 * falseHits / seconds);
    allFalse += falseHits;
    allStart += starts;
    allSeconds += seconds;
  }
  std::printf("%-10s %8.1f %12d %8d (%.1f/min)\n", "ALL", allSeconds, allStart, allFalse, 60.0 * allFalse / allSeconds);

  // Syllables (a consonant then a louder vowel: one vocal hit each) and fast pairs (two
  // hits 95-140 ms apart: two hits), on a stage (syllables.wav). A syllable is played once
  // when exactly one hit falls from 50 ms before its onset to 200 ms after (a soft
  // consonant may go unheard and its vowel play: late, but once); twice when more do.
  // A pair's hit is found when a hit lies within 50 ms of it; a hit near no label is extra.
  std::printf("\nsyllables and fast pairs (syllables.wav, on a stage), hold %.0f ms / %.0f dB\n", s.holdMs,
              s.holdDecayDb);
  std::printf("%-10s %6s %6s %6s %6s | %9s %10s %8s\n", "performer", "syll", "once", "twice", "missed", "pair hits",
              "pair found", "extra");
  int sMade = 0, sOnce = 0, sTwice = 0, sMissed = 0, pMade = 0, pFound = 0, extra = 0;
  for (const Performer& p : loadSet(dir)) {
    std::ifstream f(p.dir + "/syllables.csv");
    if (!f) continue;  // a set written before syllables.wav existed
    std::vector<double> syll, pair;
    std::string line;
    std::getline(f, line);
    while (std::getline(f, line)) {
      const auto c1 = line.find(','), c2 = line.rfind(',');
      if (c1 == std::string::npos || c2 == c1) continue;
      (line.substr(c2 + 1) == "pair" ? pair : syll).push_back(std::stod(line.substr(0, c1)));
    }
    const auto mono = readMono(p.dir + "/syllables.wav", &rate);
    std::vector<double> est;
    for (const auto& r : analyzeTriggersOffline(mono, rate, s, nullptr)) est.push_back(r.hit.onsetSample / rate);
    std::vector<bool> used(est.size(), false);
    int once = 0, twice = 0, missed = 0;
    for (double t : syll) {
      int n = 0;
      for (size_t j = 0; j < est.size(); ++j)
        if (est[j] >= t - kTolerance && est[j] <= t + 0.2) n += 1, used[j] = true;
      (n == 0 ? missed : n == 1 ? once : twice)++;
    }
    const auto m = match(pair, est);
    int pf = 0;
    for (int j : m)
      if (j >= 0) ++pf, used[static_cast<size_t>(j)] = true;
    int x = 0;
    for (bool u : used) x += !u;
    std::printf("%-10s %6zu %6d %6d %6d | %9zu %10d %8d\n", p.name.c_str(), syll.size(), once, twice, missed,
                pair.size(), pf, x);
    sMade += static_cast<int>(syll.size()), sOnce += once, sTwice += twice, sMissed += missed;
    pMade += static_cast<int>(pair.size()), pFound += pf, extra += x;
  }
  std::printf("%-10s %6d %6d %6d %6d | %9d %10d %8d\n", "ALL", sMade, sOnce, sTwice, sMissed, pMade, pFound, extra);
  return 0;
}

int runAccuracy(const std::string& dir, const TriggerSettings& s, int perClass) {
  const auto set = loadSet(dir);
  std::printf("classification of held-out hits, %d examples per class learned from each performer's takes\n", perClass);
  std::printf("(listen %.1f ms, k %d); accuracy = right class / hits found; hits right = right class / all hits\n\n",
              s.listenMs, s.k);
  std::printf("%-10s %6s %6s %9s %11s | %-22s\n", "performer", "hits", "found", "accuracy", "hits right",
              "leave-one-out (takes)");
  int allFound = 0, allRight = 0, allRef = 0;
  std::vector<std::vector<int>> confusion(3, std::vector<int>(3, 0));
  std::vector<double> perPerformer;
  for (const Performer& p : set) {
    std::vector<int> found;
    const TriggerProfile profile = learnFromTakes(p, s, perClass, &found);
    const TriggerClassifier clf(profile);
    double rate = 0;
    const auto mono = readMono(p.dir + "/test.wav", &rate);
    const auto labels = readLabels(p.dir + "/test.csv");
    const auto reports = analyzeTriggersOffline(mono, rate, s, &clf);
    std::vector<double> truth, times;
    for (const auto& l : labels) truth.push_back(l.time);
    for (const auto& r : reports) times.push_back(r.hit.onsetSample / rate);
    const auto m = match(truth, times);
    int hitsFound = 0, right = 0;
    for (size_t i = 0; i < labels.size(); ++i) {
      if (m[i] < 0) continue;
      ++hitsFound;
      const int want = profile.classIndex(labels[i].cls);
      const int got = reports[m[i]].hit.cls;
      right += got == want;
      if (want >= 0 && want < 3 && got >= 0 && got < 3) confusion[want][got]++;
    }
    const double acc = hitsFound ? double(right) / hitsFound : 0;
    perPerformer.push_back(acc);
    std::printf("%-10s %6zu %6d %8.1f %% %9.1f %% | %.1f %% (takes gave %d/%d/%d)\n", p.name.c_str(), labels.size(),
                hitsFound, 100 * acc, 100.0 * right / labels.size(), 100 * leaveOneOutAccuracy(profile),
                found.size() > 0 ? found[0] : 0, found.size() > 1 ? found[1] : 0, found.size() > 2 ? found[2] : 0);
    allFound += hitsFound;
    allRight += right;
    allRef += static_cast<int>(labels.size());
  }
  double worst = 1;
  for (double a : perPerformer) worst = std::min(worst, a);
  std::printf("%-10s %6d %6d %8.1f %% %9.1f %% | worst performer %.1f %%\n", "ALL", allRef, allFound,
              100.0 * allRight / allFound, 100.0 * allRight / allRef, 100 * worst);
  std::printf("\nconfusion (rows: true kick/snare/hihat, columns: classified as)\n");
  const char* names[3] = {"kick", "snare", "hihat"};
  for (int i = 0; i < 3; ++i)
    std::printf("  %-6s %4d %4d %4d\n", names[i], confusion[i][0], confusion[i][1], confusion[i][2]);

  // Without per-user training: learn from every other performer, test on this one.
  int xRight = 0, xFound = 0;
  for (size_t t = 0; t < set.size(); ++t) {
    TriggerProfile pooled;
    pooled.settings = s;
    pooled.settings.k = s.k;
    for (size_t o = 0; o < set.size(); ++o) {
      if (o == t) continue;
      const TriggerProfile one = learnFromTakes(set[o], s, perClass);
      for (const auto& c : one.classes) {
        int i = pooled.classIndex(c.name);
        if (i < 0) {
          pooled.classes.push_back({c.name, c.note, {}});
          i = static_cast<int>(pooled.classes.size()) - 1;
        }
        for (const auto& e : c.examples) pooled.classes[i].examples.push_back(e);
      }
    }
    const TriggerClassifier clf(pooled);
    double rate = 0;
    const auto mono = readMono(set[t].dir + "/test.wav", &rate);
    const auto labels = readLabels(set[t].dir + "/test.csv");
    const auto reports = analyzeTriggersOffline(mono, rate, s, &clf);
    std::vector<double> truth, times;
    for (const auto& l : labels) truth.push_back(l.time);
    for (const auto& r : reports) times.push_back(r.hit.onsetSample / rate);
    const auto m = match(truth, times);
    for (size_t i = 0; i < labels.size(); ++i)
      if (m[i] >= 0) {
        ++xFound;
        xRight += reports[m[i]].hit.cls == pooled.classIndex(labels[i].cls);
      }
  }
  std::printf(
      "\nwithout per-user training (learned from the %zu other performers, %d examples per class each): %.1f %%\n",
      set.size() - 1, perClass, 100.0 * xRight / std::max(1, xFound));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help")) {
    std::printf("usage: trigger_bench onsets|accuracy|latency --set DIR [options] (see bench/README.md)\n");
    return 2;
  }
  const std::string mode = argv[1];
  std::map<std::string, std::string> opt;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (std::strncmp(argv[i], "--", 2) != 0) {
      std::fprintf(stderr, "trigger_bench: expected --option value, got '%s'\n", argv[i]);
      return 2;
    }
    opt[argv[i] + 2] = argv[i + 1];
  }
  TriggerSettings s;
  try {
    if (opt.count("listen-ms")) s.listenMs = std::stof(opt["listen-ms"]);
    if (opt.count("hop")) s.hop = std::stoi(opt["hop"]), s.window = 4 * s.hop;
    if (opt.count("threshold")) s.onsetThreshold = std::stof(opt["threshold"]);
    if (opt.count("k")) s.k = std::stoi(opt["k"]);
    if (opt.count("method")) s.onsetMethod = opt["method"];
    if (opt.count("silence-db")) s.silenceDb = std::stof(opt["silence-db"]);
    if (opt.count("min-gap-ms")) s.minGapMs = std::stof(opt["min-gap-ms"]);
    if (opt.count("min-rise-db")) s.minRiseDb = std::stof(opt["min-rise-db"]);
    if (opt.count("hold-ms")) s.holdMs = std::stof(opt["hold-ms"]);
    if (opt.count("hold-decay-db")) s.holdDecayDb = std::stof(opt["hold-decay-db"]);
    const std::string dir = opt.count("set") ? opt["set"] : "";
    if (dir.empty()) throw std::runtime_error("--set DIR is required (the generated vocal-percussion set)");
    if (mode == "onsets") return runOnsets(dir, s);
    if (mode == "accuracy") return runAccuracy(dir, s, opt.count("examples") ? std::stoi(opt["examples"]) : 8);
    if (mode == "latency") return runLatency(opt, s);
    throw std::runtime_error("unknown mode '" + mode + "' (onsets, accuracy, latency)");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "trigger_bench: %s\n", e.what());
    return 1;
  }
}
