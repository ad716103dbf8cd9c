// What can go wrong under a running engine, said to the performer (main thread, a Session
// onTick hook):
// - The audio server going away mid-show (a JACK server stopped, crashed or killed): the
//   instrument says so, keeps everything it has (models, parameters, set position), and
//   tries once a second (on a thread of its own) to open the same stream again; when the
//   server is back it plays on and says so. JACK MIDI ports come back on their own (MidiInputPorts::rescan,
//   MidiOutputRecovery), whether or not the audio is on JACK.
// - A model producing NaN/Inf: the engine mutes that model's blocks (the dry voice and a
//   blend partner play on); this says so, at most once every 5 s while it lasts.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "AudioReconnect.h"
#include "Commands.h"
#include "LiveEngine.h"
#include "Session.h"

namespace mm {

namespace {
struct Watch {
  uint64_t nonFinite = 0, partnerNonFinite = 0, faults = 0, shrinks = 0;
  std::chrono::steady_clock::time_point lastFaultPost;
  std::chrono::steady_clock::time_point lastNanCheck, lastNanPost;
  AudioReconnect reconnect;
  std::unique_ptr<ReopenThread> reopen;  // made at the first loss; joined before the engine goes
};
}  // namespace

bool attachEngineWatch(Session& session) {
  auto state = std::make_shared<Watch>();
  Session* s = &session;
  session.onTick.push_back([state, s] {
    LiveEngine& engine = *s->engine;
    const auto now = std::chrono::steady_clock::now();
    if (now - state->lastNanCheck >= std::chrono::seconds(1)) {
      state->lastNanCheck = now;
      const EngineStatus st = engine.status();
      const bool fresh = st.nonFiniteBlocks > state->nonFinite || st.partnerNonFiniteBlocks > state->partnerNonFinite;
      // At most one message every 5 s; blocks muted meanwhile are counted in the next one.
      if (fresh && now - state->lastNanPost >= std::chrono::seconds(5)) {
        state->lastNanPost = now;
        if (st.nonFiniteBlocks > state->nonFinite)
          s->post("model: the playing model produced NaN/Inf in " +
                  std::to_string(st.nonFiniteBlocks - state->nonFinite) +
                  " blocks; those were muted (the dry voice plays on); it plays again when its output is finite");
        if (st.partnerNonFiniteBlocks > state->partnerNonFinite)
          s->post("model B: produced NaN/Inf in " +
                  std::to_string(st.partnerNonFiniteBlocks - state->partnerNonFinite) +
                  " blocks; B was muted for those, the first model plays on");
        state->nonFinite = st.nonFiniteBlocks;
        state->partnerNonFinite = st.partnerNonFiniteBlocks;
      } else if (!fresh) {  // a model switch changes which counts are shown: follow them
        state->nonFinite = st.nonFiniteBlocks;
        state->partnerNonFinite = st.partnerNonFiniteBlocks;
      }
      // The latency came back down a buffer after a quiet spell: say where it is now.
      if (st.latencyShrinks > state->shrinks) {
        char m[160];
        std::snprintf(m, sizeof m, "latency back down to %.1f ms (%.0f s without a late frame; %.1f ms at start)",
                      st.latencyMs, engine.config().shrinkAfterSeconds, 1000.0 * st.startLatencySamples / st.sampleRate);
        s->post(m);
      }
      state->shrinks = st.latencyShrinks;
    }
    // Model code that threw: each such block was muted and the show went on. Said once,
    // then at most every 5 s while it goes on, with the count and the model's own words.
    if (InferenceWorker* w = engine.worker()) {
      const uint64_t faults = w->faultBlocks();
      if (faults < state->faults) state->faults = faults;  // another model is playing now
      if (faults > state->faults && (state->lastFaultPost.time_since_epoch().count() == 0 ||
                                     now - state->lastFaultPost >= std::chrono::seconds(5))) {
        s->post("model: the playing model failed in " + std::to_string(faults - state->faults) +
                " block(s) and those were muted; the show goes on. The model said: " + w->lastFault());
        state->faults = faults;
        state->lastFaultPost = now;
      }
    }
    // Asked every tick while the stream plays; once it is gone, a reopen once a second on
    // a thread of its own (the control thread never waits on the audio server).
    const bool lost = engine.audioLost();
    if (lost && !state->reopen) state->reopen = std::make_unique<ReopenThread>([s] { return s->engine->reopenAudio(); });
    if (!state->reopen) return;
    const auto said = state->reconnect.poll(
        now, lost, *state->reopen,
        [&] {
          const EngineStatus st = engine.status();
          return std::to_string(st.sampleRate) + " Hz, buffer " + std::to_string(st.buffer);
        });
    for (const std::string& m : said) s->post(m);
  });
  return true;
}

}  // namespace mm
