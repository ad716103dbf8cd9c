// TriggerAnalyzer: beatbox triggers on the live input. For every onset (aubio, its own
// detector tuned for percussive mouth sounds) it waits out the listen window, measures
// the window's features, asks the k-NN classifier which of the performer's sounds it
// was, and then:
//  - publishes the hit to ModulationSources (triggerVelocity[c], then triggerCount[c]) so
//    that the modulation matrix can shape the latent;
//  - pushes a TriggerHit into the note FIFO and wakes the MIDI-out thread (TriggerMidiOut);
//  - pushes a TriggerReport (hit + features) into the report FIFO for the main thread
//    (live learning, the Triggers panel, `musicmill triggers classify`).
// While learning is on, hits are only reported.
//
// The same object runs in the live callback (LiveEngine::addInputAnalyzer), in offline
// render (RenderOptions::analyzers) and behind `musicmill triggers learn|classify`.
//
// Threads: construct, prepare(), setClassifier(), setLearning() on the control thread;
// analyze() on the audio thread (MM_REALTIME: everything it touches was allocated in
// prepare(); a new classifier arrives through a TripleBuffer, and the one it replaces is
// freed by the control thread at its next setClassifier()); popNote() on the MIDI-out
// thread; popReport() on the main thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "ModulationSources.h"
#include "Semaphore.h"
#include "SpscFifo.h"
#include "TripleBuffer.h"
#include "TriggerClassifier.h"
#include "TriggerFeatures.h"
#include "TriggerProfile.h"

namespace mm {

struct TriggerHit {
  uint64_t onsetSample = 0;     // stream time of the onset (samples since the stream began)
  uint64_t detectedSample = 0;  // stream time at which the onset detector reported it
  uint64_t decidedSample = 0;   // stream time at which it was classified
  int cls = -1;                 // class index; -1: unknown (no examples yet, or rejected)
  int velocity = 0;             // 1..127, from the peak level after the onset
  float distance = 0.f;         // k-NN distance to the class's nearest example
  float peakDb = -120.f;
  float riseDb = 0.f;           // how far it rose above what sounded before it (min_rise_db)
};

struct TriggerReport {
  TriggerHit hit;
  bool learning = false;  // reported while learning was on (not sent, not published)
  float features[kTriggerFeatureCount] = {};
};

class TriggerAnalyzer : public InputAnalyzer {
 public:
  // `publishTo` may be null (offline classification).
  TriggerAnalyzer(ModulationSources* publishTo, const TriggerSettings& settings);
  ~TriggerAnalyzer() override;
  TriggerAnalyzer(const TriggerAnalyzer&) = delete;
  TriggerAnalyzer& operator=(const TriggerAnalyzer&) = delete;

  // Control thread, before the stream starts. Throws std::runtime_error when aubio does
  // not know the onset method or cannot build its objects.
  void prepare(double sampleRate, int maxBlock) override;
  MM_REALTIME void analyze(const float* mono, int n, uint64_t sampleTime) noexcept override;

  // Control thread: the classifier used from the next block on (null: hits are unknown).
  void setClassifier(std::unique_ptr<TriggerClassifier> classifier);
  // Control thread: while on, hits are reported for learning but neither sent nor published.
  void setLearning(bool on) { learning_.store(on, std::memory_order_relaxed); }
  // Control thread: how far a hit must rise above what sounded before it (dB), from now on.
  void setMinRiseDb(float db) { minRiseDb_.store(db, std::memory_order_relaxed); }
  bool learning() const { return learning_.load(std::memory_order_relaxed); }

  // Control thread: whether hits go into the note FIFO (TriggerMidiOut turns this on).
  void setNoteOutput(bool on) { noteOutput_.store(on, std::memory_order_relaxed); }
  // MIDI-out thread (the only consumer of notes).
  bool popNote(TriggerHit& out) noexcept { return notes_.pop(&out, 1) == 1; }
  WakeSignal& noteSignal() { return noteSignal_; }
  // Main thread (the only consumer of reports).
  bool popReport(TriggerReport& out) noexcept { return reports_.pop(&out, 1) == 1; }

  const TriggerSettings& settings() const { return settings_; }
  double sampleRate() const { return rate_; }
  int listenSamples() const { return listen_; }
  uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  // Onsets that did not rise enough above what sounded before them (tails, held notes).
  uint64_t gatedOnsets() const { return gated_.load(std::memory_order_relaxed); }
  // Onsets within hold_ms of a hit whose sound had not died away (the vowel of a "kah").
  uint64_t heldOnsets() const { return held_.load(std::memory_order_relaxed); }
  uint64_t droppedNotes() const { return droppedNotes_.load(std::memory_order_relaxed); }
  uint64_t droppedReports() const { return droppedReports_.load(std::memory_order_relaxed); }

 private:
  void releaseAubio();
  // How far (dB) the sound rose where the hit reported at `onset` started (searched from
  // 50 ms before it): the loudest 2.5 ms of the next 20 ms over the loudest of 3..20 ms before.
  MM_REALTIME float riseDb(uint64_t onset) const noexcept;
  // Whether the onset at `onset` is still the sound of the hit at lastHit_ (hold_ms): the
  // sound never fell hold_decay_db below that hit's peak in between.
  MM_REALTIME bool sameSoundAsLastHit(uint64_t onset) const noexcept;
  // Mean square of the ring's samples [from, from + len) (zeros where it no longer holds them).
  MM_REALTIME float meanSquare(uint64_t from, uint64_t len) const noexcept;
  MM_REALTIME void decide(uint64_t onset, uint64_t detected) noexcept;

  ModulationSources* sources_;
  TriggerSettings settings_;
  double rate_ = 0;
  int hop_ = 64, listen_ = 0, pre_ = 0;
  // aubio onset detection (opaque here so that aubio's headers stay out of ours).
  void* onset_ = nullptr;     // aubio_onset_t
  void* hopIn_ = nullptr;     // fvec_t [hop]
  void* onsetOut_ = nullptr;  // fvec_t [1]
  int hopFill_ = 0;
  std::unique_ptr<TriggerFeatureExtractor> extractor_;
  std::vector<float> ring_, segment_;
  size_t ringMask_ = 0;
  bool started_ = false;
  uint64_t base_ = 0, fed_ = 0;  // stream time of the first sample; samples fed since
  static constexpr int kMaxPending = 8;
  uint64_t pending_[kMaxPending] = {}, pendingDetected_[kMaxPending] = {};
  int pendingCount_ = 0;
  uint64_t lastHit_ = 0;  // onset of the last hit that passed the gates
  bool haveLastHit_ = false;

  // Control -> audio thread: the audio thread plays by classifiers_.front().
  TripleBuffer<std::unique_ptr<TriggerClassifier>> classifiers_;
  std::atomic<bool> learning_{false}, noteOutput_{false};

  SingleReaderSingleWriterFifo<TriggerHit> notes_;
  SingleReaderSingleWriterFifo<TriggerReport> reports_;
  WakeSignal noteSignal_;
  TriggerReport scratch_;
  std::atomic<uint64_t> hits_{0}, droppedNotes_{0}, droppedReports_{0}, gated_{0}, held_{0};
  std::atomic<float> minRiseDb_{10.f};
};

// Offline: runs `mono` through a fresh analyzer exactly as live (128-sample pieces) and
// returns every report. With `classifier` null every hit is unknown (learning from takes).
std::vector<TriggerReport> analyzeTriggersOffline(const std::vector<float>& mono, double sampleRate,
                                                  const TriggerSettings& settings, const TriggerClassifier* classifier);

}  // namespace mm
