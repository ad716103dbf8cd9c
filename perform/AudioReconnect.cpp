#include "AudioReconnect.h"

#include <cstdio>

namespace mm {

ReopenThread::ReopenThread(std::function<std::string()> reopen) : reopen_(std::move(reopen)) {
  thread_ = std::thread([this] { run(); });
}

ReopenThread::~ReopenThread() {
  {
    std::lock_guard<std::mutex> lock(m_);
    quit_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

bool ReopenThread::start() {
  {
    std::lock_guard<std::mutex> lock(m_);
    if (wanted_ || busy_ || answer_) return false;
    wanted_ = true;
  }
  cv_.notify_all();
  return true;
}

std::optional<std::string> ReopenThread::take() {
  std::lock_guard<std::mutex> lock(m_);
  std::optional<std::string> a = std::move(answer_);
  answer_.reset();
  return a;
}

void ReopenThread::run() {
  std::unique_lock<std::mutex> lock(m_);
  for (;;) {
    cv_.wait(lock, [this] { return wanted_ || quit_; });
    if (quit_) return;
    wanted_ = false;
    busy_ = true;
    lock.unlock();
    std::string why;
    try {
      why = reopen_();
    } catch (const std::exception& e) {
      why = e.what();
    }
    lock.lock();
    busy_ = false;
    answer_ = std::move(why);
  }
}

std::vector<std::string> AudioReconnect::poll(Clock::time_point now, bool lost, ReopenThread& attempts,
                                              const std::function<std::string()>& playing) {
  std::vector<std::string> say;
  if (!waiting_) {
    if (!lost) return say;
    waiting_ = true;
    lostAt_ = lastTry_ = now;
    tries_ = 0;
    lastReason_.clear();
    attempts.take();  // an answer from an earlier loss is stale
    say.push_back("audio: the audio server went away, the sound has stopped; trying to reconnect every second "
                  "(models, parameters and the set stay as they are)");
    return say;
  }
  if (std::optional<std::string> why = attempts.take()) {
    if (why->empty()) {
      char b[64];
      std::snprintf(b, sizeof b, "audio: reconnected after %.0f s (",
                    std::chrono::duration<double>(now - lostAt_).count());
      say.push_back(b + playing() + "); playing again");
      waiting_ = false;
      return say;
    }
    if (*why != lastReason_) {
      lastReason_ = *why;
      say.push_back("audio: not reconnected yet: " + *why);
    }
  }
  if (now - lastTry_ >= std::chrono::seconds(1) && attempts.start()) {
    lastTry_ = now;
    ++tries_;
  }
  return say;
}

}  // namespace mm
