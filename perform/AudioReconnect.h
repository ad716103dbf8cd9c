// AudioReconnect: what the instrument does when the audio server goes away mid-show (a
// JACK server stopped, crashed or killed). It says so once; it tries to open the same
// stream again once a second; it says each distinct reason it could not, once (not every
// second); and when the stream is back it says after how long. Models, parameters and the
// set stay as they are meanwhile.
//
// Threads: the control thread (EngineWatch polls it every tick).
#pragma once

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace mm {

class AudioReconnect {
 public:
  using Clock = std::chrono::steady_clock;
  // `lost`: whether the engine's stream is gone now; `reopen`: one attempt ("" when the
  // stream is back, else why not); `playing`: how it plays once back ("44100 Hz, buffer
  // 128"). Returns the messages for the performer.
  std::vector<std::string> poll(Clock::time_point now, bool lost, const std::function<std::string()>& reopen,
                                const std::function<std::string()>& playing) {
    std::vector<std::string> say;
    if (!waiting_) {
      if (!lost) return say;
      waiting_ = true;
      lostAt_ = lastTry_ = now;
      tries_ = 0;
      lastReason_.clear();
      say.push_back("audio: the audio server went away, the sound has stopped; trying to reconnect every second "
                    "(models, parameters and the set stay as they are)");
      return say;
    }
    if (now - lastTry_ < std::chrono::seconds(1)) return say;
    lastTry_ = now;
    ++tries_;
    const std::string why = reopen();
    if (why.empty()) {
      char b[64];
      std::snprintf(b, sizeof b, "audio: reconnected after %.0f s (",
                    std::chrono::duration<double>(now - lostAt_).count());
      say.push_back(b + playing() + "); playing again");
      waiting_ = false;
    } else if (why != lastReason_) {
      lastReason_ = why;
      say.push_back("audio: not reconnected yet: " + why);
    }
    return say;
  }
  bool waiting() const { return waiting_; }
  int tries() const { return tries_; }

 private:
  bool waiting_ = false;
  Clock::time_point lostAt_, lastTry_;
  std::string lastReason_;
  int tries_ = 0;
};

}  // namespace mm
