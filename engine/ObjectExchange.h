// ObjectExchange<T>: single-slot lock-free hand-over of a whole object (a clip, a route
// table, a classifier) from the control thread to the processing thread, farbot-style:
// the control thread publishes a new object; the processing thread takes it at the start
// of a block. Neither waits. Two ways to take it:
//  - take(): the processing thread owns what it took and frees replaced objects itself
//    (the model worker may free memory);
//  - swapInto(): for the audio thread, which may not free: the object it replaces goes
//    back through a second slot, and the control thread frees it (collectRetired()).
#pragma once

#include <atomic>
#include <memory>

namespace mm {

template <typename T>
class ObjectExchange {
 public:
  ObjectExchange() = default;
  ObjectExchange(const ObjectExchange&) = delete;
  ObjectExchange& operator=(const ObjectExchange&) = delete;
  ~ObjectExchange() {
    delete pending_.exchange(nullptr);
    delete retired_.exchange(nullptr);
  }
  // Control thread. An older object not yet taken is dropped.
  void publish(std::unique_ptr<T> object) {
    delete pending_.exchange(object.release(), std::memory_order_acq_rel);
  }
  // Processing thread: null when nothing new.
  std::unique_ptr<T> take() {
    if (pending_.load(std::memory_order_relaxed) == nullptr) return nullptr;
    return std::unique_ptr<T>(pending_.exchange(nullptr, std::memory_order_acq_rel));
  }
  // Audio thread (MM_REALTIME: no allocation, no free, no wait): when a new object waits
  // and the control thread has freed the last one given back, `current` becomes the new
  // object and the old one is given back. Returns whether it swapped. The caller owns
  // `current` (deletes it when it goes, from a thread that may free).
  bool swapInto(T*& current) noexcept {
    if (pending_.load(std::memory_order_relaxed) == nullptr) return false;
    if (retired_.load(std::memory_order_acquire) != nullptr) return false;  // skip, never wait
    T* next = pending_.exchange(nullptr, std::memory_order_acq_rel);
    if (!next) return false;
    retired_.store(current, std::memory_order_release);
    current = next;
    return true;
  }
  // Control thread: frees what the audio thread gave back (call it regularly).
  void collectRetired() { delete retired_.exchange(nullptr, std::memory_order_acq_rel); }

 private:
  std::atomic<T*> pending_{nullptr};
  std::atomic<T*> retired_{nullptr};
};

}  // namespace mm
