// PerformanceRecorder: writes the performance (input and output, sample-aligned as they
// passed through the audio callback) to a WAV file from its own non-realtime thread.
// Channel 1 is the processed input (voice), the rest are the output channels; the
// engine's latency is written beside it in a .json so the two can be lined up.
// Threads: push() on the audio thread (lock-free, never waits; counts drops), start/stop
// on the control thread, writing on the recorder's own thread.
#pragma once

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "SpscFifo.h"

namespace mm {

class PerformanceRecorder {
 public:
  ~PerformanceRecorder();
  // Control thread. Returns an error message, or "" on success.
  std::string start(const std::string& dir, int sampleRate, int outChannels, long latencySamples);
  void stop();
  bool active() const { return active_.load(); }
  const std::string& path() const { return path_; }

  MM_REALTIME void push(const float* inMono, const float* outInterleaved, int n) noexcept;
  uint64_t droppedFrames() const { return dropped_.load(); }
  uint64_t writtenFrames() const { return written_.load(); }

 private:
  void run();
  SingleReaderSingleWriterFifo<float> fifo_;
  std::vector<float> frame_;
  int channels_ = 2, rate_ = 44100;
  std::string path_;
  std::thread thread_;
  std::atomic<bool> active_{false}, stop_{false};
  std::atomic<uint64_t> dropped_{0}, written_{0};
};

}  // namespace mm
