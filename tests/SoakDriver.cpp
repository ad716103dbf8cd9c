#include "SoakDriver.h"

#include <jack/jack.h>
#include <jack/midiport.h>
#include <jack/ringbuffer.h>
#include <lo/lo.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <thread>

#include "AudioFile.h"
#include "JackHarness.h"
#include "Json.h"
#include "TestSupport.h"

namespace mmtest {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

void writeFile(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
}

// ---------------------------------------------------------------------------------------
// What the storm plays: every message is bound in the mapping below (plus a few kinds that
// no binding takes, which the mapper must ignore). Program change, bank select (CC 0/32)
// and CC 7 (the end-of-run fence) never appear in the storm.
const char* kMapping = R"(format = 1
name = "soak storm"
channel = 1
bank_select = false

[[control]]
cc = 7
param = "mix.dry_wet"
takeover = "jump"

[[control]]
cc = 21
param = "energy"
takeover = "jump"

[[control]]
cc = 22
param = "texture"
takeover = "scale"

[[control]]
cc = 23
param = "chaos"
range = [0.0, 0.6]

[[control]]
cc = 24
param = "lfo.1.rate"
takeover = "jump"
curve = "exponential"

[[control]]
cc = 25
param = "lfo.1.depth"
takeover = "jump"

[[control]]
cc = 26
param = "source.voice"
range = [0.5, 1.0]
takeover = "jump"

[[control]]
cc = 27
param = "style.blend"
takeover = "jump"

[[control]]
cc14 = 1
param = "bpm"
range = [80.0, 160.0]
takeover = "jump"

[[control]]
cc = 16
relative = "twos_complement"
step = 0.01
param = "texture"

[[control]]
pitchbend = true
param = "dim.1"
range = [-1.5, 1.5]

[[control]]
aftertouch = true
param = "source.pattern"
range = [0.0, 0.5]

[[control]]
note = 36
mode = "toggle"
param = "source.prior"

[[control]]
note = 37
velocity = true
param = "hit.amount"
)";

std::string mappingText() {
  std::string m = kMapping;
  for (int d = 0; d < 8; ++d)
    m += "\n[[control]]\ncc = " + std::to_string(70 + d) + "\nparam = \"dim." + std::to_string(d) +
         "\"\ntakeover = \"jump\"\n\n[[control]]\ncc = " + std::to_string(102 + d) + "\nparam = \"dim." +
         std::to_string(d) + ".scale\"\nrange = [0.5, 1.5]\n";
  // Shelf presets 1..4 (Calm, Balanced, Intense, Chaotic) on notes 60..63, channel 16. The
  // mapping is format 1, which counted presets from 0: its values 0..3 load as 1..4.
  for (int p = 0; p < 4; ++p)
    m += "\n[[control]]\nnote = " + std::to_string(60 + p) + "\nchannel = 16\naction = \"select_preset\"\nvalue = " +
         std::to_string(p) + "\n";
  return m;
}

constexpr int kParts = 4;
constexpr int kFirstProgram = 10;

// One song, four parts, four models: every move from one part to the next is a model switch.
std::string setListText(const std::string& drums) {
  const std::string models[kParts] = {drums, fixture("identity_44k.ts"), fixture("half_44k.ts"),
                                      fixture("v2_48k.ts")};
  const char* params[kParts] = {"energy = 0.6\ntexture = 0.2\n", "energy = 0.41\nchaos = 0.1\n",
                                "energy = 0.8\n\"dim.0\" = 0.5\n", "energy = 0.5\ntexture = 0.5\nchaos = 0.2\n"};
  std::string s = "format = 1\nname = \"Soak\"\nramp_ms = 50.0\ncrossfade_ms = 150.0\n\n[[song]]\nname = \"Soak\"\n";
  for (int p = 0; p < kParts; ++p)
    s += "\n  [[song.part]]\n  name = \"Part " + std::to_string(p + 1) + "\"\n  program = " +
         std::to_string(kFirstProgram + p) + "\n  [song.part.preset]\n  model = \"" + models[p] +
         "\"\n  [song.part.preset.params]\n  " + params[p] + "  \"mix.dry_wet\" = 1.0\n";
  return s;
}

// Parameters the OSC side changes at random (normalized): none of the level/gate controls,
// so that the output stays audible and the silence check means something.
const char* kOscParams[] = {"energy",      "texture",      "chaos",       "hit.amount",  "style.amount",
                            "style.blend", "source.prior", "source.voice", "bpm",         "pattern.slot",
                            "lfo.1.rate",  "lfo.1.depth",  "lfo.1.shape", "lfo.2.rate",  "lfo.2.depth",
                            "dim.0",       "dim.3",        "dim.5",       "dim.7",       "dim.2.scale",
                            "dim.6.scale", "lfo.2.shape"};

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

// ---------------------------------------------------------------------------------------
// A busy loop on the last core at nice 0, in its own process (dies with the driver).
class CpuHog {
 public:
  CpuHog() {
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::setpriority(PRIO_PROCESS, 0, 0);
      cpu_set_t set;
      CPU_ZERO(&set);
      const long cores = ::sysconf(_SC_NPROCESSORS_ONLN);
      CPU_SET(static_cast<int>(std::max(0L, cores - 1)), &set);
      ::sched_setaffinity(0, sizeof set, &set);
      volatile uint64_t x = 0;
      for (;;) x = x + 1;
    }
  }
  ~CpuHog() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

 private:
  pid_t pid_ = -1;
};

// The instrument, with its pid (for /proc) and the full wait status.
class Instrument {
 public:
  Instrument(const std::string& args, const std::string& log) : log_(log) {
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      const std::string cmd = "exec " + binary() + " " + args + " > " + log + " 2>&1";
      ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  ~Instrument() {
    if (running()) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  // False once it has exited (the status is kept).
  bool running() {
    if (exited_) return false;
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      exited_ = true;
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? -WTERMSIG(st) : -1000;
    }
    return !exited_;
  }
  // SIGINT, then up to `seconds` for it to exit (SIGKILL after that). Returns the status.
  int interrupt(double seconds, bool& inTime) {
    inTime = false;
    if (!running()) return status_;
    ::kill(pid_, SIGINT);
    const auto t0 = Clock::now();
    while (since(t0) < seconds) {
      if (!running()) {
        inTime = true;
        return status_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(pid_, SIGKILL);
    int st = 0;
    ::waitpid(pid_, &st, 0);
    exited_ = true;
    return status_ = -SIGKILL;
  }
  std::string log() const { return readFile(log_); }
  long rssKb() const {
    std::ifstream f("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(f, line))
      if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
    return 0;
  }

 private:
  pid_t pid_ = -1;
  std::string log_;
  bool exited_ = false;
  int status_ = -1;
};

uint64_t countLines(const std::string& log, const std::string& what) {
  uint64_t n = 0;
  for (size_t p = log.find(what); p != std::string::npos; p = log.find(what, p + what.size())) ++n;
  return n;
}

uint64_t sumDropped(const std::string& log) {
  uint64_t n = 0;
  const std::string tail = " MIDI messages dropped";
  for (size_t p = log.find(tail); p != std::string::npos; p = log.find(tail, p + tail.size())) {
    size_t b = p;
    while (b > 0 && std::isdigit(static_cast<unsigned char>(log[b - 1]))) --b;
    n += std::strtoull(log.c_str() + b, nullptr, 10);
  }
  return n;
}

// OSC to the instrument, with the replies counted (errors) or kept (values).
class Osc {
 public:
  explicit Osc(int port) {
    server_ = lo_server_new(nullptr, nullptr);
    lo_server_add_method(server_, nullptr, nullptr, &Osc::onReply, this);
    target_ = lo_address_new("127.0.0.1", std::to_string(port).c_str());
  }
  ~Osc() {
    lo_address_free(target_);
    lo_server_free(server_);
  }
  void send(const std::string& path, lo_message m) {
    lo_send_message_from(target_, server_, path.c_str(), m);
    lo_message_free(m);
  }
  void poll() {
    while (lo_server_recv_noblock(server_, 0) > 0) {
    }
  }
  uint64_t errors = 0, pongs = 0;
  std::string lastError, valueId;
  double value = std::nan("");

 private:
  static int onReply(const char* path, const char* types, lo_arg** argv, int argc, lo_message, void* arg) {
    auto* self = static_cast<Osc*>(arg);
    const std::string p = path;
    // liblo's argv points into the packet, 4-byte aligned: read by copying, never through
    // the 8-byte-aligned lo_arg union (UBSan: misaligned access).
    if (p == "/musicmill/error") {
      ++self->errors;
      if (argc > 0 && types[0] == 's') self->lastError = reinterpret_cast<const char*>(argv[0]);
    } else if (p == "/musicmill/pong") {
      ++self->pongs;
    } else if (p == "/musicmill/value" && argc >= 2 && types[0] == 's' && types[1] == 'f') {
      self->valueId = reinterpret_cast<const char*>(argv[0]);
      float v;
      std::memcpy(&v, argv[1], sizeof v);
      self->value = v;
    }
    return 0;
  }
  lo_server server_ = nullptr;
  lo_address target_ = nullptr;
};

int freePort() {
  lo_server s = lo_server_new(nullptr, nullptr);  // bound to a free UDP port, then released
  const int port = s ? lo_server_get_port(s) : 9123;
  if (s) lo_server_free(s);
  return port;
}

}  // namespace

SoakResult runSoak(const SoakOptions& o) {
  SoakResult r;
  auto say = [&](const std::string& m) {
    if (o.progress) o.progress(m);
  };
  const std::string dir = o.workDir.empty() ? tempDir() : o.workDir;
  const std::string drums = o.model.empty() ? sourcePath("models/musicmill_drums.ts") : o.model;
  writeFile(dir + "/soak_map.toml", mappingText());
  writeFile(dir + "/soak_gig.toml", setListText(drums));
  const std::string report = dir + "/soak_report.json", log = dir + "/soak_musicmill.log";
  std::remove(report.c_str());

  std::vector<float> voice;
  try {
    voice = mm::downmix(mm::readAudioFile(sourcePath("models/demo/beatbox_demo.wav")));
  } catch (const std::exception& e) {
    r.failure = std::string("cannot read the demo voice: ") + e.what();
    return r;
  }

  std::unique_ptr<CpuHog> hog;
  if (o.cpuHog) hog = std::make_unique<CpuHog>();
  JackServer server(o.rate, o.period);
  if (!server.ok()) {
    r.failure = "the JACK dummy server did not start:\n" + server.log();
    return r;
  }
  SoakClient client(voice, o.midiPerCycle, static_cast<size_t>(o.seconds) + 120);
  if (!client.ok()) {
    r.failure = "the driver's JACK client did not open";
    return r;
  }
  const int oscPort = freePort();
  const auto tLaunch = Clock::now();
  Instrument mm("perform --headless --audio-api jack --no-connect --no-autosave --model " + drums + " --set-list " +
                    dir + "/soak_gig.toml --mapping " + dir + "/soak_map.toml --midi-api jack --midi-in soakctl" +
                    " --osc-port " + std::to_string(oscPort) + " --report " + report,
                log);
  // Up: it printed "playing", its ports exist, and its MIDI input found our port.
  bool up = false;
  while (since(tLaunch) < 180) {
    if (!mm.running()) break;
    if (mm.log().find("musicmill: playing") != std::string::npos && client.portExists("musicmill:outport 0")) {
      up = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!up) {
    r.failure = "the instrument did not start playing:\n" + mm.log();
    r.log = mm.log();
    return r;
  }
  const uint64_t cycles0 = client.cycles(), xruns0 = client.xruns();
  const auto tPlay = Clock::now();
  client.setListening(true);
  client.connect(client.name("voice"), "musicmill:inport 0");
  client.connect("musicmill:outport 0", client.name("hear0"));
  if (client.portExists("musicmill:outport 1")) client.connect("musicmill:outport 1", client.name("hear1"));
  say("instrument up after " + std::to_string(static_cast<int>(since(tLaunch))) + " s (pid " +
      std::to_string(mm.pid()) + ")");
  while (!client.midiConnected() && since(tPlay) < 15 && mm.running())
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (!client.midiConnected()) {
    r.failure = "the instrument's MIDI input never connected to soakctl:midi";
    r.log = mm.log();
    return r;
  }
  r.started = true;
  Osc osc(oscPort);

  // The soak.
  client.setStorm(true);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> unit(0.f, 1.f);
  const int nOscParams = static_cast<int>(sizeof kOscParams / sizeof kOscParams[0]);
  r.aliveThroughout = true;
  double nextSample = 0, nextSwitch = o.switchSeconds, nextProgress = o.seconds > 120 ? 60 : 10;
  uint64_t oscDue = 0;
  int switchIndex = 0, part = 0;
  while (true) {
    const double t = since(tPlay);
    if (t >= o.seconds) break;
    if (!mm.running()) {
      r.aliveThroughout = false;
      break;
    }
    if (t >= nextSample) {
      nextSample += 1.0;
      const long kb = mm.rssKb();
      if (kb > 0) {
        r.rssKb.push_back(kb);
        if (r.rssFirstKb == 0) r.rssFirstKb = kb;
        if (t >= o.warmupSeconds) {
          if (r.rssStartKb == 0) r.rssStartKb = kb;
          r.rssMaxKb = std::max(r.rssMaxKb, kb);
        }
        r.rssEndKb = kb;
      }
    }
    // Random parameter changes over OSC, spread evenly.
    for (const uint64_t due = static_cast<uint64_t>(t * o.oscPerSecond); oscDue < due; ++oscDue) {
      if (oscDue % 10 == 9) {
        lo_message m = lo_message_new();
        for (int d = 0; d < 8; ++d) lo_message_add_float(m, -2.f + 4.f * unit(rng));
        osc.send("/musicmill/latent", m);
      } else {
        lo_message m = lo_message_new();
        lo_message_add_float(m, unit(rng));
        osc.send(std::string("/musicmill/norm/") + kOscParams[rng() % nOscParams], m);
      }
      ++r.oscParamChanges;
    }
    // A preset switch every `switchSeconds`, three ways in turn. Program changes go to the
    // next part, whose model differs from the one playing: each is a model switch.
    if (t >= nextSwitch) {
      nextSwitch += o.switchSeconds;
      switch (switchIndex++ % 3) {
        case 0:
          part = (part + 1) % kParts;
          client.queue({0xCF, static_cast<uint8_t>(kFirstProgram + part)});
          ++r.programChanges;
          ++r.modelSwitches;
          break;
        case 1: {
          const uint8_t note = static_cast<uint8_t>(60 + (switchIndex / 3) % 4);
          client.queue({0x9F, note, 100});
          client.queue({0x8F, note, 0});
          ++r.presetNotes;
          break;
        }
        default: {
          part = (part + 1) % kParts;
          lo_message m = lo_message_new();
          lo_message_add_int32(m, kFirstProgram + part);
          osc.send("/musicmill/program", m);
          ++r.oscPrograms;
          ++r.modelSwitches;
          break;
        }
      }
      ++r.presetSwitches;
    }
    osc.poll();
    if (t >= nextProgress) {
      nextProgress += o.seconds > 120 ? 60 : 10;
      char b[256];
      std::snprintf(b, sizeof b, "t=%.0f s: RSS %.1f MB, MIDI sent %llu, switches %llu, OSC %llu, driver xruns %llu",
                    t, r.rssEndKb / 1024.0, static_cast<unsigned long long>(client.stormSent()),
                    static_cast<unsigned long long>(r.presetSwitches),
                    static_cast<unsigned long long>(r.oscParamChanges),
                    static_cast<unsigned long long>(client.xruns()));
      say(b);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  client.setStorm(false);
  r.playedSeconds = since(tPlay);

  // The fence: a CC the storm never sent must reach its parameter (read back over OSC).
  if (mm.running()) {
    const auto t0 = Clock::now();
    int tries = 0;
    while (!r.fenceSeen && since(t0) < 10 && mm.running()) {
      if (tries++ % 10 == 0) client.queue({0xB0, 7, 100});
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      lo_message m = lo_message_new();
      lo_message_add_string(m, "mix.dry_wet");
      osc.send("/musicmill/get", m);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      osc.poll();
      r.fenceSeen = osc.valueId == "mix.dry_wet" && std::fabs(osc.value - 100.0 / 127) < 1e-3;
    }
    const long kb = mm.rssKb();
    if (kb > 0) r.rssEndKb = kb;
    r.rssMaxKb = std::max(r.rssMaxKb, r.rssEndKb);
  }
  r.midiSent = client.stormSent() + client.controlSent();
  r.midiWriteFailures = client.writeFailures();
  osc.poll();
  r.oscErrors = osc.errors;

  // Graph cycles and xruns over the same span as the instrument's callbacks (up to SIGINT;
  // its stream stops right after it).
  client.setListening(false);
  r.graphCycles = client.cycles() - cycles0;
  r.driverXruns = client.xruns() - xruns0;
  bool inTime = false;
  r.exitStatus = mm.interrupt(20, inTime);
  r.exitedCleanly = r.aliveThroughout && inTime && r.exitStatus == 0;
  r.windowDb = client.windowsDb();
  for (size_t w = static_cast<size_t>(o.warmupSeconds); w < r.windowDb.size(); ++w)
    if (r.windowDb[w] < -60.f) ++r.silentWindows;
  if (r.rssMaxKb == 0) r.rssMaxKb = r.rssStartKb = r.rssEndKb;

  r.log = mm.log();
  r.navAcknowledged = countLines(r.log, "MIDI: program change") + countLines(r.log, "MIDI: preset") +
                      countLines(r.log, "OSC: program change");
  r.midiDropped = sumDropped(r.log);
  r.report = readFile(report);
  if (!r.report.empty()) {
    r.xruns = jsonNumber(r.report, "xruns");
    r.lateFrames = jsonNumber(r.report, "late_frames");
    r.callbacks = jsonNumber(r.report, "callbacks");
    r.latencyGrowths = jsonNumber(r.report, "latency_growths");
    r.latencyMs = jsonNumber(r.report, "latency_ms");
    r.startLatencyMs = jsonNumber(r.report, "start_latency_ms");
    r.framesProcessed = jsonNumber(r.report, "frames_processed");
    r.nonFiniteBlocks = jsonNumber(r.report, "non_finite_blocks");
    r.droppedInput = jsonNumber(r.report, "dropped_input_samples");
    r.computeP99 = jsonNumber(r.report, "p99");
    r.computeMax = jsonNumber(r.report, "max");
  }
  r.options = o;
  r.options.progress = nullptr;
  return r;
}

std::string SoakResult::json() const {
  mm::JsonWriter j;
  auto num = [](double v) { return std::isfinite(v) ? v : -1.0; };
  j.beginObject()
      .key("seconds_asked").value(options.seconds)
      .key("warmup_seconds").value(options.warmupSeconds)
      .key("sample_rate").value(options.rate)
      .key("period").value(options.period)
      .key("midi_per_cycle").value(options.midiPerCycle)
      .key("osc_per_second").value(options.oscPerSecond)
      .key("switch_seconds").value(options.switchSeconds)
      .key("cpu_hog").value(options.cpuHog)
      .key("started").value(started)
      .key("failure").value(failure)
      .key("played_seconds").value(playedSeconds)
      .key("alive_throughout").value(aliveThroughout)
      .key("exited_cleanly").value(exitedCleanly)
      .key("exit_status").value(exitStatus)
      .key("midi_sent").value(midiSent)
      .key("midi_per_second").value(playedSeconds > 0 ? midiSent / playedSeconds : 0.0)
      .key("midi_write_failures").value(midiWriteFailures)
      .key("midi_dropped_by_instrument").value(midiDropped)
      .key("midi_fence_seen").value(fenceSeen)
      .key("osc_param_changes").value(oscParamChanges)
      .key("osc_errors").value(oscErrors)
      .key("preset_switches").value(presetSwitches)
      .key("model_switches").value(modelSwitches)
      .key("program_changes_midi").value(programChanges)
      .key("preset_notes_midi").value(presetNotes)
      .key("program_changes_osc").value(oscPrograms)
      .key("switches_acknowledged").value(navAcknowledged)
      .key("rss_first_kb").value(rssFirstKb)
      .key("rss_start_kb").value(rssStartKb)
      .key("rss_max_kb").value(rssMaxKb)
      .key("rss_end_kb").value(rssEndKb)
      .key("rss_growth_kb").value(rssGrowthKb())
      .key("graph_cycles").value(graphCycles)
      .key("driver_xruns").value(driverXruns)
      .key("silent_windows").value(silentWindows)
      .key("windows").value(static_cast<unsigned long long>(windowDb.size()))
      .key("report").beginObject()
      .key("xruns").value(num(xruns))
      .key("late_frames").value(num(lateFrames))
      .key("callbacks").value(num(callbacks))
      .key("latency_growths").value(num(latencyGrowths))
      .key("start_latency_ms").value(num(startLatencyMs))
      .key("latency_ms").value(num(latencyMs))
      .key("frames_processed").value(num(framesProcessed))
      .key("non_finite_blocks").value(num(nonFiniteBlocks))
      .key("dropped_input_samples").value(num(droppedInput))
      .key("compute_p99_ms").value(num(computeP99))
      .key("compute_max_ms").value(num(computeMax))
      .endObject()
      .key("rss_kb_per_second").beginArray();
  for (long kb : rssKb) j.value(kb);
  j.endArray().key("output_db_per_second").beginArray();
  for (float db : windowDb) j.value(std::round(db * 10) / 10.0);
  j.endArray().endObject();
  return j.str() + "\n";
}

std::string SoakResult::text() const {
  std::ostringstream s;
  char b[512];
  auto line = [&](const char* fmt, auto... a) {
    std::snprintf(b, sizeof b, fmt, a...);
    s << b << "\n";
  };
  const double mb = 1.0 / 1024;
  line("played %.1f s (asked %.0f, warm-up %.0f), %d Hz / %d frames, CPU hog on one core: %s", playedSeconds,
       options.seconds, options.warmupSeconds, options.rate, options.period, options.cpuHog ? "yes" : "no");
  line("survived: %s; exit on SIGINT: status %d (%s)", aliveThroughout ? "yes, alive throughout" : "NO, it died",
       exitStatus, exitedCleanly ? "clean" : "NOT clean");
  line("MIDI sent: %llu (%.0f/s), write failures %llu, dropped by the instrument %llu, end fence %s",
       static_cast<unsigned long long>(midiSent), playedSeconds > 0 ? midiSent / playedSeconds : 0.0,
       static_cast<unsigned long long>(midiWriteFailures), static_cast<unsigned long long>(midiDropped),
       fenceSeen ? "handled" : "NOT handled");
  line("parameter changes over OSC: %llu (errors answered: %llu)", static_cast<unsigned long long>(oscParamChanges),
       static_cast<unsigned long long>(oscErrors));
  line("preset switches: %llu (MIDI program change %llu, MIDI preset note %llu, OSC program %llu), model switches "
       "%llu; acknowledged in the instrument's log: %llu",
       static_cast<unsigned long long>(presetSwitches), static_cast<unsigned long long>(programChanges),
       static_cast<unsigned long long>(presetNotes), static_cast<unsigned long long>(oscPrograms),
       static_cast<unsigned long long>(modelSwitches), static_cast<unsigned long long>(navAcknowledged));
  line("RSS: first %.1f MB, after warm-up %.1f MB, max %.1f MB, end %.1f MB; growth after warm-up %.1f MB",
       rssFirstKb * mb, rssStartKb * mb, rssMaxKb * mb, rssEndKb * mb, rssGrowthKb() * mb);
  line("audio: %.0f callbacks over %llu graph cycles (%.1f %%), %d of %zu one-second output windows after warm-up "
       "below -60 dBFS",
       callbacks, static_cast<unsigned long long>(graphCycles), graphCycles ? 100.0 * callbacks / graphCycles : 0.0,
       silentWindows, windowDb.size() > static_cast<size_t>(options.warmupSeconds)
                          ? windowDb.size() - static_cast<size_t>(options.warmupSeconds)
                          : size_t{0});
  line("xruns: %.0f (the driver's client saw %llu while it played), late frames: %.0f, latency %.1f ms (started at %.1f ms, %.0f "
       "steps up), compute p99 %.2f ms, max %.2f ms, non-finite blocks %.0f",
       xruns, static_cast<unsigned long long>(driverXruns), lateFrames, latencyMs, startLatencyMs, latencyGrowths,
       computeP99, computeMax, nonFiniteBlocks);
  if (!failure.empty()) s << "failure: " << failure << "\n";
  return s.str();
}

}  // namespace mmtest
