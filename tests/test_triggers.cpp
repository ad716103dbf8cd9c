// Beatbox triggers (input/Trigger*.h): onsets against known times, held-out accuracy,
// profiles saved and loaded, corrupt profiles refused with file:line, live learning, the
// audio-thread path allocation-free, and `musicmill triggers` on the command line. The
// data is the generated vocal-percussion set (tests/TriggerTestSet.h).
#include <malloc.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "AudioFile.h"
#include "ModulationSources.h"
#include "OnsetDetector.h"
#include "Realtime.h"
#include "StandardMidiFile.h"
#include "TestSupport.h"
#include "TriggerAnalyzer.h"
#include "TriggerClassifier.h"
#include "TriggerLearner.h"
#include "TriggerProfile.h"
#include "TriggerTestSet.h"

using namespace mm;
using namespace mmtest;

namespace {

std::vector<float> monoOf(const std::string& path, double* rate) {
  const AudioBuffer b = readAudioFile(path);
  *rate = b.sampleRate;
  return downmix(b);
}

TriggerProfile learnedProfile(const std::string& performerDir, int perClass) {
  TriggerProfile p;
  for (const char* cls : {"kick", "snare", "hihat"}) {
    double rate = 0;
    const auto mono = monoOf(performerDir + "/train_" + cls + ".wav", &rate);
    const TakeExamples take = examplesFromTake(mono, rate, p.settings);
    TriggerClass c;
    c.name = cls;
    c.note = defaultTriggerNote(cls, static_cast<int>(p.classes.size()));
    for (int i = 0; i < perClass && i < static_cast<int>(take.examples.size()); ++i)
      c.examples.push_back(take.examples[i]);
    p.classes.push_back(c);
    p.sampleRate = rate;
  }
  return p;
}

// For each label, the index of the nearest unused report within `tol` seconds (-1: missed).
std::vector<int> matchReports(const std::vector<TriggerLabel>& labels, const std::vector<TriggerReport>& reports,
                              double rate, double tol = 0.05) {
  std::vector<int> m(labels.size(), -1);
  std::vector<bool> used(reports.size(), false);
  for (size_t i = 0; i < labels.size(); ++i) {
    double best = tol;
    for (size_t j = 0; j < reports.size(); ++j) {
      const double d = std::fabs(reports[j].hit.onsetSample / rate - labels[i].time);
      if (!used[j] && d <= best) {
        best = d;
        m[i] = static_cast<int>(j);
      }
    }
    if (m[i] >= 0) used[m[i]] = true;
  }
  return m;
}

std::string readText(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void writeText(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
}

int lineOf(const std::string& text, const std::string& needle) {
  const auto pos = text.find(needle);
  return pos == std::string::npos ? -1 : 1 + static_cast<int>(std::count(text.begin(), text.begin() + pos, '\n'));
}

}  // namespace

TEST_CASE("trigger onsets land within tolerance of the known onset times", "[triggers]") {
  const std::string set = vocalPercussionSet();
  const TriggerSettings s;
  for (const auto& name : triggerTestPerformers()) {
    INFO("performer " << name);
    double rate = 0;
    const auto mono = monoOf(set + "/" + name + "/test.wav", &rate);
    const auto labels = readTriggerLabels(set + "/" + name + "/test.csv");
    const auto reports = analyzeTriggersOffline(mono, rate, s, nullptr);
    std::vector<double> ref, est;
    for (const auto& l : labels) ref.push_back(l.time);
    for (const auto& r : reports) est.push_back(r.hit.onsetSample / rate);
    const OnsetMatch m = matchOnsets(ref, est, 0.05);
    CHECK(m.fMeasure >= 0.95);
    CHECK(std::fabs(m.medianOffsetMs) <= 5.0);
    // Tighter: nearly every hit is found within 25 ms.
    CHECK(matchOnsets(ref, est, 0.025).recall >= 0.95);
    // Every hit is decided once its listen window is over, and soon after.
    const long listen = std::lround(s.listenMs * 0.001 * rate);
    std::vector<double> lateness;
    for (const auto& r : reports) {
      CHECK(static_cast<long>(r.hit.decidedSample - r.hit.onsetSample) >= listen);
      lateness.push_back(1000.0 * (r.hit.decidedSample - r.hit.onsetSample) / rate - s.listenMs);
    }
    std::sort(lateness.begin(), lateness.end());
    REQUIRE(!lateness.empty());
    CHECK(lateness[lateness.size() * 95 / 100] <= 10.0);  // ms past the listen window, p95
  }
}

TEST_CASE("held-out hits are classified right after learning 5-8 examples per class", "[triggers]") {
  // Stated floors: 90 % with 8 examples per class, 85 % with 5, per performer.
  const std::string set = vocalPercussionSet();
  for (const int perClass : {8, 5}) {
    for (const auto& name : triggerTestPerformers()) {
      INFO("performer " << name << ", " << perClass << " examples per class");
      const std::string dir = set + "/" + name;
      const TriggerProfile profile = learnedProfile(dir, perClass);
      for (const auto& c : profile.classes) REQUIRE(static_cast<int>(c.examples.size()) == perClass);
      const TriggerClassifier clf(profile);
      double rate = 0;
      const auto mono = monoOf(dir + "/test.wav", &rate);
      const auto labels = readTriggerLabels(dir + "/test.csv");
      const auto reports = analyzeTriggersOffline(mono, rate, profile.settings, &clf);
      const auto m = matchReports(labels, reports, rate);
      int found = 0, right = 0;
      for (size_t i = 0; i < labels.size(); ++i)
        if (m[i] >= 0) {
          ++found;
          right += reports[m[i]].hit.cls == profile.classIndex(labels[i].cls);
        }
      REQUIRE(found >= static_cast<int>(labels.size()) * 9 / 10);
      CHECK(static_cast<double>(right) / found >= (perClass >= 8 ? 0.90 : 0.85));
    }
  }
}

TEST_CASE("the classifier answers with the nearest sound, and rejects far ones when asked", "[triggers]") {
  TriggerProfile p;
  std::vector<float> a(kTriggerFeatureCount, 0.f), b(kTriggerFeatureCount, 0.f);
  p.classes.push_back({"low", 36, {}});
  p.classes.push_back({"high", 42, {}});
  for (int i = 0; i < 5; ++i) {
    for (int f = 0; f < kTriggerFeatureCount; ++f) {
      a[f] = 0.1f * i;
      b[f] = 10.f + 0.1f * i;
    }
    p.classes[0].examples.push_back(a);
    p.classes[1].examples.push_back(b);
  }
  std::vector<float> probe(kTriggerFeatureCount, 9.0f);
  CHECK(TriggerClassifier(p).classify(probe.data()).cls == 1);
  std::fill(probe.begin(), probe.end(), 1.0f);
  const TriggerDecision d = TriggerClassifier(p).classify(probe.data());
  CHECK(d.cls == 0);
  CHECK(d.distance > 0.f);
  std::fill(probe.begin(), probe.end(), 100.0f);
  p.settings.rejectDistance = 2.0f;
  CHECK(TriggerClassifier(p).classify(probe.data()).cls == -1);
  CHECK(leaveOneOutAccuracy(p) == Approx(1.0));
}

TEST_CASE("a trigger profile round-trips through save and load", "[triggers]") {
  const std::string dir = tempDir();
  TriggerProfile p = learnedProfile(vocalPercussionSet() + "/" + triggerTestPerformers()[0], 8);
  p.settings.listenMs = 17.5f;
  p.settings.k = 5;
  p.settings.onsetMethod = "hfc";
  p.settings.midiChannel = 3;
  p.settings.holdMs = 120.f;
  p.settings.holdDecayDb = 14.5f;
  p.classes[1].name = "snare \"tight\"";
  p.classes[2].note = 46;
  const std::string path = dir + "/me.toml";
  REQUIRE(saveTriggerProfile(path, p) == "");
  TriggerProfile q;
  LoadReport report;
  REQUIRE(loadTriggerProfile(path, q, report));
  CHECK(report.empty());
  CHECK(q.sampleRate == p.sampleRate);
  CHECK(q.settings.listenMs == p.settings.listenMs);
  CHECK(q.settings.k == 5);
  CHECK(q.settings.onsetMethod == "hfc");
  CHECK(q.settings.midiChannel == 3);
  CHECK(q.settings.holdMs == 120.f);
  CHECK(q.settings.holdDecayDb == 14.5f);
  REQUIRE(q.classes.size() == p.classes.size());
  for (size_t c = 0; c < p.classes.size(); ++c) {
    CHECK(q.classes[c].name == p.classes[c].name);
    CHECK(q.classes[c].note == p.classes[c].note);
    CHECK(q.classes[c].examples == p.classes[c].examples);  // bit-exact (%.9g)
  }
  CHECK(triggerProfileToToml(q) == triggerProfileToToml(p));
  // No temporary file is left beside it.
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) files += e.is_regular_file();
  CHECK(files == 1);
}

TEST_CASE("a corrupt trigger profile is refused with file:line and changes nothing", "[triggers]") {
  const std::string dir = tempDir();
  const TriggerProfile good = learnedProfile(vocalPercussionSet() + "/" + triggerTestPerformers()[0], 5);
  const std::string goodText = triggerProfileToToml(good);
  const std::string path = dir + "/profile.toml";

  struct Case {
    const char* what;
    std::string text;
    int line;          // expected line in the message
    const char* says;  // part of the message
  };
  std::vector<Case> cases;
  {
    // An example row cut short (28 numbers instead of 29).
    std::string t = goodText;
    const auto row = t.find("\n  [", t.find("[[class]]")) + 1;
    const auto comma = t.rfind(", ", t.find(']', row));
    t.erase(comma, t.find(']', row) - comma);
    const int line =
        1 + static_cast<int>(std::count(goodText.begin(), goodText.begin() + static_cast<long>(row), '\n'));
    cases.push_back({"short example", t, line, "numbers, not"});
  }
  {
    std::string t = goodText;
    const auto at = t.find("note = 38");
    t.replace(at, 9, "note = 300");
    cases.push_back({"note out of range", t, lineOf(goodText, "note = 38"), "0 .. 127"});
  }
  {
    std::string t = goodText;
    t.replace(t.find("listen_ms = 12.0"), 16, "listen_ms = 500.0");
    cases.push_back({"listen window too long", t, lineOf(goodText, "listen_ms = 12.0"), "listen_ms"});
  }
  {
    std::string t = goodText;
    t.replace(t.find("format = 1"), 10, "format = 2");
    cases.push_back({"newer format", t, lineOf(goodText, "format = 1"), "newer musicmill"});
  }
  {
    std::string t = goodText;
    t.replace(t.find("feature_set = \"mm-trigger-1\""), 28, "feature_set = \"mm-trigger-0\"");
    cases.push_back({"other feature set", t, lineOf(goodText, "feature_set"), "learn the classes again"});
  }
  {
    std::string t = goodText;
    t.insert(t.find("[settings]") + 11, "colour = \"red\"\n");
    cases.push_back({"unknown setting", t, lineOf(goodText, "[settings]") + 1, "unknown setting 'colour'"});
  }
  {
    std::string t = goodText;
    t.replace(t.find("name = \"snare\""), 14, "name = snare");
    cases.push_back({"TOML syntax error", t, lineOf(goodText, "name = \"snare\""), "TOML syntax"});
  }
  cases.push_back({"truncated file", goodText.substr(0, goodText.size() / 2), -1, "TOML syntax"});
  cases.push_back({"empty file", "", 1, "format = 1"});

  for (const Case& c : cases) {
    INFO(c.what);
    writeText(path, c.text);
    TriggerProfile target = good;  // what a live session holds
    const std::string before = triggerProfileToToml(target);
    LoadReport report;
    CHECK_FALSE(loadTriggerProfile(path, target, report));
    const std::string err = report.text();
    INFO(err);
    CHECK(err.find(c.says) != std::string::npos);
    if (c.line >= 0)
      CHECK(err.find(path + ":" + std::to_string(c.line) + ": error: ") != std::string::npos);
    else
      CHECK(err.rfind(path + ":", 0) == 0);
    CHECK(triggerProfileToToml(target) == before);  // nothing changed
    CHECK(readText(path) == c.text);                // the file was not touched
  }

  // A profile that cannot be valid is not saved over a good file.
  REQUIRE(saveTriggerProfile(path, good) == "");
  TriggerProfile bad = good;
  bad.classes.push_back(bad.classes[0]);  // the same name twice
  CHECK(saveTriggerProfile(path, bad) != "");
  CHECK(readText(path) == goodText);
  // A file that does not exist says so.
  TriggerProfile q;
  LoadReport missing;
  CHECK_FALSE(loadTriggerProfile(dir + "/missing.toml", q, missing));
  CHECK(missing.text().find("no such file. Check the path; `musicmill triggers learn --out FILE` writes one") != std::string::npos);
}

TEST_CASE("live learning: an armed class learns from the next onsets, then hits publish", "[triggers]") {
  const std::string dir = vocalPercussionSet() + "/" + triggerTestPerformers()[1];
  ModulationSources sources;
  TriggerProfile start = starterTriggerProfile();
  TriggerAnalyzer analyzer(&sources, start.settings);
  double rate = 0;
  monoOf(dir + "/test.wav", &rate);
  analyzer.prepare(rate, 128);
  TriggerLearner learner(start, rate);
  uint64_t t = 0;
  auto play = [&](const std::vector<float>& x) {
    for (size_t pos = 0; pos < x.size(); pos += 128) {
      const int n = static_cast<int>(std::min<size_t>(128, x.size() - pos));
      analyzer.analyze(x.data() + pos, n, t);
      t += static_cast<uint64_t>(n);
      TriggerReport r;
      while (analyzer.popReport(r))
        if (r.learning) learner.onReport(r);
    }
  };
  const std::vector<float> gap(static_cast<size_t>(rate / 2), 0.f);
  for (int c = 0; c < 3; ++c) {
    const std::string cls = start.classes[c].name;
    REQUIRE(learner.arm(c, 8) == "");
    analyzer.setLearning(true);
    const uint64_t revision = learner.revision();
    double r2 = 0;
    play(monoOf(dir + "/train_" + cls + ".wav", &r2));
    play(gap);
    INFO(cls);
    CHECK(!learner.armed());  // the take completed
    CHECK(learner.revision() > revision);
    CHECK(learner.profile().classes[c].examples.size() == 8u);
    analyzer.setLearning(false);
  }
  // Nothing was sent or published while learning.
  for (int c = 0; c < 3; ++c) CHECK(sources.triggerCount[c].load() == 0u);
  CHECK(analyzer.hits() == 0u);

  analyzer.setClassifier(std::make_unique<TriggerClassifier>(learner.profile()));
  const auto labels = readTriggerLabels(dir + "/test.csv");
  std::vector<TriggerReport> reports;
  const auto voice = monoOf(dir + "/test.wav", &rate);
  const uint64_t offset = t;
  for (size_t pos = 0; pos < voice.size(); pos += 128) {
    const int n = static_cast<int>(std::min<size_t>(128, voice.size() - pos));
    analyzer.analyze(voice.data() + pos, n, t);
    t += static_cast<uint64_t>(n);
    TriggerReport r;
    while (analyzer.popReport(r)) {
      r.hit.onsetSample -= offset;
      reports.push_back(r);
    }
  }
  const auto m = matchReports(labels, reports, rate);
  int right = 0, found = 0;
  uint64_t perClass[3] = {0, 0, 0};
  for (const auto& r : reports)
    if (r.hit.cls >= 0 && r.hit.cls < 3) ++perClass[r.hit.cls];
  for (size_t i = 0; i < labels.size(); ++i)
    if (m[i] >= 0) {
      ++found;
      right += reports[m[i]].hit.cls == learner.profile().classIndex(labels[i].cls);
    }
  CHECK(found >= static_cast<int>(labels.size()) * 9 / 10);
  CHECK(static_cast<double>(right) / found >= 0.9);
  // Every classified hit was published, with a velocity the matrix can use.
  for (int c = 0; c < 3; ++c) {
    CHECK(sources.triggerCount[c].load() == perClass[c]);
    if (perClass[c]) {
      CHECK(sources.triggerVelocity[c].load() > 0.f);
      CHECK(sources.triggerVelocity[c].load() <= 1.f);
    }
  }
  // A take of 3 on a class is replaced only when complete; cancel leaves it as it was.
  REQUIRE(learner.arm(0, 3) == "");
  learner.cancel();
  CHECK(learner.profile().classes[0].examples.size() == 8u);
  CHECK(learner.arm(7, 8) != "");  // no such class
}

TEST_CASE("TriggerAnalyzer::analyze allocates nothing on the audio path", "[triggers][realtime]") {
  // glibc's heap statistics before and after 10 000 callbacks of 128 samples (29 s of a
  // performance with hits, classification, FIFO pushes and a classifier hand-over). Any
  // allocation that is kept (a growing container, a new classifier made on the audio
  // thread) changes them, and so, through memalign's splitting, did the scratch buffer
  // that aubio_mfcc_do's FFTW DCT allocates and frees on every call (why TriggerFeatures
  // has its own DCT). A malloc/free pair of one size that glibc's cache recycles exactly
  // would not show here; the first hit is decided inside the measurement, so first-use
  // allocations would.
  const std::string dir = vocalPercussionSet() + "/" + triggerTestPerformers()[2];
  const TriggerProfile profile = learnedProfile(dir, 8);
  double rate = 0;
  const auto voice = monoOf(dir + "/test.wav", &rate);
  ModulationSources sources;
  TriggerAnalyzer analyzer(&sources, profile.settings);
  analyzer.prepare(rate, 128);
  analyzer.setNoteOutput(true);
  analyzer.setClassifier(std::make_unique<TriggerClassifier>(profile));
  // The replacement, taken by the audio thread inside the measured loop.
  auto second = std::make_unique<TriggerClassifier>(profile);
  TriggerReport report;
  TriggerHit note;
  uint64_t t = 0, reports = 0;
  auto callback = [&](size_t block) {
    const size_t pos = (block * 128) % (voice.size() - 128);
    analyzer.analyze(voice.data() + pos, 128, t);
    t += 128;
    while (analyzer.popReport(report)) ++reports;  // main thread's side, also allocation-free
    while (analyzer.popNote(note)) {
    }
  };
  for (size_t b = 0; b < 200; ++b) callback(b);  // first touches outside the measurement
  analyzer.setClassifier(std::move(second));
  const struct mallinfo2 before = mallinfo2();
  {
    RealtimeScope scope;
    for (size_t b = 200; b < 10200; ++b) callback(b);
  }
  const struct mallinfo2 after = mallinfo2();
  CHECK(after.uordblks == before.uordblks);
  CHECK(after.hblkhd == before.hblkhd);
  CHECK(reports > 40u);  // the loop really classified hits (about 56 in these 29 s)
  CHECK(analyzer.hits() > 40u);
  CHECK(analyzer.droppedReports() == 0u);
}

TEST_CASE("musicmill triggers learn, classify and show from the command line", "[triggers]") {
  const std::string dir = vocalPercussionSet() + "/" + triggerTestPerformers()[0];
  const std::string out = tempDir() + "/me.toml";
  const CommandResult learn = runCommand(binary() + " triggers learn --out " + out + " --class kick=" + dir +
                                         "/train_kick.wav --class snare:40=" + dir +
                                         "/train_snare.wav --class hihat=" + dir + "/train_hihat.wav");
  INFO(learn.output);
  REQUIRE(learn.status == 0);
  CHECK(learn.output.find("8 examples of kick (note 36; 8 sounds between silences)") != std::string::npos);
  CHECK(learn.output.find("8 examples of snare (note 40; 8 sounds between silences)") != std::string::npos);
  CHECK(learn.output.find("leave-one-out accuracy") != std::string::npos);
  CHECK(learn.output.find("held voice: 0 hit(s) on a 3 s hum, 0 on a 3 s sung vowel") != std::string::npos);
  CHECK(learn.output.find("kept (it keeps them out): min rise 10.0 dB") != std::string::npos);  // learned, kept
  // Whole takes through the profile: one take per sound cannot be held out, and it says so.
  CHECK(learn.output.find("train_kick.wav: 8 hits for 8 sounds, 8 as kick (not held out)") != std::string::npos);
  CHECK(learn.output.find("give a sound two takes") != std::string::npos);
  {
    // Two performers' takes of each sound: each take is played whole through the profile
    // learned from the others. Every take gives one hit per sound, and most land in their class.
    const std::string dir2 = vocalPercussionSet() + "/" + triggerTestPerformers()[1];
    std::string classes;
    for (const std::string& d : {dir, dir2})
      for (const char* c : {"kick", "snare", "hihat"}) classes += std::string(" --class ") + c + "=" + d + "/train_" + c + ".wav";
    const CommandResult two = runCommand(binary() + " triggers learn --out " + tempDir() + "/two.toml" + classes);
    INFO(two.output);
    REQUIRE(two.status == 0);
    std::istringstream lines(two.output);
    std::string line;
    int takes = 0;
    while (std::getline(lines, line)) {
      int found = 0, made = -1, asClass = 0;
      const auto at = line.find(".wav: ");
      if (at == std::string::npos || line.find("(held out)") == std::string::npos) continue;
      REQUIRE(std::sscanf(line.c_str() + at + 6, "%d hits for %d sounds, %d as", &found, &made, &asClass) == 3);
      ++takes;
      CHECK(found == made);
      CHECK(asClass >= made / 2);
    }
    CHECK(takes == 6);
    const auto at = two.output.find("leave-one-take-out accuracy ");
    REQUIRE(at != std::string::npos);
    CHECK(std::stod(two.output.substr(at + 28)) >= 80.0);
  }

  // One class plays one note; a class needs 3 examples. Both refused, nothing written.
  const std::string other = tempDir() + "/x.toml";
  CommandResult bad = runCommand(binary() + " triggers learn --out " + other + " --class boom:36=" + dir +
                                 "/train_kick.wav --class boom:38=" + dir + "/train_snare.wav");
  CHECK(bad.status == 2);
  CHECK(bad.output.find("one class plays one note") != std::string::npos);
  const std::string shortTake = tempDir() + "/short.wav";
  {
    mm::AudioBuffer b = mm::readAudioFile(dir + "/train_kick.wav");
    b.samples = mm::downmix(b);
    b.channels = 1;
    b.samples.resize(static_cast<size_t>(0.6 * b.sampleRate));  // the take's first hit only
    mm::writeWav(shortTake, b);
  }
  bad = runCommand(binary() + " triggers learn --out " + other + " --class kick=" + shortTake);
  CHECK(bad.status == 2);
  CHECK(bad.output.find("record the sound at least 3 times") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(other));
  // Sensitivity and reject from the command line are saved in the profile.
  const std::string tuned = tempDir() + "/tuned.toml";
  REQUIRE(runCommand(binary() + " triggers learn --out " + tuned + " --trigger-sensitivity 0.25 --trigger-reject 2.5"
                     " --class kick=" + dir + "/train_kick.wav --class hihat=" + dir + "/train_hihat.wav").status == 0);
  CHECK(readText(tuned).find("min_rise_db = 15") != std::string::npos);
  CHECK(readText(tuned).find("reject_distance = 2.5") != std::string::npos);
  CHECK(runCommand(binary() + " triggers classify --profile " + tuned + " --in " + dir + "/test.wav"
                   " --trigger-sensitivity 3").status == 2);

  const CommandResult classify =
      runCommand(binary() + " triggers classify --profile " + out + " --in " + dir + "/test.wav");
  INFO(classify.output);
  REQUIRE(classify.status == 0);
  const auto labels = readTriggerLabels(dir + "/test.csv");
  std::istringstream lines(classify.output);
  std::string line;
  int hits = 0, right = 0;
  while (std::getline(lines, line)) {
    double time = 0, distance = 0, peak = 0;
    char cls[32];
    int note = 0, velocity = 0;
    if (std::sscanf(line.c_str(), "%lf %31s %d %lf %d %lf", &time, cls, &note, &distance, &velocity, &peak) != 6)
      continue;
    ++hits;
    CHECK(velocity >= 1);
    CHECK(velocity <= 127);
    for (const auto& l : labels)
      if (std::fabs(l.time - time) < 0.05) right += l.cls == cls;
  }
  CHECK(hits >= static_cast<int>(labels.size()) * 9 / 10);
  CHECK(hits <= static_cast<int>(labels.size()) * 11 / 10);
  CHECK(right >= static_cast<int>(labels.size()) * 85 / 100);

  const CommandResult show = runCommand(binary() + " triggers show --profile " + out);
  CHECK(show.status == 0);
  CHECK(show.output.find("snare      note  40   8 examples") != std::string::npos);

  // A corrupt profile: exit status 2 and the file:line of the problem.
  std::string text = readText(out);
  text.replace(text.find("k = 3"), 5, "k = \"three\"");
  writeText(out, text);
  const CommandResult broken =
      runCommand(binary() + " triggers classify --profile " + out + " --in " + dir + "/test.wav");
  CHECK(broken.status == 2);
  CHECK(broken.output.find(out + ":" + std::to_string(lineOf(text, "k = \"three\"")) + ": error: k must be a whole number") !=
        std::string::npos);
}

TEST_CASE("render --triggers: the beatbox triggers run offline as live, and their notes are written", "[triggers][render]") {
  const std::string dir = vocalPercussionSet() + "/" + triggerTestPerformers()[0];
  const std::string work = tempDir(), profile = work + "/me.toml";
  const CommandResult learn = runCommand(binary() + " triggers learn --out " + profile + " --class kick=" + dir +
                                         "/train_kick.wav --class snare:40=" + dir +
                                         "/train_snare.wav --class hihat=" + dir + "/train_hihat.wav");
  INFO(learn.output);
  REQUIRE(learn.status == 0);
  const CommandResult r = runCommand(binary() + " render --in " + dir + "/test.wav --model " +
                                     fixture("identity_44k.ts") + " --triggers " + profile + " --trigger-midi " + work +
                                     "/hits.mid --out " + work + "/out.wav");
  INFO(r.output);
  REQUIRE(r.status == 0);
  const MidiFileData notes = readMidiFile(work + "/hits.mid");
  const auto labels = readTriggerLabels(dir + "/test.csv");
  const std::map<std::string, int> noteOf = {{"kick", 36}, {"snare", 40}, {"hihat", 42}};
  int hits = 0, right = 0;
  std::vector<bool> used(labels.size(), false);
  for (const MidiEvent& e : notes.events) {
    if ((e.bytes[0] & 0xF0) != 0x90 || e.bytes[2] == 0) continue;
    ++hits;
    CHECK((e.bytes[0] & 0x0F) == 9);  // channel 10, General MIDI drums
    // Sent when decided: after the onset by the listen window (tens of ms), as live.
    for (size_t i = 0; i < labels.size(); ++i)
      if (!used[i] && e.time >= labels[i].time && e.time - labels[i].time < 0.15) {
        used[i] = true;
        right += noteOf.at(labels[i].cls) == e.bytes[1];
        break;
      }
  }
  CHECK(r.output.find("triggers: " + std::to_string(hits) + " hits") != std::string::npos);
  CHECK(hits >= static_cast<int>(labels.size()) * 9 / 10);
  CHECK(hits <= static_cast<int>(labels.size()) * 11 / 10);
  CHECK(right >= static_cast<int>(labels.size()) * 85 / 100);
  // Without a profile the MIDI file is refused, not silently empty.
  const CommandResult bare = runCommand(binary() + " render --in " + dir + "/test.wav --model " +
                                        fixture("identity_44k.ts") + " --trigger-midi " + work + "/x.mid --out " +
                                        work + "/x.wav");
  CHECK(bare.status == 2);
  CHECK(bare.output.find("--trigger-midi needs --triggers") != std::string::npos);
}
