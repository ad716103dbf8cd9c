// Real-time helpers shared by every thread contract in the engine.
// MM_REALTIME marks a function that runs on the audio thread: it must not allocate,
// lock, log, throw, wait or call LibTorch. tests/test_realtime_alloc.cpp enforces the
// allocation part by counting operator new calls on the audio thread.
#pragma once

#include <atomic>
#include <cstdint>

#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#include <sched.h>
#include <time.h>
#endif
#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#endif

#define MM_REALTIME /* audio thread: no alloc, no lock, no log, no throw, no wait */

#if defined(__SSE__) || defined(__x86_64__) || defined(_M_X64)
#include <xmmintrin.h>
#endif

namespace mm {

// Flushes denormals to zero for the calling thread (called at audio-callback entry and
// at worker start) so that decaying filters and silent latents never hit the slow path.
MM_REALTIME inline void flushDenormals() noexcept {
#if defined(__SSE__) || defined(__x86_64__) || defined(_M_X64)
  _mm_setcsr(_mm_getcsr() | 0x8040);  // FTZ | DAZ
#elif defined(__aarch64__)
  uint64_t fpcr;
  __asm__ __volatile__("mrs %0, fpcr" : "=r"(fpcr));
  __asm__ __volatile__("msr fpcr, %0" ::"r"(fpcr | (1ull << 24)));
#endif
}

// CPU time the calling thread has used, in seconds (its own work only: time it spent
// preempted does not count). One clock read, no allocation, no lock; 0 where the system
// has no per-thread CPU clock.
MM_REALTIME inline double threadCpuSeconds() noexcept {
#if defined(__unix__) || defined(__APPLE__)
  timespec ts{};
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0) return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
#endif
  return 0.0;
}

// Marks the current thread as "inside the audio callback" for its lifetime. The
// allocation-counting test (tests/test_realtime_alloc.cpp) replaces operator new and
// counts calls made while this flag is set. A trivially-initialised thread_local bool
// costs one store and never allocates.
class RealtimeScope {
 public:
  RealtimeScope() noexcept { flag() = true; }
  ~RealtimeScope() { flag() = false; }
  RealtimeScope(const RealtimeScope&) = delete;
  RealtimeScope& operator=(const RealtimeScope&) = delete;
  static bool& flag() noexcept {
    thread_local bool inside = false;
    return inside;
  }
};

// Best effort: moves the calling thread to the lowest real-time (FIFO) priority, where
// ordinary processes (a browser, a build, the test runner) can no longer delay it but
// every audio thread (JACK's clients run at 5 and above, ALSA callbacks likewise) still
// preempts it. Used for the inference worker only when its measured load leaves most of a
// core free, so a stuck model cannot starve the system. Returns false where the system
// does not allow it (no rtprio limit); the worker then keeps its normal priority.
inline bool promoteToLowRealtimePriority() noexcept {
#if defined(__unix__) || defined(__APPLE__)
  sched_param p{};
  p.sched_priority = sched_get_priority_min(SCHED_FIFO);
  return pthread_setschedparam(pthread_self(), SCHED_FIFO, &p) == 0;
#else
  return false;
#endif
}

// Best effort: a thread that competes with the audio and model threads on a small machine
// yields to them: the UI (5 steps; threads its renderer starts later inherit it), a
// background thread that loads or runs a copy of a model during the show (an anchor's
// encoding, the model browser's listing: 10). Linux gives each thread its own niceness;
// elsewhere a no-op.
inline void lowerThisThreadsPriority(int steps) noexcept {
#ifdef __linux__
  const id_t tid = static_cast<id_t>(::syscall(SYS_gettid));
  errno = 0;
  const int current = ::getpriority(PRIO_PROCESS, tid);
  if (errno == 0) ::setpriority(PRIO_PROCESS, tid, std::min(current + steps, 19));
#endif
}

}  // namespace mm
