// EngineWatch: what can go wrong under a running engine, said to the performer (an App
// part; its tick runs on the control thread):
// - The audio server going away mid-show (a JACK server stopped, crashed or killed): the
//   instrument says so, keeps everything it has (models, parameters, set position), and
//   tries once a second (on a thread of its own) to open the same stream again; when the
//   server is back it plays on and says so. JACK MIDI ports come back on their own
//   (MidiInputPorts::rescan, MidiOutputRecovery), whether or not the audio is on JACK.
// - A model producing NaN/Inf: the engine mutes that model's blocks (the dry voice and a
//   blend partner play on); this says so, at most once every 5 s while it lasts.
// - Model code that threw, and the latency coming back down after a quiet spell.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "App.h"
#include "AudioReconnect.h"

namespace mm {

class EngineWatch {
 public:
  explicit EngineWatch(App& app) : app_(app) {}
  ~EngineWatch();
  void tick();  // control thread

 private:
  App& app_;
  uint64_t nonFinite_ = 0, partnerNonFinite_ = 0, faults_ = 0, shrinks_ = 0;
  std::chrono::steady_clock::time_point lastFaultPost_, lastNanCheck_, lastNanPost_;
  AudioReconnect reconnect_;
  std::unique_ptr<ReopenThread> reopen_;  // made at the first loss; joined before the engine goes
};

}  // namespace mm
