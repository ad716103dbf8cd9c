// Test/benchmark-only JACK clients for the beatbox triggers: one plays a voice into the
// instrument's audio input, the other receives its trigger MIDI and stamps every note-on
// with its JACK frame time. Separate clients (not one with both ports) so that the graph
// player -> musicmill -> triggers -> receiver has no feedback loop (which would add a
// cycle). Used by tests/test_triggers_jack.cpp and bench/trigger_latency_jack.cpp.
#pragma once

#include <jack/jack.h>
#include <jack/midiport.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <vector>

namespace mmtest {

// Plays a signal on one audio port from the cycle after start(). Remembers the JACK frame
// time of every cycle it played, so frameOf(k) is where sample k went out even when an
// overloaded machine made JACK skip frames (an xrun moves frame time on without a cycle).
class JackVoicePlayer {
 public:
  explicit JackVoicePlayer(std::vector<float> signal) : signal_(std::move(signal)) {
    cycles_.resize(signal_.size() / 16 + 16);
    jack_status_t st;
    client_ = jack_client_open("mm-voice-player", JackNoStartServer, &st);
    if (!client_) throw std::runtime_error("cannot open the JACK player client");
    port_ = jack_port_register(client_, "out", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
    jack_set_process_callback(client_, &JackVoicePlayer::process, this);
    jack_activate(client_);
  }
  ~JackVoicePlayer() { jack_client_close(client_); }
  JackVoicePlayer(const JackVoicePlayer&) = delete;
  JackVoicePlayer& operator=(const JackVoicePlayer&) = delete;

  bool connect(const std::string& dest) { return jack_connect(client_, jack_port_name(port_), dest.c_str()) == 0; }
  void start() { playing_.store(true); }
  bool done() const { return pos_.load() >= static_cast<long>(signal_.size()); }
  // JACK frame time at which sample k of the signal was played (after done()).
  double frameOf(long k) const {
    const int n = cycleCount_.load();
    int i = 0;
    while (i + 1 < n && cycles_[i + 1].pos <= k) ++i;
    return n ? static_cast<double>(cycles_[i].frame) + static_cast<double>(k - cycles_[i].pos) : 0.0;
  }

 private:
  static int process(jack_nframes_t n, void* self) {
    auto* p = static_cast<JackVoicePlayer*>(self);
    auto* out = static_cast<float*>(jack_port_get_buffer(p->port_, n));
    const bool playing = p->playing_.load();
    const long pos = p->pos_.load();
    const int c = p->cycleCount_.load();
    if (playing && pos < static_cast<long>(p->signal_.size()) && c < static_cast<int>(p->cycles_.size())) {
      p->cycles_[c] = {jack_last_frame_time(p->client_), pos};
      p->cycleCount_.store(c + 1);
    }
    for (jack_nframes_t i = 0; i < n; ++i) {
      const long k = pos + static_cast<long>(i);
      out[i] = playing && k < static_cast<long>(p->signal_.size()) ? p->signal_[k] : 0.f;
    }
    if (playing) p->pos_.store(pos + static_cast<long>(n));
    return 0;
  }
  std::vector<float> signal_;
  jack_client_t* client_ = nullptr;
  jack_port_t* port_ = nullptr;
  std::atomic<bool> playing_{false};
  std::atomic<long> pos_{0};
  struct Cycle {
    jack_nframes_t frame;
    long pos;
  };
  std::vector<Cycle> cycles_;  // written by the process callback only, read after done()
  std::atomic<int> cycleCount_{0};
};

class JackNoteReceiver {
 public:
  struct Note {
    jack_nframes_t frame = 0;  // JACK frame time of the note-on
    int channel = 0, note = 0, velocity = 0;
  };
  JackNoteReceiver() {
    notes_.resize(8192);
    jack_status_t st;
    client_ = jack_client_open("mm-note-receiver", JackNoStartServer, &st);
    if (!client_) throw std::runtime_error("cannot open the JACK MIDI receiver client");
    port_ = jack_port_register(client_, "midi_in", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
    jack_set_process_callback(client_, &JackNoteReceiver::process, this);
    jack_activate(client_);
  }
  ~JackNoteReceiver() { jack_client_close(client_); }
  JackNoteReceiver(const JackNoteReceiver&) = delete;
  JackNoteReceiver& operator=(const JackNoteReceiver&) = delete;

  bool connectFrom(const std::string& src) { return jack_connect(client_, src.c_str(), jack_port_name(port_)) == 0; }
  // The first JACK MIDI output port whose name contains `part` ("" when none).
  std::string findOutputPort(const std::string& part) {
    const char** ports = jack_get_ports(client_, part.c_str(), JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput);
    std::string name = ports && ports[0] ? ports[0] : "";
    if (ports) jack_free(ports);
    return name;
  }
  std::vector<Note> notes() const { return std::vector<Note>(notes_.begin(), notes_.begin() + count_.load()); }

 private:
  static int process(jack_nframes_t n, void* self) {
    auto* r = static_cast<JackNoteReceiver*>(self);
    void* buf = jack_port_get_buffer(r->port_, n);
    const jack_nframes_t cycle = jack_last_frame_time(r->client_);
    const uint32_t events = jack_midi_get_event_count(buf);
    for (uint32_t e = 0; e < events; ++e) {
      jack_midi_event_t ev;
      if (jack_midi_event_get(&ev, buf, e) != 0 || ev.size < 3) continue;
      if ((ev.buffer[0] & 0xF0) != 0x90 || ev.buffer[2] == 0) continue;
      const int k = r->count_.load();
      if (k < static_cast<int>(r->notes_.size())) {
        r->notes_[k] = {cycle + ev.time, ev.buffer[0] & 0x0F, ev.buffer[1], ev.buffer[2]};
        r->count_.store(k + 1);
      }
    }
    return 0;
  }
  jack_client_t* client_ = nullptr;
  jack_port_t* port_ = nullptr;
  std::vector<Note> notes_;
  std::atomic<int> count_{0};
};

}  // namespace mmtest
