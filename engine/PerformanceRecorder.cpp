#include "PerformanceRecorder.h"

#include <sndfile.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace mm {

PerformanceRecorder::~PerformanceRecorder() { stop(); }

std::string PerformanceRecorder::start(const std::string& dir, int sampleRate, int outChannels,
                                       long latencySamples) {
  if (active_.load()) return "";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return "cannot create the recording folder '" + dir + "': " + ec.message();
  char stamp[32];
  const std::time_t t = std::time(nullptr);
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::localtime(&t));
  path_ = (fs::path(dir) / ("musicmill-" + std::string(stamp) + ".wav")).string();
  channels_ = 1 + outChannels;
  rate_ = sampleRate;
  fifo_.reset(static_cast<size_t>(sampleRate) * 4 * channels_);  // 4 s of slack
  frame_.assign(static_cast<size_t>(8192) * channels_, 0.f);
  {
    std::ofstream meta(path_.substr(0, path_.size() - 4) + ".json");
    meta << "{\"channels\":{\"1\":\"input (after gain and gate)\",\"2..\":\"output\"},"
         << "\"sample_rate\":" << sampleRate << ",\"engine_latency_samples\":" << latencySamples
         << ",\"note\":\"output lags input by the engine latency\"}\n";
  }
  stop_.store(false);
  active_.store(true);
  thread_ = std::thread([this] { run(); });
  return "";
}

void PerformanceRecorder::stop() {
  if (!active_.load()) return;
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  active_.store(false);
}

void PerformanceRecorder::push(const float* in, const float* out, int n) noexcept {
  if (!active_.load(std::memory_order_relaxed)) return;
  const int oc = channels_ - 1;
  if (fifo_.freeSpace() < static_cast<size_t>(n) * channels_) {
    dropped_.fetch_add(n, std::memory_order_relaxed);
    return;
  }
  for (int i = 0; i < n && i < 8192; ++i) {
    frame_[static_cast<size_t>(i) * channels_] = in[i];
    for (int c = 0; c < oc; ++c) frame_[static_cast<size_t>(i) * channels_ + 1 + c] = out[i * oc + c];
  }
  fifo_.push(frame_.data(), static_cast<size_t>(std::min(n, 8192)) * channels_);
}

void PerformanceRecorder::run() {
  const std::string tmp = path_ + ".tmp-writing";
  SF_INFO info{};
  info.samplerate = rate_;
  info.channels = channels_;
  info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
  SNDFILE* f = sf_open(tmp.c_str(), SFM_WRITE, &info);
  std::vector<float> buf(static_cast<size_t>(rate_) * channels_ / 4);
  auto drain = [&] {
    for (;;) {
      const size_t avail = fifo_.available();
      const size_t n = std::min(avail - avail % channels_, buf.size());
      if (n == 0) break;
      fifo_.pop(buf.data(), n);
      if (f) sf_writef_float(f, buf.data(), static_cast<sf_count_t>(n / channels_));
      written_.fetch_add(n / channels_);
    }
  };
  while (!stop_.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    drain();
  }
  drain();
  if (f) {
    sf_close(f);
    std::error_code ec;
    fs::rename(tmp, path_, ec);
  }
}

}  // namespace mm
