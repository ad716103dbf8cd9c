// ObjectExchange<T>: single-slot lock-free hand-over of a whole object (a clip, a route
// table) from the control thread to the processing thread, farbot-style: the control
// thread publishes a new object; the processing thread takes it at the start of a block.
// Neither waits. The processing thread owns what it took and frees replaced objects
// (the worker may free memory; only the audio thread may not).
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
  ~ObjectExchange() { delete pending_.exchange(nullptr); }
  // Control thread. An older object not yet taken is dropped.
  void publish(std::unique_ptr<T> object) {
    delete pending_.exchange(object.release(), std::memory_order_acq_rel);
  }
  // Processing thread: null when nothing new.
  std::unique_ptr<T> take() {
    if (pending_.load(std::memory_order_relaxed) == nullptr) return nullptr;
    return std::unique_ptr<T>(pending_.exchange(nullptr, std::memory_order_acq_rel));
  }

 private:
  std::atomic<T*> pending_{nullptr};
};

}  // namespace mm
