#include "ControlLoop.h"

#include <chrono>
#include <mutex>

namespace mm {

ControlLoop::ControlLoop(App& app, double periodMs) : app_(app), periodMs_(periodMs) {}

void ControlLoop::start() {
  if (running_.exchange(true)) return;
  thread_ = std::thread([this] { run(); });
}

void ControlLoop::stop() {
  if (!running_.exchange(false)) return;
  app_.controlWake.post();
  if (thread_.joinable()) thread_.join();
}

void ControlLoop::run() {
  using Clock = std::chrono::steady_clock;
  const auto period = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::duration<double, std::milli>(periodMs_));
  while (running_.load()) {
    const auto t0 = Clock::now();
    {
      std::lock_guard<std::mutex> lock(app_.controlMutex);
      app_.tick();
    }
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (ms > longestTickMs_.load(std::memory_order_relaxed)) longestTickMs_.store(ms, std::memory_order_relaxed);
    ticks_.fetch_add(1, std::memory_order_relaxed);
    app_.controlWake.waitFor(period);  // a message arrived, or the period is over
  }
}

}  // namespace mm
