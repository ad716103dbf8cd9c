// SingleReaderSingleWriterFifo: lock-free ring buffer for exactly one producer thread and
// one consumer thread. Sized once before the stream starts; push/pop never allocate.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <vector>

#include "Realtime.h"

namespace mm {

template <typename T>
class SingleReaderSingleWriterFifo {
 public:
  SingleReaderSingleWriterFifo() = default;
  explicit SingleReaderSingleWriterFifo(size_t capacity) { reset(capacity); }

  // Not thread-safe: call only while neither side runs (before the stream opens).
  void reset(size_t capacity) {
    buffer_.assign(capacity + 1, T{});
    read_.store(0);
    write_.store(0);
  }

  size_t capacity() const { return buffer_.size() ? buffer_.size() - 1 : 0; }

  // Producer thread.
  MM_REALTIME size_t freeSpace() const noexcept {
    return capacity() - available();
  }
  // Either thread (an estimate for the other side).
  MM_REALTIME size_t available() const noexcept {
    const size_t w = write_.load(std::memory_order_acquire);
    const size_t r = read_.load(std::memory_order_acquire);
    return w >= r ? w - r : w + buffer_.size() - r;
  }

  // Producer thread. Writes up to n items; returns how many were written.
  MM_REALTIME size_t push(const T* data, size_t n) noexcept {
    const size_t size = buffer_.size();
    if (size == 0) return 0;
    size_t w = write_.load(std::memory_order_relaxed);
    const size_t r = read_.load(std::memory_order_acquire);
    const size_t free = (r > w ? r - w : r + size - w) - 1;
    n = std::min(n, free);
    const size_t first = std::min(n, size - w);
    std::copy(data, data + first, buffer_.data() + w);
    std::copy(data + first, data + n, buffer_.data());
    w = (w + n) % size;
    write_.store(w, std::memory_order_release);
    return n;
  }

  // Consumer thread. Reads up to n items; returns how many were read.
  MM_REALTIME size_t pop(T* out, size_t n) noexcept {
    const size_t size = buffer_.size();
    if (size == 0) return 0;
    size_t r = read_.load(std::memory_order_relaxed);
    const size_t w = write_.load(std::memory_order_acquire);
    const size_t avail = w >= r ? w - r : w + size - r;
    n = std::min(n, avail);
    const size_t first = std::min(n, size - r);
    std::copy(buffer_.data() + r, buffer_.data() + r + first, out);
    std::copy(buffer_.data(), buffer_.data() + (n - first), out + first);
    r = (r + n) % size;
    read_.store(r, std::memory_order_release);
    return n;
  }

  // Consumer thread. Drops up to n items.
  MM_REALTIME size_t discard(size_t n) noexcept {
    const size_t size = buffer_.size();
    if (size == 0) return 0;
    size_t r = read_.load(std::memory_order_relaxed);
    const size_t w = write_.load(std::memory_order_acquire);
    const size_t avail = w >= r ? w - r : w + size - r;
    n = std::min(n, avail);
    read_.store((r + n) % size, std::memory_order_release);
    return n;
  }

 private:
  std::vector<T> buffer_;
  alignas(64) std::atomic<size_t> read_{0};
  alignas(64) std::atomic<size_t> write_{0};
};

}  // namespace mm
