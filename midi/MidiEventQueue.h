// MidiEventQueue: one MIDI input's events on their way from the sender's thread (the
// RtMidi callback) to the control thread, lock-free, never blocking the sender.
//
// A FIFO keeps every event in order. When it is full (the control thread fell behind),
// a continuous control — a control change, pitch bend or channel pressure — goes into
// one slot per control instead, where a newer value replaces the older one: the oldest
// events of the same control are what is dropped, and the newest value of every control
// still arrives. Other messages (notes, program changes) are dropped when the FIFO is
// full. Every event lost is counted.
//
// Threads: push() from one producer thread (MM_REALTIME); drain() from one consumer
// thread. Construction and destruction while neither runs.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "MidiEvent.h"
#include "SpscFifo.h"

namespace mm {

class MidiEventQueue {
 public:
  // `port`: the MidiEvent::port that events coming back from the slots carry.
  MidiEventQueue(size_t capacity, uint16_t port);

  // Producer. Returns false when the event was lost (not a continuous control, FIFO full).
  MM_REALTIME bool push(const MidiEvent& e) noexcept;
  // Consumer: appends the FIFO's events, then the newest value of every control that
  // overflowed (with the time it arrived), to `out`. Not sorted across the two.
  void drain(std::vector<MidiEvent>& out);

  // Events lost: older values of an overflowed control replaced by newer ones, and other
  // messages that found the FIFO full.
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  // Events that overflowed into the per-control slots (delivered, or replaced).
  uint64_t overflowed() const { return overflowed_.load(std::memory_order_relaxed); }

 private:
  // Slots: 16 channels x 128 controllers, then 16 pitch bends, then 16 channel pressures.
  static constexpr int kSlots = 16 * 128 + 16 + 16;
  static int slotFor(const MidiEvent& e) noexcept;  // -1: not a continuous control
  // A slot: bit 63 set while it holds an undelivered value; bits 0..13 the value (a
  // controller's 7 bits or a pitch bend's 14); bits 16..62 the arrival time in
  // microseconds of the event clock.
  std::unique_ptr<std::atomic<uint64_t>[]> slots_;
  std::atomic<bool> overflowPending_{false};
  uint16_t port_;
  SingleReaderSingleWriterFifo<MidiEvent> fifo_;
  std::atomic<uint64_t> dropped_{0}, overflowed_{0};
};

}  // namespace mm
