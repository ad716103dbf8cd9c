// AudioReconnect: what the instrument does when the audio server goes away mid-show (a
// JACK server stopped, crashed or killed). It says so once; it tries to open the same
// stream again once a second; it says each distinct reason it could not, once (not every
// second); and when the stream is back it says after how long. Models, parameters and the
// set stay as they are meanwhile.
//
// Each attempt runs on a thread of its own (ReopenThread): opening a stream can wait on
// the audio server, and the control thread that polls this must never wait on anything.
//
// Threads: poll() on the control thread (EngineWatch, every tick); the attempt on the
// ReopenThread's thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace mm {

// One attempt at a time on a thread of its own. The control thread starts an attempt and
// collects its answer on a later tick; neither waits on the other for longer than a
// handful of instructions (the small mutex guards only the hand-over).
class ReopenThread {
 public:
  // `reopen`: one attempt, "" when the stream is back, else why not.
  explicit ReopenThread(std::function<std::string()> reopen);
  ~ReopenThread();  // lets a running attempt finish, then joins
  ReopenThread(const ReopenThread&) = delete;
  ReopenThread& operator=(const ReopenThread&) = delete;

  // Starts an attempt; false (and nothing started) while one runs or its answer waits.
  bool start();
  // The answer of the attempt that finished, once; nothing while it runs or none ran.
  std::optional<std::string> take();

 private:
  void run();
  std::function<std::string()> reopen_;
  std::mutex m_;
  std::condition_variable cv_;
  bool wanted_ = false, busy_ = false, quit_ = false;
  std::optional<std::string> answer_;
  std::thread thread_;
};

class AudioReconnect {
 public:
  using Clock = std::chrono::steady_clock;
  // `lost`: whether the engine's stream is gone now; `attempts`: where reopen attempts
  // run; `playing`: how it plays once back ("44100 Hz, buffer 128"). Returns the messages
  // for the performer.
  std::vector<std::string> poll(Clock::time_point now, bool lost, ReopenThread& attempts,
                                const std::function<std::string()>& playing);
  bool waiting() const { return waiting_; }
  int tries() const { return tries_; }

 private:
  bool waiting_ = false;
  Clock::time_point lostAt_, lastTry_;
  std::string lastReason_;
  int tries_ = 0;
};

}  // namespace mm
