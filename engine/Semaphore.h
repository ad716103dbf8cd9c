// WakeSignal: the audio thread tells the worker "new input is there" without locking.
// POSIX sem_post (Linux) and dispatch_semaphore_signal (macOS) are the usual real-time
// safe wake-ups: no allocation, no user-visible mutex. The worker side may block.
#pragma once

#include <chrono>

#if defined(__APPLE__)
#include <dispatch/dispatch.h>
#else
#include <semaphore.h>
#include <time.h>
#endif

#include "Realtime.h"

namespace mm {

class WakeSignal {
 public:
#if defined(__APPLE__)
  WakeSignal() : sem_(dispatch_semaphore_create(0)) {}
  ~WakeSignal() { dispatch_release(sem_); }
  MM_REALTIME void post() noexcept { dispatch_semaphore_signal(sem_); }
  bool waitFor(std::chrono::microseconds us) {
    return dispatch_semaphore_wait(sem_, dispatch_time(DISPATCH_TIME_NOW, us.count() * 1000)) == 0;
  }
#else
  WakeSignal() { sem_init(&sem_, 0, 0); }
  ~WakeSignal() { sem_destroy(&sem_); }
  MM_REALTIME void post() noexcept { sem_post(&sem_); }
  // Worker side: waits up to `us`; true when signalled.
  bool waitFor(std::chrono::microseconds us) {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long ns = ts.tv_nsec + static_cast<long long>(us.count()) * 1000;
    ts.tv_sec += static_cast<time_t>(ns / 1000000000);
    ts.tv_nsec = static_cast<long>(ns % 1000000000);
    return sem_timedwait(&sem_, &ts) == 0;
  }
#endif
  WakeSignal(const WakeSignal&) = delete;
  WakeSignal& operator=(const WakeSignal&) = delete;

 private:
#if defined(__APPLE__)
  dispatch_semaphore_t sem_;
#else
  sem_t sem_;
#endif
};

}  // namespace mm
