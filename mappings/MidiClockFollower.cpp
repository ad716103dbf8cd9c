#include "MidiClockFollower.h"

#include <cmath>

namespace mm {

void MidiClockFollower::handle(const MidiEvent& e) {
  switch (e.status()) {
    case midi::Start:
    case midi::Continue:
      running_ = true;
      ++transportChanges_;
      return;
    case midi::Stop:
      running_ = false;
      ++transportChanges_;
      return;
    case midi::Clock: break;
    default: return;
  }
  // A gap longer than a tick at 10 BPM is a new clock, not a slow one.
  if (lastTick_ >= 0.0 && (e.time - lastTick_ > 0.25 || e.time < lastTick_)) count_ = 0;
  lastTick_ = e.time;
  ticks_[head_] = e.time;
  head_ = (head_ + 1) % kWindow;
  if (count_ < kWindow) ++count_;
  if (count_ < 12) return;  // half a beat before the first estimate

  // Least-squares slope of time over tick index (oldest first), in seconds per tick.
  const size_t first = (head_ + kWindow - count_) % kWindow;
  const double t0 = ticks_[first];
  double sumX = 0, sumY = 0, sumXX = 0, sumXY = 0;
  for (size_t i = 0; i < count_; ++i) {
    const double x = static_cast<double>(i), y = ticks_[(first + i) % kWindow] - t0;
    sumX += x;
    sumY += y;
    sumXX += x * x;
    sumXY += x * y;
  }
  const double n = static_cast<double>(count_);
  const double slope = (n * sumXY - sumX * sumY) / (n * sumXX - sumX * sumX);
  if (!(slope > 0.0)) return;
  const double estimate = 60.0 / (24.0 * slope);
  if (!locked_ || std::fabs(estimate - bpm_) > 8.0) {
    bpm_ = estimate;  // first lock, or a deliberate tempo jump: follow at once
  } else {
    bpm_ += 0.1 * (estimate - bpm_);  // ~10 ticks: under half a beat
  }
  locked_ = true;
}

void MidiClockFollower::idle(double now, double timeout) {
  if (locked_ && now - lastTick_ > timeout) {
    locked_ = false;
    count_ = 0;
  }
}

}  // namespace mm
