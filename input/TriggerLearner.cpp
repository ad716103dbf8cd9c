#include "TriggerLearner.h"

#include <algorithm>
#include <cstdio>

namespace mm {

TriggerLearner::TriggerLearner(TriggerProfile profile, double sampleRate)
    : profile_(std::move(profile)), sampleRate_(sampleRate) {}

std::string TriggerLearner::arm(int cls, int count, bool replace) {
  if (cls < 0 || cls >= static_cast<int>(profile_.classes.size())) return "no such class";
  if (count < 1 || count > kMaxTriggerExamples)
    return "the number of examples must lie in 1 .. " + std::to_string(kMaxTriggerExamples);
  armedClass_ = cls;
  wanted_ = count;
  haveLast_ = false;
  replace_ = replace;
  take_.clear();
  return "";
}

void TriggerLearner::cancel() {
  armedClass_ = -1;
  wanted_ = 0;
  take_.clear();
}

namespace {
// True when `onset` is the tail of the louder sound before it (see kTakeMaskMs).
bool maskedByPrevious(uint64_t onset, float peakDb, bool haveLast, uint64_t lastOnset, float lastPeakDb, double rate) {
  return haveLast && onset > lastOnset && static_cast<double>(onset - lastOnset) < kTakeMaskMs * 0.001 * rate &&
         peakDb < lastPeakDb;
}
}  // namespace

bool TriggerLearner::onReport(const TriggerReport& report) {
  if (armedClass_ < 0) return false;
  const bool masked =
      maskedByPrevious(report.hit.onsetSample, report.hit.peakDb, haveLast_, lastOnset_, lastPeakDb_, sampleRate_);
  if (!masked) {
    lastOnset_ = report.hit.onsetSample;
    lastPeakDb_ = report.hit.peakDb;
    haveLast_ = true;
  }
  if (masked) return false;
  take_.emplace_back(report.features, report.features + kTriggerFeatureCount);
  if (static_cast<int>(take_.size()) < wanted_) return false;
  auto& examples = profile_.classes[armedClass_].examples;
  if (replace_) examples.clear();
  for (auto& e : take_) examples.push_back(std::move(e));
  // Keep the newest when adding would go over the limit.
  if (examples.size() > static_cast<size_t>(kMaxTriggerExamples))
    examples.erase(examples.begin(), examples.end() - kMaxTriggerExamples);
  profile_.sampleRate = sampleRate_;
  cancel();
  ++revision_;
  return true;
}

std::string TriggerLearner::addClass(const std::string& name, int note) {
  if (name.empty()) return "a class needs a name";
  if (profile_.classes.size() >= static_cast<size_t>(kMaxTriggerClasses))
    return "at most " + std::to_string(kMaxTriggerClasses) + " classes";
  if (profile_.classIndex(name) >= 0) return "there is already a class called '" + name + "'";
  TriggerClass c;
  c.name = name;
  c.note = note >= 0 && note <= 127 ? note : defaultTriggerNote(name, static_cast<int>(profile_.classes.size()));
  profile_.classes.push_back(c);
  ++revision_;
  return "";
}

std::string TriggerLearner::removeClass(int cls) {
  if (cls < 0 || cls >= static_cast<int>(profile_.classes.size())) return "no such class";
  cancel();
  profile_.classes.erase(profile_.classes.begin() + cls);
  ++revision_;
  return "";
}

std::string TriggerLearner::clearClass(int cls) {
  if (cls < 0 || cls >= static_cast<int>(profile_.classes.size())) return "no such class";
  profile_.classes[cls].examples.clear();
  ++revision_;
  return "";
}

std::string TriggerLearner::setNote(int cls, int note) {
  if (cls < 0 || cls >= static_cast<int>(profile_.classes.size())) return "no such class";
  if (note < 0 || note > 127) return "a MIDI note lies in 0 .. 127";
  profile_.classes[cls].note = note;
  ++revision_;
  return "";
}

std::string TriggerLearner::setDetection(float minRiseDb, float rejectDistance) {
  TriggerProfile next = profile_;
  next.settings.minRiseDb = minRiseDb;
  next.settings.rejectDistance = rejectDistance;
  if (std::string bad = validateTriggerProfile(next); !bad.empty()) return bad;
  profile_.settings = next.settings;
  ++revision_;
  return "";
}

void TriggerLearner::replaceProfile(TriggerProfile profile) {
  cancel();
  profile_ = std::move(profile);
  ++revision_;
}

std::string TriggerLearner::status() const {
  if (armedClass_ >= 0)
    return "learning " + profile_.classes[armedClass_].name + ": " + std::to_string(take_.size()) + " of " +
           std::to_string(wanted_) + " (make the sound now)";
  std::string s;
  for (const auto& c : profile_.classes)
    s += (s.empty() ? "" : ", ") + c.name + " " + std::to_string(c.examples.size());
  return s.empty() ? "no classes" : "examples: " + s;
}

TakeExamples examplesFromTake(const std::vector<float>& mono, double sampleRate, const TriggerSettings& settings) {
  TakeExamples t;
  bool haveLast = false;
  uint64_t lastOnset = 0;
  float lastPeakDb = 0.f;
  for (const TriggerReport& r : analyzeTriggersOffline(mono, sampleRate, settings, nullptr)) {
    if (maskedByPrevious(r.hit.onsetSample, r.hit.peakDb, haveLast, lastOnset, lastPeakDb, sampleRate)) {
      ++t.masked;
      continue;
    }
    haveLast = true;
    lastOnset = r.hit.onsetSample;
    lastPeakDb = r.hit.peakDb;
    t.examples.emplace_back(r.features, r.features + kTriggerFeatureCount);
    t.onsetTimes.push_back(static_cast<double>(r.hit.onsetSample) / sampleRate);
    t.peakDb.push_back(r.hit.peakDb);
  }
  return t;
}

void measureOnsetRises(const std::vector<float>& mono, double sampleRate, const TriggerSettings& settings,
                       OnsetRises& into, bool allOther, double otherAfterSeconds) {
  TriggerSettings open = settings;
  open.minRiseDb = -60.f;
  open.holdMs = 0.f;
  bool haveLast = false;
  uint64_t lastOnset = 0;
  float lastPeakDb = 0.f;
  for (const TriggerReport& r : analyzeTriggersOffline(mono, sampleRate, open, nullptr)) {
    if (allOther) {
      if (static_cast<double>(r.hit.onsetSample) / sampleRate > otherAfterSeconds) into.other.push_back(r.hit.riseDb);
      continue;
    }
    if (maskedByPrevious(r.hit.onsetSample, r.hit.peakDb, haveLast, lastOnset, lastPeakDb, sampleRate)) {
      into.other.push_back(r.hit.riseDb);
      continue;
    }
    haveLast = true;
    lastOnset = r.hit.onsetSample;
    lastPeakDb = r.hit.peakDb;
    into.hits.push_back(r.hit.riseDb);
  }
}

RiseChoice chooseMinRise(const OnsetRises& rises, float current) {
  RiseChoice c;
  c.minRiseDb = current;
  if (rises.hits.empty()) {
    c.why = "no hits measured; kept";
    return c;
  }
  const float quietest = *std::min_element(rises.hits.begin(), rises.hits.end());
  const float loudest = rises.other.empty() ? -60.f : *std::max_element(rises.other.begin(), rises.other.end());
  char buf[200];
  std::snprintf(buf, sizeof buf, "the quietest hit rose %.1f dB, the loudest tail or held voice %.1f dB", quietest,
                loudest);
  c.why = buf;
  const float want = loudest + 2.f;
  if (want <= current) {
    c.why += "; kept (it keeps them out)";
  } else if (want <= std::min(20.f, quietest - 6.f)) {  // 20 dB: sensitivity 0
    c.minRiseDb = want;
    c.learned = true;
    c.why += "; raised to keep them out";
  } else {
    c.why += "; kept: tails rise almost as much as hits (leave more silence after each sound, or lower "
             "--trigger-sensitivity by hand)";
  }
  return c;
}

}  // namespace mm
