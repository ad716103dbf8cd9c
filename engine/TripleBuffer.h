// TripleBuffer<T>: the latest complete value from one writer thread to one reader thread,
// without locks and without either side waiting. The writer fills its own back buffer and
// publishes it with one atomic exchange; the reader swaps in the newest published buffer
// when there is one. Each side only ever touches a buffer it owns, so a value is never
// read while it is written (unlike a two-slot "sequence" scheme, where a slow reader can
// still be copying the slot the writer has come round to again).
//
// Threads: write()/back()+publish() on one thread (the inference worker), read() on one
// thread (the UI). resize() only while neither runs.
#pragma once

#include <atomic>

namespace mm {

template <typename T>
class TripleBuffer {
 public:
  // Not thread-safe: before either side runs.
  template <typename Fn>
  void forEach(Fn&& fn) {
    for (auto& b : buffers_) fn(b);
  }
  // Writer: the buffer to fill, then publish() it.
  T& back() { return buffers_[back_]; }
  void publish() {
    back_ = shared_.exchange(back_ | kFresh, std::memory_order_acq_rel) & kIndex;
  }
  // Reader: the newest published value (or the last one read when nothing is new).
  const T& read() {
    if (shared_.load(std::memory_order_relaxed) & kFresh)
      front_ = shared_.exchange(front_, std::memory_order_acq_rel) & kIndex;
    return buffers_[front_];
  }

 private:
  static constexpr int kIndex = 3, kFresh = 4;
  T buffers_[3];
  int back_ = 0;                  // writer's
  std::atomic<int> shared_{1};    // the hand-over slot (index | kFresh when unread)
  int front_ = 2;                 // reader's
};

}  // namespace mm
