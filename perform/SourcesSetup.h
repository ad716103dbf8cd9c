// Style anchors and pattern memory for a live performance (an App part).
//
// Options: --anchor-a FILE, --anchor-b FILE (style anchors: "match this track"),
// --pattern FILE [--pattern-bpm B] (pattern slot 1). Files are encoded before the show
// through a separate copy of each model. During the show "match this track" encodes a
// file on a thread of its own, at a lower priority; the control thread's tick swaps it
// into every model slot once done. Threads: control thread (the UI's requests arrive as
// events), except that one encoding thread.
#pragma once

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>

#include "App.h"
#include "StageView.h"

namespace mm {

class FrameProcessor;
struct LatentClip;

// Why a "match this track" request for anchor `which` cannot start, given what the
// anchors are doing (`anchors`: A and B): "" when it can. The UI asks before it sends the
// request; SourcesPart asks again when it carries it out.
std::string styleAnchorRefusal(int which, const std::string& audioPath, const StyleAnchorStatus (&anchors)[2]);

class SourcesPart {
 public:
  explicit SourcesPart(App& app);
  ~SourcesPart();  // waits for an encoding still running
  // Captures the last `beats` beats of the voice's latents into pattern slot `slot` (from
  // 0) of the playing model (recall it with pattern.slot + source.pattern); the capture is
  // shared with every slot whose latent size fits.
  void capturePattern(int slot, double beats);
  // "Match this track": starts encoding `audioPath` into anchor `which` (0 = A, 1 = B) and
  // returns at once: "" or why it cannot start (another file is still encoding). A later
  // tick swaps the new anchor into every model slot whose latent size fits and posts the
  // outcome; until then the old anchor plays.
  std::string setStyleAnchor(int which, const std::string& audioPath);
  // What anchor `which` holds and whether a file is encoding into it.
  StyleAnchorStatus styleAnchor(int which) const;
  // Control thread: finishes an encoding that is done; shares pattern captures.
  void tick();

 private:
  friend bool attachSources(App& app);
  void finishEncoding();
  void loadInto(FrameProcessor& proc) const;

  App& app_;
  // The clips every model slot gets, also one published later (the engine's processor
  // setup, which LiveEngine::publishModel runs on the control thread).
  std::shared_ptr<LatentClip> anchor_[2], pattern_;
  std::string anchorFile_[2], anchorError_[2];
  struct Encoding {
    int which = 0;
    std::string path;
    std::chrono::steady_clock::time_point started;
    std::future<LatentClip> result;  // its destructor waits: a quit mid-encoding waits for it
  };
  std::optional<Encoding> encoding_;
};

// Builds app.sources, encoding --anchor-a/-b and --pattern first. False (after printing
// why) when a file cannot be used.
bool attachSources(App& app);

}  // namespace mm
