// The soak driver's JACK client (test and bench code, one includer: SoakDriver.cpp).
#pragma once

#include <jack/jack.h>
#include <jack/midiport.h>
#include <jack/ringbuffer.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace mmtest::soak {

using Clock = std::chrono::steady_clock;
inline double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// ---------------------------------------------------------------------------------------
// The driver's JACK client: voice out, the instrument's outputs in (1 s RMS windows), and
// a MIDI out carrying the storm (made in the process callback) and the control messages
// the main thread queues (program changes, preset notes, the fence).
class SoakClient {
 public:
  SoakClient(std::vector<float> voice, int midiPerCycle, size_t maxWindows)
      : voice_(std::move(voice)), midiPerCycle_(midiPerCycle), windows_(maxWindows, 0.f) {
    jack_status_t st;
    client_ = jack_client_open("soakctl", JackNoStartServer, &st);
    if (!client_) return;
    out_ = jack_port_register(client_, "voice", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
    for (int i = 0; i < 2; ++i)
      in_[i] = jack_port_register(client_, ("hear" + std::to_string(i)).c_str(), JACK_DEFAULT_AUDIO_TYPE,
                                  JackPortIsInput, 0);
    midi_ = jack_port_register(client_, "midi", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
    queue_ = jack_ringbuffer_create(1 << 14);
    windowFrames_ = jack_get_sample_rate(client_);
    jack_set_process_callback(client_, &SoakClient::process, this);
    jack_set_xrun_callback(client_, &SoakClient::onXrun, this);
    if (jack_activate(client_) != 0) {
      jack_client_close(client_);
      client_ = nullptr;
    }
  }
  ~SoakClient() {
    if (client_) {
      jack_deactivate(client_);
      jack_client_close(client_);
    }
    if (queue_) jack_ringbuffer_free(queue_);
  }
  bool ok() const { return client_ != nullptr; }
  std::string name(const char* port) const { return std::string(jack_get_client_name(client_)) + ":" + port; }
  bool connect(const std::string& from, const std::string& to) {
    return jack_connect(client_, from.c_str(), to.c_str()) == 0;
  }
  bool portExists(const std::string& n) const { return jack_port_by_name(client_, n.c_str()) != nullptr; }
  bool midiConnected() const { return jack_port_connected(midi_) > 0; }
  // Main thread: a message for the next cycle (at most 3 bytes).
  bool queue(std::initializer_list<uint8_t> bytes) {
    uint8_t m[4] = {static_cast<uint8_t>(bytes.size()), 0, 0, 0};
    std::copy(bytes.begin(), bytes.end(), m + 1);
    if (jack_ringbuffer_write_space(queue_) < 4) return false;
    jack_ringbuffer_write(queue_, reinterpret_cast<const char*>(m), 4);
    return true;
  }
  void setStorm(bool on) { storm_.store(on); }
  void setListening(bool on) { listening_.store(on); }
  uint64_t cycles() const { return cycles_.load(); }
  uint64_t xruns() const { return xruns_.load(); }
  uint64_t stormSent() const { return stormSent_.load(); }
  uint64_t controlSent() const { return controlSent_.load(); }
  uint64_t writeFailures() const { return failures_.load(); }
  std::vector<float> windowsDb() const {
    const size_t n = std::min(windowCount_.load(), windows_.size());
    return std::vector<float>(windows_.begin(), windows_.begin() + static_cast<long>(n));
  }

 private:
  static int onXrun(void* self) {
    static_cast<SoakClient*>(self)->xruns_.fetch_add(1);
    return 0;
  }
  uint32_t random() {  // xorshift32: no allocation, no lock in the callback
    rng_ ^= rng_ << 13;
    rng_ ^= rng_ >> 17;
    rng_ ^= rng_ << 5;
    return rng_;
  }
  // One storm message (or a 14-bit pair) into `m`; returns its length.
  int stormMessage(uint8_t* m) {
    const uint32_t r = random();
    const uint8_t v = static_cast<uint8_t>((r >> 8) & 0x7F);
    switch (r % 16) {
      case 0: case 1: case 2: m[0] = 0xB0; m[1] = static_cast<uint8_t>(21 + (r >> 16) % 7); m[2] = v; return 3;
      case 3: case 4: m[0] = 0xB0; m[1] = static_cast<uint8_t>(70 + (r >> 16) % 8); m[2] = v; return 3;
      case 5: m[0] = 0xB0; m[1] = static_cast<uint8_t>(102 + (r >> 16) % 8); m[2] = v; return 3;
      case 6: m[0] = 0xB0; m[1] = (r >> 16) & 1 ? 1 : 33; m[2] = v; return 3;  // 14-bit bpm, MSB or LSB
      case 7: m[0] = 0xB0; m[1] = 16; m[2] = (r >> 16) & 1 ? 1 : 127; return 3;  // relative encoder
      case 8: case 9: m[0] = 0xE0; m[1] = v; m[2] = static_cast<uint8_t>((r >> 16) & 0x7F); return 3;
      case 10: m[0] = 0xD0; m[1] = v; return 2;  // channel pressure
      case 11: m[0] = 0x90; m[1] = 37; m[2] = static_cast<uint8_t>(1 + v % 127); return 3;
      case 12: m[0] = 0x80; m[1] = 37; m[2] = 0; return 3;
      case 13: m[0] = 0x90; m[1] = 36; m[2] = (r >> 16) % 8 == 0 ? 100 : 0; return 3;  // rare toggle
      case 14: m[0] = 0xB1; m[1] = static_cast<uint8_t>(21 + (r >> 16) % 7); m[2] = v; return 3;  // ch 2: unbound
      default: m[0] = 0xA0; m[1] = static_cast<uint8_t>(40 + (r >> 16) % 20); m[2] = v; return 3;  // poly AT: unbound
    }
  }
  static int process(jack_nframes_t n, void* arg) {
    auto* self = static_cast<SoakClient*>(arg);
    self->cycles_.fetch_add(1, std::memory_order_relaxed);
    auto* out = static_cast<float*>(jack_port_get_buffer(self->out_, n));
    const size_t len = self->voice_.size();
    for (jack_nframes_t i = 0; i < n; ++i) {
      out[i] = len ? self->voice_[self->voicePos_] : 0.f;
      if (len && ++self->voicePos_ >= len) self->voicePos_ = 0;
    }
    if (self->listening_.load(std::memory_order_relaxed)) {
      const auto* a = static_cast<const float*>(jack_port_get_buffer(self->in_[0], n));
      for (jack_nframes_t i = 0; i < n; ++i) {
        self->sumSq_ += static_cast<double>(a[i]) * a[i];
        if (++self->windowPos_ >= self->windowFrames_) {
          const size_t k = self->windowCount_.load(std::memory_order_relaxed);
          if (k < self->windows_.size())
            self->windows_[k] =
                static_cast<float>(10 * std::log10(std::max(1e-12, self->sumSq_ / self->windowFrames_)));
          self->windowCount_.store(k + 1, std::memory_order_release);
          self->sumSq_ = 0;
          self->windowPos_ = 0;
        }
      }
    }
    void* mb = jack_port_get_buffer(self->midi_, n);
    jack_midi_clear_buffer(mb);
    uint8_t m[4];
    while (jack_ringbuffer_read_space(self->queue_) >= 4) {
      jack_ringbuffer_read(self->queue_, reinterpret_cast<char*>(m), 4);
      if (jack_midi_event_write(mb, 0, m + 1, m[0]) == 0) self->controlSent_.fetch_add(1, std::memory_order_relaxed);
      else self->failures_.fetch_add(1, std::memory_order_relaxed);
    }
    if (self->storm_.load(std::memory_order_relaxed)) {
      const int k = self->midiPerCycle_;
      for (int i = 0; i < k; ++i) {
        const int size = self->stormMessage(m);
        const jack_nframes_t t = static_cast<jack_nframes_t>(static_cast<uint64_t>(i) * n / k);
        if (jack_midi_event_write(mb, t, m, static_cast<size_t>(size)) == 0)
          self->stormSent_.fetch_add(1, std::memory_order_relaxed);
        else
          self->failures_.fetch_add(1, std::memory_order_relaxed);
      }
    }
    return 0;
  }

  jack_client_t* client_ = nullptr;
  jack_port_t *out_ = nullptr, *midi_ = nullptr, *in_[2] = {nullptr, nullptr};
  jack_ringbuffer_t* queue_ = nullptr;
  std::vector<float> voice_;
  size_t voicePos_ = 0;
  int midiPerCycle_;
  uint32_t rng_ = 0x9E3779B9u;
  std::vector<float> windows_;
  std::atomic<size_t> windowCount_{0};
  double sumSq_ = 0;
  jack_nframes_t windowPos_ = 0, windowFrames_ = 44100;
  std::atomic<bool> storm_{false}, listening_{false};
  std::atomic<uint64_t> cycles_{0}, xruns_{0}, stormSent_{0}, controlSent_{0}, failures_{0};
};

}  // namespace mmtest::soak
