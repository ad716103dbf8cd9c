// ModelSwitcher: the one door through which sets/ changes the playing model, so that the
// set-list player can be tested with a fake and wired to the engine in one place
// (EngineModelSwitcher). It mirrors LiveEngine's multi-model API.
//
// Threads: control (main) thread only, never the audio thread.
#pragma once

#include <optional>
#include <string>

namespace mm {

class ModelSwitcher {
 public:
  virtual ~ModelSwitcher() = default;
  // Loads `path` (with `partner` sounding beside it as model B, when not ""), prepares a
  // worker for it and warms it up, ready to be selected without a gap. Returns its slot.
  // Throws ModelError (a user-facing paragraph) when it cannot, std::invalid_argument
  // when the two cannot be blended.
  virtual int addModel(const std::string& path, const std::string& partner = "") = 0;
  // During the show: the same, on a loader thread, so the control thread (and every knob)
  // never waits for it. One load at a time: false when one is still running.
  virtual bool startLoad(const std::string& path, const std::string& partner = "") = 0;
  struct Loaded {
    std::string path, partner;
    int slot = -1;      // ready to select; -1 when it failed
    std::string error;  // why (a user-facing paragraph)
  };
  // Control thread, every tick: the load that finished since the last call, if any.
  virtual std::optional<Loaded> finishedLoad() = 0;
  // The old model's tail crossfades into `slot` over `crossfadeMs` on the audio thread.
  // Throws std::runtime_error (user-facing) when the switch cannot be made; the old
  // model keeps playing.
  virtual void selectModel(int slot, double crossfadeMs) = 0;
  virtual int currentModel() const = 0;
};

}  // namespace mm
