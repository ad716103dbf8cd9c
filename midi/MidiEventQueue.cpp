#include "MidiEventQueue.h"

#include <cmath>

namespace mm {

namespace {
constexpr uint64_t kFull = uint64_t{1} << 63;
constexpr uint64_t kValueMask = 0x3FFF;
constexpr int kTimeShift = 16;
constexpr uint64_t kTimeMask = (uint64_t{1} << 47) - 1;
}  // namespace

MidiEventQueue::MidiEventQueue(size_t capacity, uint16_t port)
    : slots_(new std::atomic<uint64_t>[kSlots]), port_(port), fifo_(capacity) {
  for (int i = 0; i < kSlots; ++i) slots_[i].store(0, std::memory_order_relaxed);
}

int MidiEventQueue::slotFor(const MidiEvent& e) noexcept {
  const int ch = e.channel();
  switch (e.kind()) {
    case 0xB0:
      return e.size == 3 ? ch * 128 + (e.bytes[1] & 0x7F) : -1;
    case 0xE0:
      return e.size == 3 ? 16 * 128 + ch : -1;
    case 0xD0:
      return e.size >= 2 ? 16 * 128 + 16 + ch : -1;
    default:
      return -1;
  }
}

bool MidiEventQueue::push(const MidiEvent& e) noexcept {
  if (fifo_.push(&e, 1) == 1) return true;
  const int slot = slotFor(e);
  if (slot < 0) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  uint64_t value = 0;
  if (e.kind() == 0xB0) value = e.bytes[2] & 0x7F;
  else if (e.kind() == 0xE0) value = (e.bytes[1] & 0x7F) | (uint64_t{e.bytes[2] & 0x7Fu} << 7);
  else value = e.bytes[1] & 0x7F;
  const double us = e.time > 0 ? std::floor(e.time * 1e6) : 0.0;
  const uint64_t time = static_cast<uint64_t>(us) & kTimeMask;
  const uint64_t before = slots_[slot].exchange(kFull | (time << kTimeShift) | value, std::memory_order_acq_rel);
  if (before & kFull) dropped_.fetch_add(1, std::memory_order_relaxed);  // an older value of this control
  overflowed_.fetch_add(1, std::memory_order_relaxed);
  overflowPending_.store(true, std::memory_order_release);
  return true;
}

void MidiEventQueue::drain(std::vector<MidiEvent>& out) {
  MidiEvent buf[64];
  while (size_t n = fifo_.pop(buf, 64)) out.insert(out.end(), buf, buf + n);
  if (!overflowPending_.exchange(false, std::memory_order_acq_rel)) return;
  for (int slot = 0; slot < kSlots; ++slot) {
    if (!(slots_[slot].load(std::memory_order_relaxed) & kFull)) continue;
    const uint64_t v = slots_[slot].exchange(0, std::memory_order_acq_rel);
    if (!(v & kFull)) continue;
    const uint64_t value = v & kValueMask;
    const double time = static_cast<double>((v >> kTimeShift) & kTimeMask) * 1e-6;
    MidiEvent e;
    if (slot < 16 * 128) {
      e = MidiEvent::make(time, static_cast<uint8_t>(0xB0 | (slot / 128)), static_cast<uint8_t>(slot % 128),
                          static_cast<uint8_t>(value));
    } else if (slot < 16 * 128 + 16) {
      e = MidiEvent::make(time, static_cast<uint8_t>(0xE0 | (slot - 16 * 128)), static_cast<uint8_t>(value & 0x7F),
                          static_cast<uint8_t>(value >> 7));
    } else {
      e = MidiEvent::make(time, static_cast<uint8_t>(0xD0 | (slot - 16 * 128 - 16)), static_cast<uint8_t>(value), 0, 2);
    }
    e.port = port_;
    out.push_back(e);
  }
}

}  // namespace mm
