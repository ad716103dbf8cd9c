// See EngineWatch.h.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "EngineWatch.h"
#include "LiveEngine.h"

namespace mm {

EngineWatch::~EngineWatch() = default;

void EngineWatch::tick() {
  LiveEngine& engine = *app_.engine;
  const auto now = std::chrono::steady_clock::now();
  if (now - lastNanCheck_ >= std::chrono::seconds(1)) {
    lastNanCheck_ = now;
    const EngineStatus st = engine.status();
    const bool fresh = st.nonFiniteBlocks > nonFinite_ || st.partnerNonFiniteBlocks > partnerNonFinite_;
    // At most one message every 5 s; blocks muted meanwhile are counted in the next one.
    if (fresh && now - lastNanPost_ >= std::chrono::seconds(5)) {
      lastNanPost_ = now;
      if (st.nonFiniteBlocks > nonFinite_)
        app_.post("model: the playing model produced NaN/Inf in " +
                std::to_string(st.nonFiniteBlocks - nonFinite_) +
                " blocks; those were muted (the dry voice plays on); it plays again when its output is finite");
      if (st.partnerNonFiniteBlocks > partnerNonFinite_)
        app_.post("model B: produced NaN/Inf in " +
                std::to_string(st.partnerNonFiniteBlocks - partnerNonFinite_) +
                " blocks; B was muted for those, the first model plays on");
      nonFinite_ = st.nonFiniteBlocks;
      partnerNonFinite_ = st.partnerNonFiniteBlocks;
    } else if (!fresh) {  // a model switch changes which counts are shown: follow them
      nonFinite_ = st.nonFiniteBlocks;
      partnerNonFinite_ = st.partnerNonFiniteBlocks;
    }
    // The latency came back down a buffer after a quiet spell: say where it is now.
    if (st.latencyShrinks > shrinks_) {
      char m[160];
      std::snprintf(m, sizeof m, "latency back down to %.1f ms (%.0f s without a late frame; %.1f ms at start)",
                    st.latencyMs, engine.config().shrinkAfterSeconds, 1000.0 * st.startLatencySamples / st.sampleRate);
      app_.post(m);
    }
    shrinks_ = st.latencyShrinks;
  }
  // Model code that threw: each such block was muted and the show went on. Said once,
  // then at most every 5 s while it goes on, with the count and the model's own words.
  if (InferenceWorker* w = engine.worker()) {
    const uint64_t faults = w->faultBlocks();
    if (faults < faults_) faults_ = faults;  // another model is playing now
    if (faults > faults_ && (lastFaultPost_.time_since_epoch().count() == 0 ||
                                   now - lastFaultPost_ >= std::chrono::seconds(5))) {
      app_.post("model: the playing model failed in " + std::to_string(faults - faults_) +
              " block(s) and those were muted; the show goes on. The model said: " + w->lastFault());
      faults_ = faults;
      lastFaultPost_ = now;
    }
  }
  // Asked every tick while the stream plays; once it is gone, a reopen once a second on
  // a thread of its own (the control thread never waits on the audio server).
  const bool lost = engine.audioLost();
  if (lost && !reopen_) reopen_ = std::make_unique<ReopenThread>([this] { return app_.engine->reopenAudio(); });
  if (!reopen_) return;
  const auto said = reconnect_.poll(
      now, lost, *reopen_,
      [&] {
        const EngineStatus st = engine.status();
        return std::to_string(st.sampleRate) + " Hz, buffer " + std::to_string(st.buffer);
      });
  for (const std::string& m : said) app_.post(m);
}

}  // namespace mm
