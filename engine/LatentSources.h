// Latent sources besides the live voice: pattern memory (loops of latents captured from
// the voice or encoded from a file, played at the BPM: this is what tempo acts on) and
// style anchors A/B (latents encoded from reference audio, blended toward).
//
// Threads: the control thread builds LatentClips (encodeFileToClip loads its own copy of
// the model, so the live stream's state is never touched) and publishes them with
// ClipExchange; the processing thread (worker or renderer) picks them up at the start of
// a block. Neither side waits.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "TripleBuffer.h"

namespace mm {

struct LatentClip {
  int dims = 0;
  int frames = 0;
  double bpm = 120.0;           // tempo the clip was captured at (pattern playback speed = bpm / this)
  std::vector<float> z;         // dims planar rows of `frames`
  std::string source;           // where it came from (file path or "voice capture")
  std::vector<int> slices;      // frames where hits start (latent novelty peaks), ascending
  float at(int d, double pos) const;  // linear interpolation, looping
  // Finds the hits: frames whose latent jumps away from the previous one far more than
  // usual (novelty peaks at least 50 ms apart). Called whenever a clip is made.
  void findSlices(double frameRate);
};

// Encodes an audio file through a fresh copy of the model (never the live instance).
// Throws ModelError / AudioFileError with user-facing messages.
LatentClip encodeFileToClip(const std::string& modelPath, const std::string& audioPath,
                            double bpm = 120.0);

using ClipExchange = TripleBuffer<std::unique_ptr<LatentClip>>;

class PatternMemory {
 public:
  static constexpr int kSlots = 8;
  PatternMemory(int dims, double frameRate);

  // Control thread.
  void load(int slot, std::unique_ptr<LatentClip> clip);
  void requestCapture(int slot, double beats);  // capture the last `beats` beats of voice
  // A capture this memory made, for the control thread to give to the other model slots
  // (a pattern is the performance's, not one model's). Null when there is none new.
  struct Captured {
    int slot = 0;
    LatentClip clip;
  };
  std::unique_ptr<Captured> takeCaptured() { return captured_.take(); }
  // Processing thread, once per block: `voice` = encoded voice latents (dims x frames).
  void remember(const float* voice, int frames);
  void pickUp(float bpm);
  // Writes the pattern latents for this block (dims x frames) at the current bpm.
  // Returns false when the selected slot is empty (out is zeros).
  bool render(float* out, int frames, int slot, float bpm);
  const LatentClip* slot(int k) const { return slots_[k].get(); }
  double position() const { return pos_; }

 private:
  int dims_;
  double frameRate_;
  std::unique_ptr<LatentClip> slots_[kSlots];
  ClipExchange incoming_[kSlots];
  TripleBuffer<std::unique_ptr<Captured>> captured_;  // processing thread -> control thread
  std::atomic<int> captureSlot_{-1};
  std::atomic<float> captureBeats_{4.f};
  std::vector<float> history_;  // ring of the last N voice frames (dims x N)
  int historyFrames_, historyPos_ = 0, historyFill_ = 0;
  double pos_ = 0;     // output frames since the loop started (at the current tempo)
  int lastSlot_ = -1;
};

class StyleBlender {
 public:
  explicit StyleBlender(int dims) : dims_(dims) {}
  void load(int which, std::unique_ptr<LatentClip> clip) { incoming_[which & 1].write(std::move(clip)); }
  void pickUp();
  // Per latent frame: the anchor latent to blend toward (A at blend 0, B at blend 1) into
  // `out` (dims values); false when no anchor is loaded. advance() moves both anchors one
  // frame on (they loop at their own frame rate).
  bool target(float blend, float* out) const;
  void advance();
  bool has(int which) const { return anchors_[which & 1] != nullptr; }

 private:
  int dims_;
  std::unique_ptr<LatentClip> anchors_[2];
  ClipExchange incoming_[2];
  double pos_[2] = {0, 0};
};

}  // namespace mm
