// AutosaveWriter: runs an Autosave's writes (file, fsync, folder fsync, history rotation)
// on a thread of its own, so a slow disk never holds back the control thread that carries
// MIDI and OSC. The control thread captures the live state once per interval (cheap: values
// and routes) and hands it over; the writer compares it with what was last written and
// writes it when it changed. A state handed over while the writer is still busy replaces
// the one waiting (only the newest matters).
//
// Threads: construct, tick(), takeMessages() and stop() on the control thread; the Autosave
// belongs to the writer thread from construction until stop() returns.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "Autosave.h"

namespace mm {

class AutosaveWriter {
 public:
  using Clock = std::chrono::steady_clock;
  AutosaveWriter(Autosave& autosave, double intervalSeconds)
      : autosave_(autosave), interval_(intervalSeconds), thread_([this] { run(); }) {}
  ~AutosaveWriter() { stop(); }
  AutosaveWriter(const AutosaveWriter&) = delete;
  AutosaveWriter& operator=(const AutosaveWriter&) = delete;

  // Control thread, every tick: once per interval, captures the state and hands it over.
  void tick(Clock::time_point now, const std::function<LiveState()>& capture) {
    if (interval_ <= 0) return;
    if (last_ == Clock::time_point{}) last_ = now;
    if (std::chrono::duration<double>(now - last_).count() < interval_) return;
    last_ = now;
    LiveState state = capture();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      pending_ = std::move(state);
    }
    wake_.notify_one();
  }
  // Control thread: what the writer had to say (failures, each distinct one once).
  std::vector<std::string> takeMessages() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> out;
    out.swap(messages_);
    return out;
  }
  // Waits for the write in progress (a state still waiting is dropped: the caller saves the
  // final state itself, with Autosave::saveIfChanged, once this returned).
  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void run() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      wake_.wait(lock, [this] { return stopping_ || pending_.has_value(); });
      if (stopping_) return;
      LiveState state = std::move(*pending_);
      pending_.reset();
      lock.unlock();
      const std::string err = autosave_.saveIfChanged(state);  // the slow part, unlocked
      lock.lock();
      if (!err.empty() && err != lastMessage_) messages_.push_back(err);  // each failure once
      lastMessage_ = err;
    }
  }

  Autosave& autosave_;
  const double interval_;
  Clock::time_point last_{};
  std::mutex mutex_;
  std::condition_variable wake_;
  std::optional<LiveState> pending_;
  std::vector<std::string> messages_;
  std::string lastMessage_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once everything above exists
};

}  // namespace mm
