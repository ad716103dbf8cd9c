// TriggerLearner: learn mode for beatbox triggers. The performer arms a class ("kick, 8
// examples"); the next onsets the TriggerAnalyzer reports become that class's examples.
// When the take is complete they replace the class's old examples (or are added to them)
// and the profile's revision goes up, so the caller builds a new classifier. Also:
// learning from recorded takes, where each WAV holds several examples of one sound
// (`musicmill triggers learn --class kick=take.wav`), segmented by the same onset detector.
//
// A take holds one sound at a time, so an onset less than kTakeMaskMs after a louder one is
// the tail of that sound (the vowel after a "b", the "f" of a "pf"), not an example: both
// ways of learning drop it. Leave at least a quarter second between examples.
//
// Threads: main thread only (the UI and the session's onTick drive it).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "TriggerAnalyzer.h"
#include "TriggerProfile.h"

namespace mm {

constexpr double kTakeMaskMs = 200.0;

class TriggerLearner {
 public:
  TriggerLearner(TriggerProfile profile, double sampleRate);

  const TriggerProfile& profile() const { return profile_; }
  uint64_t revision() const { return revision_; }  // goes up with every change

  // Arms class `cls` for the next `count` onsets (1 .. kMaxTriggerExamples). Returns "" or
  // why not. A take in progress is dropped.
  std::string arm(int cls, int count, bool replace = true);
  void cancel();
  bool armed() const { return armedClass_ >= 0; }
  int armedClass() const { return armedClass_; }
  int collected() const { return static_cast<int>(take_.size()); }
  int wanted() const { return wanted_; }

  // Feeds one analyzer report. Returns true when it completed a take (profile changed).
  bool onReport(const TriggerReport& report);

  // Profile edits (each bumps the revision). Return "" or why not.
  std::string addClass(const std::string& name, int note = -1);
  std::string removeClass(int cls);
  std::string clearClass(int cls);
  std::string setNote(int cls, int note);
  // How much a hit must rise (min_rise_db) and how far from every example a hit is
  // ignored (reject_distance, 0: never).
  std::string setDetection(float minRiseDb, float rejectDistance);
  // Replaces the whole profile (a loaded file); cancels a take in progress.
  void replaceProfile(TriggerProfile profile);

  // One line for the UI / terminal: "learning kick: 3 of 8" or "ready: kick 8, snare 8 ...".
  std::string status() const;

 private:
  TriggerProfile profile_;
  double sampleRate_;
  uint64_t revision_ = 1;
  int armedClass_ = -1, wanted_ = 0;
  bool replace_ = true;
  std::vector<std::vector<float>> take_;
  uint64_t lastOnset_ = 0;
  float lastPeakDb_ = -200.f;
  bool haveLast_ = false;
};

struct TakeExamples {
  std::vector<std::vector<float>> examples;  // one per onset found
  std::vector<double> onsetTimes;            // seconds, from the start of the take
  std::vector<float> peakDb;
  int masked = 0;  // onsets dropped as the tail of the sound before (kTakeMaskMs)
};
// Segments a recorded take by onsets and measures each example, exactly as live.
TakeExamples examplesFromTake(const std::vector<float>& mono, double sampleRate, const TriggerSettings& settings);

// How far each onset of a recording rose above what sounded before it (TriggerHit::riseDb),
// found with the rise gate open and no hold: the hits (onsets a take keeps as examples)
// apart from what is not a hit (the tails kTakeMaskMs drops). For held voice, pass
// `allOther`: every onset after `otherAfterSeconds` is not a hit.
struct OnsetRises {
  std::vector<float> hits, other;
};
void measureOnsetRises(const std::vector<float>& mono, double sampleRate, const TriggerSettings& settings,
                       OnsetRises& into, bool allOther = false, double otherAfterSeconds = 0.0);

// min_rise_db learned from the rises: raised above the loudest non-hit (by 2 dB) when the
// current value would let one through, never above the quietest hit less 6 dB (a stage's
// noise and reverb make hits rise less than in a quiet take), never lowered (the takes
// hold no stage). `learned` is false when it was kept; `why` says what was found.
struct RiseChoice {
  float minRiseDb = 10.f;
  bool learned = false;
  std::string why;
};
RiseChoice chooseMinRise(const OnsetRises& rises, float currentMinRiseDb);

}  // namespace mm
