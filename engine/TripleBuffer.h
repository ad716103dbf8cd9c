// TripleBuffer<T>: the project's one real-time exchange type. It hands the latest complete
// value from one writer thread to one reader thread, without locks and without either
// side waiting. The writer fills its own back buffer and publishes it with one atomic
// exchange; the reader swaps in the newest published buffer when there is one. Each side
// only ever touches a buffer it owns, so a value is never read while it is written
// (unlike a two-slot "sequence" scheme, where a slow reader can still be copying the slot
// the writer has come round to again).
//
// Two uses, one mechanism:
//  - a value read again and again (the latent plot, the modulation table): the buffers
//    are sized before either side runs and filled in place (back() + publish(), read());
//  - a whole object handed over (a pattern clip, a trigger classifier): T is a
//    std::unique_ptr. The writer write()s it; the reader sees it with update() + front()
//    and may move it out (take()). An object the reader lets go of returns to the writer
//    inside the buffer the writer gets back, and is freed there when the writer next
//    writes: a reader on the audio thread never frees, and neither side waits. An
//    object published but never read is dropped by the writer the same way.
//
// Threads: back()/publish()/write() on one thread, update()/front()/read()/take() on one
// other thread. forEach() only while neither runs.
#pragma once

#include <atomic>
#include <utility>

namespace mm {

template <typename T>
class TripleBuffer {
 public:
  TripleBuffer() = default;
  TripleBuffer(const TripleBuffer&) = delete;
  TripleBuffer& operator=(const TripleBuffer&) = delete;

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
  // Writer: publishes `value` (what the buffer held before, an older value the reader
  // let go of or never read, is destroyed here, on the writer's thread).
  void write(T value) {
    back() = std::move(value);
    publish();
  }

  // Reader: swaps in the newest published value when there is one; true when it did.
  bool update() noexcept {
    if (!(shared_.load(std::memory_order_relaxed) & kFresh)) return false;
    front_ = shared_.exchange(front_, std::memory_order_acq_rel) & kIndex;
    return true;
  }
  // Reader: the value it holds (the newest as of its last update()).
  T& front() noexcept { return buffers_[front_]; }
  // Reader: the newest published value (or the last one read when nothing is new).
  const T& read() noexcept {
    update();
    return front();
  }
  // Reader: the newest value published since the last take(), moved out; T{} (a null
  // pointer) when nothing new was published. Only for a reader that may free what it
  // takes.
  T take() {
    if (!update()) return T{};
    return std::move(front());
  }

 private:
  static constexpr int kIndex = 3, kFresh = 4;
  T buffers_[3]{};
  int back_ = 0;                  // writer's
  std::atomic<int> shared_{1};    // the hand-over slot (index | kFresh when unread)
  int front_ = 2;                 // reader's
};

}  // namespace mm
