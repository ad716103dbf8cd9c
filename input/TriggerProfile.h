// TriggerProfile: one performer's beatbox sounds — up to 8 classes, each a name, a MIDI
// note and the feature vectors of the examples they recorded — plus the trigger settings
// (onset detection, listen window, k-NN, velocity, note length). Saved as TOML:
//
//   format = 1
//   feature_set = "mm-trigger-1"     # which measurements the examples hold
//   sample_rate = 44100              # rate the examples were measured at
//   [settings]
//   listen_ms = 12.0                 # classify this long after each onset
//   ...
//   [[class]]
//   name = "kick"
//   note = 36
//   examples = [ [29 numbers], ... ] # raw features, TriggerFeatures.h order
//
// Threads: control/main thread only (file I/O). Saves go through writeTextAtomically.
#pragma once

#include <string>
#include <vector>

#include "LoadReport.h"
#include "TriggerFeatures.h"

namespace mm {

constexpr int kMaxTriggerClasses = 8;    // ModulationSources::kTriggerClasses
constexpr int kMaxTriggerExamples = 64;  // per class

struct TriggerSettings {
  float listenMs = 12.f;                 // after the onset, before deciding (2 .. 100)
  float preMs = 2.f;                     // the feature window starts this long before the onset
  std::string onsetMethod = "specflux";  // any aubio method; spectral flux finds kicks in noise (bench/README.md)
  int hop = 64;                          // onset detection hop (32 .. 512); smaller reacts sooner
  int window = 256;                      // onset detection window (>= hop)
  float onsetThreshold = 0.5f;           // aubio peak-picking threshold
  float silenceDb = -50.f;               // quieter hops never start a hit
  float minGapMs = 90.f;                 // between two hits (a "pf" is one snare, not two)
  // A hit must rise this far above what sounded just before it (where it started: the
  // loudest 2.5 ms of the 20 ms after against the loudest of the 3..20 ms before): a held
  // vowel, a hum, or the tail of the previous hit rises less and does not trigger.
  // Lower: more sensitive (quiet hits on a loud tail count).
  float minRiseDb = 10.f;
  // One syllable is one hit: an onset less than hold_ms after a hit is the same sound
  // (the vowel of a "kah", the louder part of a swelling hit) unless the sound fell at
  // least hold_decay_db below that hit's peak in between (the closure before a "b", a
  // gap). 0 ms: no hold.
  float holdMs = 160.f;
  float holdDecayDb = 10.f;
  int k = 3;                             // neighbours that vote
  float rejectDistance = 0.f;            // > 0: a hit further than this from every example is ignored
  float velocityFloorDb = -40.f;         // peak level that gives velocity 1
  float velocityCeilDb = -6.f;           // peak level that gives velocity 127
  float noteLengthMs = 60.f;             // note off this long after note on
  int midiChannel = 10;                  // 1 .. 16 (10: General MIDI drums)
};

struct TriggerClass {
  std::string name;
  int note = 36;
  std::vector<std::vector<float>> examples;  // each kTriggerFeatureCount long
};

struct TriggerProfile {
  TriggerSettings settings;
  std::vector<TriggerClass> classes;
  double sampleRate = 0;  // rate the examples were measured at (0: none yet)

  int exampleCount() const;
  int classIndex(const std::string& name) const;  // -1 when absent
};

// Sensitivity 0..1, the performer's word for min_rise_db: 0 = a hit must rise 20 dB above
// what sounded before it, 0.5 = 10 dB (the default), 1 = 0 dB (any onset counts).
inline float minRiseForSensitivity(float sensitivity) { return 20.f * (1.f - sensitivity); }
inline float sensitivityForMinRise(float minRiseDb) { return 1.f - minRiseDb / 20.f; }

// General MIDI drum note for a class name ("kick" 36, "snare" 38, "hihat" 42, ...), else
// 36 + index.
int defaultTriggerNote(const std::string& name, int index);
// kick, snare, hihat with General MIDI notes and no examples: where live learning starts.
TriggerProfile starterTriggerProfile();

// Checks settings and classes; returns "" or what is wrong (no file position).
std::string validateTriggerProfile(const TriggerProfile& profile);

std::string triggerProfileToToml(const TriggerProfile& profile);
// Parses TOML text; `name` is the file name used in the report's problems (each with its
// line: "what; what to do"). On any problem returns false, with every problem in
// `report`, and leaves `out` as it was.
bool parseTriggerProfile(const std::string& text, const std::string& name, TriggerProfile& out, LoadReport& report);
// Reads and parses `path`; same contract.
bool loadTriggerProfile(const std::string& path, TriggerProfile& out, LoadReport& report);
// Atomic save (temporary file, fsync, rename). Returns "" or what went wrong.
std::string saveTriggerProfile(const std::string& path, const TriggerProfile& profile);

}  // namespace mm
