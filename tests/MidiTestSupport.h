// Test-only helpers for the MIDI and OSC tests (header-only, so the tests' CMake list stays
// as it is): an OSC client that talks to the instrument and collects its replies, a
// Standard MIDI File writer, a JACK MIDI sender, and small waits.
#pragma once

#include <arpa/inet.h>
#include <jack/jack.h>
#include <jack/midiport.h>
#include <jack/ringbuffer.h>
#include <lo/lo.h>
#include <netinet/in.h>
#include <rtmidi/RtMidi.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace mmtest {

// A free UDP port on 127.0.0.1 (bound, read back, released).
inline int freeUdpPort() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// Polls `done` every 10 ms until it holds or `seconds` pass.
inline bool waitUntil(const std::function<bool()>& done, double seconds) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

struct OscReply {
  std::string path, types;
  std::vector<std::string> strings;
  std::vector<double> numbers;
};

// Sends OSC to 127.0.0.1:port from its own socket and collects what comes back.
class OscProbe {
 public:
  explicit OscProbe(int port) {
    server_ = lo_server_new(nullptr, nullptr);
    lo_server_add_method(server_, nullptr, nullptr, &OscProbe::collect, this);
    target_ = lo_address_new("127.0.0.1", std::to_string(port).c_str());
  }
  ~OscProbe() {
    lo_address_free(target_);
    lo_server_free(server_);
  }
  OscProbe(const OscProbe&) = delete;
  OscProbe& operator=(const OscProbe&) = delete;

  // `m` is consumed.
  void send(const std::string& path, lo_message m) {
    lo_send_message_from(target_, server_, path.c_str(), m);
    lo_message_free(m);
  }
  void sendFloat(const std::string& path, float v) {
    lo_message m = lo_message_new();
    lo_message_add_float(m, v);
    send(path, m);
  }
  void sendRaw(const void* data, size_t size) {
    const int fd = lo_server_get_socket_fd(server_);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(std::stoi(lo_address_get_port(target_))));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::sendto(fd, data, size, 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  // Waits for the next reply on `path` (others are kept for later calls).
  std::optional<OscReply> waitFor(const std::string& path, double seconds = 3.0) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (true) {
      for (size_t i = 0; i < replies_.size(); ++i)
        if (replies_[i].path == path) {
          OscReply r = replies_[i];
          replies_.erase(replies_.begin() + static_cast<long>(i));
          return r;
        }
      if (std::chrono::steady_clock::now() >= until) return std::nullopt;
      lo_server_recv_noblock(server_, 20);
    }
  }
  // The instrument's value of parameter `id` (nothing when it did not answer).
  std::optional<double> get(const std::string& id, double seconds = 3.0) {
    lo_message m = lo_message_new();
    lo_message_add_string(m, id.c_str());
    send("/musicmill/get", m);
    auto r = waitFor("/musicmill/value", seconds);
    if (!r || r->strings.empty() || r->strings[0] != id || r->numbers.empty()) return std::nullopt;
    return r->numbers[0];
  }
  // Polls until parameter `id` is within `tol` of `want`; returns the last value seen.
  double waitValue(const std::string& id, double want, double tol = 1e-6, double seconds = 5.0) {
    double last = std::nan("");
    waitUntil([&] {
      if (auto v = get(id, 1.0)) last = *v;
      return std::fabs(last - want) <= tol;
    }, seconds);
    return last;
  }
  void clear() {
    while (lo_server_recv_noblock(server_, 0) > 0) {
    }
    replies_.clear();
  }
  const std::vector<OscReply>& pending() const { return replies_; }

 private:
  static int collect(const char* path, const char* types, lo_arg** argv, int argc, lo_message, void* self) {
    OscReply r;
    r.path = path;
    r.types = types;
    // liblo's argv points into the packet, 4-byte aligned: read by copying, never through
    // the lo_arg union (a misaligned access, found by the UBSan build of this suite).
    auto read = [](const lo_arg* a, auto v) {
      std::memcpy(&v, a, sizeof v);
      return v;
    };
    for (int i = 0; i < argc; ++i) {
      switch (types[i]) {
        case 's': r.strings.push_back(reinterpret_cast<const char*>(argv[i])); break;
        case 'f': r.numbers.push_back(read(argv[i], float{})); break;
        case 'i': r.numbers.push_back(read(argv[i], int32_t{})); break;
        case 'd': r.numbers.push_back(read(argv[i], double{})); break;
        default: break;
      }
    }
    static_cast<OscProbe*>(self)->replies_.push_back(r);
    return 0;
  }
  lo_server server_ = nullptr;
  lo_address target_ = nullptr;
  std::vector<OscReply> replies_;
};

// Standard MIDI File writer for the tests (format 0 or 1, PPQ timing).
struct SmfTrackEvent {
  uint32_t tick;
  std::vector<uint8_t> bytes;  // a MIDI message, or FF type len data for meta events
};

inline void putVarLen(std::vector<uint8_t>& out, uint32_t v) {
  uint8_t buf[5];
  int n = 0;
  buf[n++] = v & 0x7F;
  while (v >>= 7) buf[n++] = static_cast<uint8_t>((v & 0x7F) | 0x80);
  while (n) out.push_back(buf[--n]);
}

// `runningStatus`: omit repeated status bytes (as most writers do).
inline std::vector<uint8_t> makeSmf(int format, int ppq, const std::vector<std::vector<SmfTrackEvent>>& tracks,
                                    bool runningStatus = true) {
  std::vector<uint8_t> f = {'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, static_cast<uint8_t>(format), 0,
                            static_cast<uint8_t>(tracks.size()), static_cast<uint8_t>(ppq >> 8),
                            static_cast<uint8_t>(ppq & 0xFF)};
  for (const auto& t : tracks) {
    std::vector<uint8_t> body;
    uint32_t last = 0;
    uint8_t running = 0;
    for (const auto& e : t) {
      putVarLen(body, e.tick - last);
      last = e.tick;
      size_t from = 0;
      if (runningStatus && e.bytes[0] < 0xF0 && e.bytes[0] == running) from = 1;
      running = e.bytes[0] < 0xF0 ? e.bytes[0] : 0;
      body.insert(body.end(), e.bytes.begin() + static_cast<long>(from), e.bytes.end());
    }
    putVarLen(body, 0);
    body.insert(body.end(), {0xFF, 0x2F, 0x00});
    f.insert(f.end(), {'M', 'T', 'r', 'k'});
    const uint32_t n = static_cast<uint32_t>(body.size());
    f.insert(f.end(), {static_cast<uint8_t>(n >> 24), static_cast<uint8_t>(n >> 16), static_cast<uint8_t>(n >> 8),
                       static_cast<uint8_t>(n)});
    f.insert(f.end(), body.begin(), body.end());
  }
  return f;
}

inline SmfTrackEvent tempoEvent(uint32_t tick, double bpm) {
  const uint32_t us = static_cast<uint32_t>(60e6 / bpm + 0.5);
  return {tick, {0xFF, 0x51, 0x03, static_cast<uint8_t>(us >> 16), static_cast<uint8_t>(us >> 8),
                 static_cast<uint8_t>(us)}};
}

inline void writeBytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

inline void writeText(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
}

// A controller on the test's JACK server: a JACK MIDI output port "<client>:out". Its own
// JACK client, not RtMidi's: RtMidi's JACK output (5.0 here) unregisters its port and frees
// its ring buffer before it closes its client, so its process callback can still be running
// on them (the test process crashed at teardown once, 2026-12-08, in CI). Here the client is
// deactivated first (jack_deactivate returns once no callback runs), then freed.
class JackMidiSender {
 public:
  explicit JackMidiSender(const std::string& client = "mmtester") {
    client_ = jack_client_open(client.c_str(), JackNoStartServer, nullptr);
    if (!client_) return;
    port_ = jack_port_register(client_, "out", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
    ring_ = jack_ringbuffer_create(1 << 14);
    jack_set_process_callback(client_, &JackMidiSender::process, this);
    if (!port_ || !ring_ || jack_activate(client_) != 0) close();
  }
  ~JackMidiSender() { close(); }
  JackMidiSender(const JackMidiSender&) = delete;
  JackMidiSender& operator=(const JackMidiSender&) = delete;

  // One message, sent at the start of the next JACK period (messages keep their order).
  // Dropped when there is no client or the queue stays full for a second.
  void send(const std::vector<unsigned char>& bytes) {
    if (!client_ || bytes.empty() || bytes.size() > 255) return;
    unsigned char msg[256];
    msg[0] = static_cast<unsigned char>(bytes.size());
    std::memcpy(msg + 1, bytes.data(), bytes.size());
    const size_t n = bytes.size() + 1;
    for (int tries = 0; jack_ringbuffer_write_space(ring_) < n; ++tries) {
      if (tries == 1000) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    jack_ringbuffer_write(ring_, reinterpret_cast<const char*>(msg), n);  // one write: the reader sees all or none
  }
  void cc(int channel, int number, int value) {
    send({static_cast<unsigned char>(0xB0 | (channel - 1)), static_cast<unsigned char>(number),
          static_cast<unsigned char>(value)});
  }
  void noteOn(int channel, int note, int velocity) {
    send({static_cast<unsigned char>(0x90 | (channel - 1)), static_cast<unsigned char>(note),
          static_cast<unsigned char>(velocity)});
  }
  void noteOff(int channel, int note) {
    send({static_cast<unsigned char>(0x80 | (channel - 1)), static_cast<unsigned char>(note), 0});
  }

 private:
  static int process(jack_nframes_t frames, void* arg) {
    auto* self = static_cast<JackMidiSender*>(arg);
    void* out = jack_port_get_buffer(self->port_, frames);
    jack_midi_clear_buffer(out);
    while (jack_ringbuffer_read_space(self->ring_) > 0) {
      unsigned char size = 0;
      jack_ringbuffer_peek(self->ring_, reinterpret_cast<char*>(&size), 1);
      if (jack_ringbuffer_read_space(self->ring_) < 1u + size) break;
      unsigned char msg[256];
      jack_ringbuffer_read(self->ring_, reinterpret_cast<char*>(msg), 1u + size);
      if (jack_midi_data_t* ev = jack_midi_event_reserve(out, 0, size)) std::memcpy(ev, msg + 1, size);
    }
    return 0;
  }
  void close() {
    if (client_) {
      jack_deactivate(client_);
      jack_client_close(client_);
      client_ = nullptr;
    }
    if (ring_) jack_ringbuffer_free(ring_);
    ring_ = nullptr;
    port_ = nullptr;
  }
  jack_client_t* client_ = nullptr;
  jack_port_t* port_ = nullptr;
  jack_ringbuffer_t* ring_ = nullptr;
};

// Whether JACK port `name` has at least one connection (the instrument found it).
inline bool jackPortConnected(const std::string& name) {
  jack_status_t st;
  jack_client_t* c = jack_client_open("mm-conn-probe", JackNoStartServer, &st);
  if (!c) return false;
  bool connected = false;
  if (jack_port_t* p = jack_port_by_name(c, name.c_str())) {
    const char** conns = jack_port_get_all_connections(c, p);
    connected = conns && conns[0];
    if (conns) jack_free(conns);
  }
  jack_client_close(c);
  return connected;
}

}  // namespace mmtest
