// `musicmill triggers learn|classify|show`: beatbox trigger profiles from the command line.
//
//   triggers learn --out PROFILE.toml --class NAME[:NOTE]=TAKE.wav ... [--from PROFILE.toml]
//                  [--listen-ms MS]
//       Each take holds several examples of one sound (5-10, a quarter second or more
//       apart); they are found by the trigger's own onset detector and measured exactly
//       as live. --from starts from an existing profile (its other classes are kept; a
//       class named again is replaced).
//   triggers classify --profile PROFILE.toml --in VOICE.wav [--listen-ms MS]
//       One line per hit: onset time, class, k-NN distance, velocity, peak level.
//   triggers show --profile PROFILE.toml
//       Classes, notes, examples, settings and the leave-one-out confusion.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <tuple>
#include <string>
#include <vector>

#include "AudioFile.h"
#include "Commands.h"
#include "TriggerAnalyzer.h"
#include "TriggerClassifier.h"
#include "TriggerLearner.h"
#include "TriggerProfile.h"

namespace mm {

namespace {

int fail(const std::string& what) {
  std::cerr << "musicmill triggers: " << what << (what.empty() || what.back() != '\n' ? "\n" : "");
  return 2;
}

bool readTake(const std::string& path, std::vector<float>& mono, double& rate, std::string& error) {
  try {
    const AudioBuffer b = readAudioFile(path);
    mono = downmix(b);
    rate = b.sampleRate;
    return true;
  } catch (const std::exception& e) {
    error = e.what();
    return false;
  }
}

// Sounds in a take told apart by silence (10 ms frames more than 30 dB under the loudest,
// for 20 ms or more): what the performer made, to set beside what the onsets found.
int soundsBetweenSilences(const std::vector<float>& mono, double rate) {
  const size_t frame = static_cast<size_t>(0.01 * rate);
  std::vector<float> db;
  for (size_t i = 0; frame && i + frame <= mono.size(); i += frame) {
    double e = 0;
    for (size_t j = i; j < i + frame; ++j) e += mono[j] * mono[j];
    db.push_back(static_cast<float>(10 * std::log10(e / frame + 1e-12)));
  }
  if (db.empty()) return 0;
  const float threshold = std::max(*std::max_element(db.begin(), db.end()) - 30.f, -60.f);
  int sounds = 0, quiet = 2, loud = 0;
  for (float d : db) {
    if (d < threshold) {
      ++quiet;
      loud = 0;
    } else if (++loud == 2 && quiet >= 2) {  // two loud frames after a silence: a new sound
      ++sounds;
      quiet = 0;
    } else if (loud >= 2) {
      quiet = 0;
    }
  }
  return sounds;
}

// What a performer sings or hums between hits, 3 s at -12 dBFS after 0.5 s of silence, then
// 0.5 s of silence: a hum (a sine and its octave, hard start) or a sung "ah" (harmonics
// through vowel formants, vibrato).
std::vector<float> heldVoice(double rate, bool vowel) {
  const size_t n = static_cast<size_t>(3.0 * rate);
  std::vector<float> x(static_cast<size_t>(0.5 * rate), 0.f);
  const double f0 = vowel ? 196.0 : 147.0, kPi = 3.14159265358979;
  double phase = 0, peak = 0;
  std::vector<double> y(n);
  for (size_t i = 0; i < n; ++i) {
    const double t = i / rate;
    phase += 2 * kPi * f0 * (1.0 + (vowel ? 0.015 : 0.004) * std::sin(2 * kPi * 5.2 * t)) / rate;
    double s = 0;
    if (vowel) {
      for (int k = 1; k * f0 < 6000; ++k) {
        const double fk = k * f0;
        double g = 0;
        for (const auto& [fc, bw, a] : {std::tuple{730.0, 90.0, 1.0}, {1100.0, 110.0, 0.6}, {2450.0, 160.0, 0.25}})
          g += a / (1 + ((fk - fc) / bw) * ((fk - fc) / bw));
        s += g / std::sqrt(k) * std::sin(k * phase);
      }
    } else {
      s = std::sin(phase) + 0.2 * std::sin(2 * phase);
    }
    y[i] = s * std::min(1.0, t / (vowel ? 0.06 : 0.005)) * std::min(1.0, (3.0 - t) / 0.1);
    peak = std::max(peak, std::fabs(y[i]));
  }
  for (double v : y) x.push_back(static_cast<float>(v / peak * 0.25));
  x.resize(x.size() + static_cast<size_t>(0.5 * rate), 0.f);
  return x;
}

// The hits the profile would play on a held hum or vowel after its start.
int falseHitsOnHeldVoice(const TriggerProfile& profile, double rate, bool vowel) {
  const TriggerClassifier clf(profile);
  int hits = 0;
  for (const auto& r : analyzeTriggersOffline(heldVoice(rate, vowel), rate, profile.settings, &clf))
    hits += r.hit.cls >= 0 && r.hit.onsetSample / rate > 0.55;  // its start may count once
  return hits;
}

void printConfusion(const TriggerProfile& p) {
  std::vector<std::vector<int>> confusion;
  const double loo = leaveOneOutAccuracy(p, &confusion);
  if (loo < 0) {
    std::printf("leave-one-out accuracy: needs two examples or more in every class\n");
    return;
  }
  std::printf("leave-one-out accuracy %.1f %% (rows: the class learned, columns: what it was taken for)\n", 100 * loo);
  std::printf("  %-10s", "");
  for (const auto& c : p.classes) std::printf(" %8.8s", c.name.c_str());
  std::printf("\n");
  for (size_t i = 0; i < confusion.size(); ++i) {
    std::printf("  %-10.10s", p.classes[i].name.c_str());
    for (int n : confusion[i]) std::printf(" %8d", n);
    std::printf("\n");
  }
}

// One take given to `learn`: its audio, and which examples of its class it gave.
struct MeasuredTake {
  std::string file;
  int cls = 0, first = 0, count = 0;  // examples [first, first + count) of class cls
  std::vector<float> mono;
  double rate = 0;
  int made = 0;  // sounds between silences
};

// Each whole take played through the profile as live, the take's own examples left out
// where its class has examples from another take: hits found against sounds made, and how
// many of them were taken for the take's class. Segmented examples (the leave-one-out
// figure above) hide double hits and tails; this does not.
void printWholeTakes(const TriggerProfile& profile, const std::vector<MeasuredTake>& takes) {
  int heldOut = 0, hits = 0, made = 0, right = 0, heldHits = 0, heldRight = 0;
  std::printf("whole takes played through the profile (the take's own examples left out where its class has "
              "another take):\n");
  for (const MeasuredTake& t : takes) {
    TriggerProfile without = profile;
    auto& ex = without.classes[static_cast<size_t>(t.cls)].examples;
    const bool held = static_cast<int>(ex.size()) - t.count >= 1;
    if (held) ex.erase(ex.begin() + t.first, ex.begin() + t.first + t.count);
    const TriggerClassifier clf(held ? without : profile);
    int found = 0, asClass = 0;
    for (const auto& r : analyzeTriggersOffline(t.mono, t.rate, profile.settings, &clf)) {
      ++found;
      asClass += r.hit.cls == t.cls;
    }
    std::printf("  %s: %d hits for %d sounds, %d as %s (%s)\n", t.file.c_str(), found, t.made, asClass,
                profile.classes[static_cast<size_t>(t.cls)].name.c_str(), held ? "held out" : "not held out");
    hits += found;
    made += t.made;
    right += asClass;
    if (held) {
      ++heldOut;
      heldHits += found;
      heldRight += asClass;
    }
  }
  std::printf("  all takes: %d hits for %d sounds, %d in their take's class\n", hits, made, right);
  if (heldOut > 0)
    std::printf("leave-one-take-out accuracy %.1f %% (%d of %d hits, %d takes held out)\n",
                heldHits ? 100.0 * heldRight / heldHits : 0.0, heldRight, heldHits, heldOut);
  else
    std::printf("leave-one-take-out accuracy: give a sound two takes (--class kick=a.wav --class kick=b.wav) to "
                "measure it; the figure that predicts the stage\n");
}

}  // namespace

std::string applyTriggerOptions(const Args& args, TriggerSettings& s) {
  try {
    if (args.get("listen-ms")) s.listenMs = static_cast<float>(args.getDouble("listen-ms", 12.0));
    if (args.get("trigger-sensitivity")) {
      const double v = args.getDouble("trigger-sensitivity", 0.5);
      if (!(v >= 0.0 && v <= 1.0))
        return "--trigger-sensitivity must lie in 0 .. 1 (0: only hits that rise 20 dB, 1: every onset)";
      s.minRiseDb = minRiseForSensitivity(static_cast<float>(v));
    }
    if (args.get("trigger-reject")) {
      const double v = args.getDouble("trigger-reject", 0.0);
      if (!(v >= 0.0 && v <= 1000.0)) return "--trigger-reject must lie in 0 .. 1000 (0: every hit gets a class)";
      s.rejectDistance = static_cast<float>(v);
    }
  } catch (const std::exception& e) {
    return e.what();
  }
  TriggerProfile check;
  check.settings = s;
  return validateTriggerProfile(check);
}

namespace {

int learn(const Args& args) {
  const auto out = args.get("out");
  if (!out) return fail("learn needs --out PROFILE.toml");
  const auto takes = args.all("class");
  if (takes.empty()) return fail("learn needs --class NAME[:NOTE]=TAKE.wav (one per sound; repeat for more)");
  TriggerProfile profile;
  if (auto from = args.get("from")) {
    if (LoadReport report; !loadTriggerProfile(*from, profile, report)) return fail(report.text());
  }
  if (const std::string bad = applyTriggerOptions(args, profile.settings); !bad.empty()) return fail(bad);
  if (const std::string bad = validateTriggerProfile(profile); !bad.empty()) return fail(bad);

  // Every --class read once (NAME[:NOTE]=TAKE.wav), before any take is measured.
  struct ClassTake {
    std::string spec, name, file;
    int note = -1;  // -1: not given
  };
  std::vector<ClassTake> parsed;
  for (const std::string& spec : takes) {
    const auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
      return fail("--class '" + spec + "': write NAME=TAKE.wav or NAME:NOTE=TAKE.wav");
    ClassTake t{spec, spec.substr(0, eq), spec.substr(eq + 1)};
    if (const auto colon = t.name.find(':'); colon != std::string::npos) {
      try {
        t.note = std::stoi(t.name.substr(colon + 1));
      } catch (const std::exception&) {
        return fail("--class '" + spec + "': the note after ':' must be a MIDI note number 0..127");
      }
      if (t.note < 0 || t.note > 127) return fail("--class '" + spec + "': the note must lie in 0..127");
      t.name = t.name.substr(0, colon);
    }
    // One class plays one note: the same name with two notes is refused (a second take of
    // a class names the same note, or none).
    for (const ClassTake& other : parsed)
      if (other.name == t.name && other.note >= 0 && t.note >= 0 && other.note != t.note)
        return fail("--class " + other.spec + " and --class " + spec + ": one class plays one note; give " +
                    "each sound its own name (" + t.name + ", " + t.name + "2), or the same note to add a second take");
    parsed.push_back(t);
  }
  std::vector<std::string> learnedHere;
  std::vector<MeasuredTake> measured;
  for (const ClassTake& given : parsed) {
    const std::string& name = given.name;
    const std::string& file = given.file;
    const int note = given.note;
    std::vector<float> mono;
    double rate = 0;
    std::string error;
    if (!readTake(file, mono, rate, error)) return fail(error);
    if (profile.sampleRate > 0 && profile.sampleRate != rate)
      std::printf("note: %s is at %.0f Hz, other takes at %.0f Hz; features are compared across rates\n", file.c_str(),
                  rate, profile.sampleRate);
    const TakeExamples take = examplesFromTake(mono, rate, profile.settings);
    if (take.examples.empty())
      return fail(file +
                  ": no onsets found in this take; record the sound several times, louder, with "
                  "silence between");
    int cls = profile.classIndex(name);
    bool firstTakeOfClass = true;
    for (const auto& l : learnedHere) firstTakeOfClass &= l != name;
    if (cls < 0) {
      if (profile.classes.size() >= static_cast<size_t>(kMaxTriggerClasses))
        return fail("at most " + std::to_string(kMaxTriggerClasses) + " classes");
      profile.classes.push_back(
          {name, note >= 0 ? note : defaultTriggerNote(name, static_cast<int>(profile.classes.size())), {}});
      cls = static_cast<int>(profile.classes.size()) - 1;
    } else if (firstTakeOfClass) {
      profile.classes[cls].examples.clear();  // learning a class again replaces it
    }
    if (note >= 0) profile.classes[cls].note = note;
    learnedHere.push_back(name);
    auto& ex = profile.classes[cls].examples;
    if (firstTakeOfClass)  // the class's earlier takes (from --from) are gone
      measured.erase(std::remove_if(measured.begin(), measured.end(), [&](const MeasuredTake& m) { return m.cls == cls; }),
                     measured.end());
    MeasuredTake kept{file, cls, static_cast<int>(ex.size()), 0, mono, rate, 0};
    for (const auto& e : take.examples)
      if (ex.size() < static_cast<size_t>(kMaxTriggerExamples)) ex.push_back(e);
    kept.count = static_cast<int>(ex.size()) - kept.first;
    profile.sampleRate = rate;
    const int made = soundsBetweenSilences(mono, rate);
    kept.made = made;
    measured.push_back(std::move(kept));
    std::printf("%s: %zu examples of %s (note %d; %d sounds between silences) at", file.c_str(),
                take.examples.size(), name.c_str(), profile.classes[cls].note, made);
    for (double t : take.onsetTimes) std::printf(" %.2f", t);
    std::printf(" s");
    if (take.masked) std::printf("; %d onsets dropped as the tails of louder sounds", take.masked);
    std::printf("\n");
    if (static_cast<int>(take.examples.size()) != made)
      std::printf("note: %zu hits found for %d sounds: %s\n", take.examples.size(), made,
                  static_cast<int>(take.examples.size()) > made
                      ? "some sounds gave two onsets (--trigger-sensitivity lower asks more of a hit)"
                      : "some sounds were too soft or too close to the one before (leave a quarter second)");
    if (take.examples.size() < 5 || take.examples.size() > 10)
      std::printf("note: 5 to 10 examples per sound work best (this take gave %zu)\n", take.examples.size());
  }
  // The rise a hit needs, learned from these takes and a held hum and vowel (unless given).
  if (!measured.empty()) {
    OnsetRises rises;
    for (const MeasuredTake& t : measured) measureOnsetRises(t.mono, t.rate, profile.settings, rises);
    for (bool vowel : {false, true})
      measureOnsetRises(heldVoice(profile.sampleRate, vowel), profile.sampleRate, profile.settings, rises, true, 0.55);
    const RiseChoice choice = chooseMinRise(rises, profile.settings.minRiseDb);
    if (args.get("trigger-sensitivity")) {
      std::printf("rise: %s; --trigger-sensitivity given, so min rise %.1f dB as asked\n", choice.why.c_str(),
                  profile.settings.minRiseDb);
    } else {
      profile.settings.minRiseDb = choice.minRiseDb;
      std::printf("rise: %s: min rise %.1f dB (sensitivity %.2f)\n", choice.why.c_str(), choice.minRiseDb,
                  sensitivityForMinRise(choice.minRiseDb));
    }
  }
  for (const auto& c : profile.classes) {
    bool here = false;
    for (const auto& l : learnedHere) here |= l == c.name;
    if (here && c.examples.size() < 3)
      return fail("class '" + c.name + "' has " + std::to_string(c.examples.size()) +
                  " example(s): record the sound at least 3 times (5-10 work best), a quarter second or more "
                  "apart, louder than the room; nothing was saved");
  }
  if (const std::string err = saveTriggerProfile(*out, profile); !err.empty()) return fail(err);
  printConfusion(profile);
  printWholeTakes(profile, measured);
  const int humHits = falseHitsOnHeldVoice(profile, profile.sampleRate, false);
  const int vowelHits = falseHitsOnHeldVoice(profile, profile.sampleRate, true);
  std::printf("held voice: %d hit(s) on a 3 s hum, %d on a 3 s sung vowel after their start (min rise %.1f dB, "
              "sensitivity %.2f)%s\n",
              humHits, vowelHits, profile.settings.minRiseDb, sensitivityForMinRise(profile.settings.minRiseDb),
              humHits + vowelHits ? ": humming or singing between hits would play drums; lower --trigger-sensitivity"
                                  : "");
  std::printf("saved %s: %zu classes, %d examples\n", out->c_str(), profile.classes.size(), profile.exampleCount());
  return 0;
}

int classify(const Args& args) {
  const auto profilePath = args.get("profile");
  const auto in = args.get("in");
  if (!profilePath || !in) return fail("classify needs --profile PROFILE.toml --in VOICE.wav");
  TriggerProfile profile;
  if (LoadReport report; !loadTriggerProfile(*profilePath, profile, report)) return fail(report.text());
  if (const std::string bad = applyTriggerOptions(args, profile.settings); !bad.empty()) return fail(bad);
  if (const std::string bad = validateTriggerProfile(profile); !bad.empty()) return fail(bad);
  std::vector<float> mono;
  double rate = 0;
  std::string error;
  if (!readTake(*in, mono, rate, error)) return fail(error);
  const TriggerClassifier clf(profile);
  if (!clf.ready()) std::printf("note: the profile has no examples yet; every hit is '?'\n");
  const auto reports = analyzeTriggersOffline(mono, rate, profile.settings, &clf);
  std::printf("# %s: %zu hits (listen %.1f ms, %s onsets, k %d)\n", in->c_str(), reports.size(),
              profile.settings.listenMs, profile.settings.onsetMethod.c_str(), profile.settings.k);
  std::printf("%9s  %-10s %8s %8s %8s %10s\n", "onset_s", "class", "note", "distance", "velocity", "peak_dbfs");
  for (const auto& r : reports) {
    const bool known = r.hit.cls >= 0 && r.hit.cls < static_cast<int>(profile.classes.size());
    std::printf("%9.4f  %-10s %8d %8.3f %8d %10.1f\n", static_cast<double>(r.hit.onsetSample) / rate,
                known ? profile.classes[r.hit.cls].name.c_str() : "?", known ? profile.classes[r.hit.cls].note : -1,
                r.hit.distance, r.hit.velocity, r.hit.peakDb);
  }
  return 0;
}

int show(const Args& args) {
  const auto profilePath = args.get("profile");
  if (!profilePath) return fail("show needs --profile PROFILE.toml");
  TriggerProfile p;
  if (LoadReport report; !loadTriggerProfile(*profilePath, p, report)) return fail(report.text());
  const TriggerSettings& s = p.settings;
  std::printf("%s: %zu classes, %d examples, learned at %.0f Hz\n", profilePath->c_str(), p.classes.size(),
              p.exampleCount(), p.sampleRate);
  std::printf(
      "listen %.1f ms (+%.1f ms before the onset), onsets %s hop %d threshold %.2f silence %.0f dB gap %.0f ms, "
      "k %d, reject %.2f, velocity %.0f..%.0f dBFS, notes %.0f ms on channel %d\n"
      "sensitivity %.2f: a hit rises %.1f dB or more above what sounded before it\n"
      "hold %.0f ms: a later onset is the same sound unless it fell %.0f dB below the hit between\n",
      s.listenMs, s.preMs, s.onsetMethod.c_str(), s.hop, s.onsetThreshold, s.silenceDb, s.minGapMs, s.k,
      s.rejectDistance, s.velocityFloorDb, s.velocityCeilDb, s.noteLengthMs, s.midiChannel,
      sensitivityForMinRise(s.minRiseDb), s.minRiseDb, s.holdMs, s.holdDecayDb);
  for (const auto& c : p.classes)
    std::printf("  %-10s note %3d  %2zu examples\n", c.name.c_str(), c.note, c.examples.size());
  printConfusion(p);
  if (p.sampleRate > 0 && p.exampleCount() > 0)
    std::printf("held voice: %d hit(s) on a 3 s hum, %d on a 3 s sung vowel after their start\n",
                falseHitsOnHeldVoice(p, p.sampleRate, false), falseHitsOnHeldVoice(p, p.sampleRate, true));
  return 0;
}

}  // namespace

int runTriggers(const Args& args) {
  const std::string what = args.positional.empty() ? "" : args.positional[0];
  try {
    if (what == "learn") return learn(args);
    if (what == "classify") return classify(args);
    if (what == "show") return show(args);
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  return fail("say what to do: triggers learn | classify | show (musicmill help)");
}

}  // namespace mm
