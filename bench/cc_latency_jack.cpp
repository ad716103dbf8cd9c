// mm_bench_cc_latency: MIDI CC in -> audible change out, through JACK.
//
// A private JACK dummy server (tests/JackHarness.h) runs the real `musicmill perform` with a
// mapping that puts one CC on output.gain (range [-40, 0] dB, takeover "jump"). One JACK
// client of ours does everything in its process callback, so every time is exact in JACK
// frame time:
//   - plays a steady 440 Hz sine at -12 dBFS into "musicmill:inport 0",
//   - records "musicmill:outport 0",
//   - owns a JACK MIDI output (musicmill connects to it itself: --midi-in mm-cc-bench) and
//     writes the CC with jack_midi_event_write at a chosen frame offset of a chosen cycle.
// The CC alternates between 127 (0 dB) and 0 (-40 dB) every 300-500 ms (uniformly random).
//
// Latency of a step = JACK frame time of the first recorded output sample whose level has
// moved more than 1 dB toward the new value (and stays there for 5 ms) - JACK frame time at
// which the CC was written. Level: per-sample amplitude of the sine by the Teager-Kaiser
// operator, sqrt(y[n]^2 - y[n-1]*y[n+1]) / sin(w) (exact for a steady sinusoid, no window
// lag), averaged over 8 samples centred on n; the level before the step is the median over
// the 20 ms before the send.
//
// Our client both feeds musicmill and listens to it, a loop in the JACK graph; the
// connection that closes it (musicmill's output -> ours, made last) is JACK's feedback
// connection, so what we record in a cycle is what musicmill computed in the cycle before,
// which is what a sound card would play then (the playback buffer). The CC is delivered to
// musicmill's MIDI client in the cycle it is written. So the figure is "CC on the wire ->
// sound at the speaker", including one JACK period of output buffering and whatever
// the instrument adds (MIDI thread, control thread, the audio block it lands in, the
// output gain's 20 ms smoother reaching 1 dB).
//
//   mm_bench_cc_latency [--steps N] [--buffers 64,128] [--modes headless,ui] [--rate 44100]
//                       [--low-db -40] [--seed S] [--out PREFIX] [--verbose]
//
// --out PREFIX: writes PREFIX.txt and PREFIX.json (default <source>/bench/results/cc_latency).
#include <jack/jack.h>
#include <jack/midiport.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "JackHarness.h"
#include "Json.h"
#include "TestSupport.h"
#include "Xvfb.h"

using namespace mmtest;

namespace {

constexpr double kFreq = 440.0;
constexpr double kLevelDb = -12.0;
constexpr int kCc = 20;
constexpr double kThresholdDb = 1.0;
constexpr const char* kClientName = "mm-cc-bench";

std::string arg(int argc, char** argv, const std::string& name, const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (name == argv[i]) return argv[i + 1];
  return fallback;
}
bool flag(int argc, char** argv, const std::string& name) {
  for (int i = 1; i < argc; ++i)
    if (name == argv[i]) return true;
  return false;
}
std::vector<std::string> list(const std::string& s) {
  std::vector<std::string> v;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) v.push_back(item);
  return v;
}

double percentile(std::vector<double> v, double p) {  // linear interpolation between ranks
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const double r = p / 100.0 * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(r)), hi = std::min(v.size() - 1, lo + 1);
  return v[lo] + (r - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}
std::string shell(const std::string& cmd) { return trim(runCommand(cmd).output); }

// ---------------------------------------------------------------------------------------
// Our JACK client: sine out, recording in, CC out; all timing in its process callback.
class CcBenchClient {
 public:
  struct Send {
    long index = 0;             // wanted: sample index of the recording at which to send
    unsigned char value = 0;    // CC value
    long sentIndex = -1;        // where it went (the index, or the next cycle's start)
    jack_nframes_t frame = 0;   // JACK frame time at which it was written
  };

  CcBenchClient(double maxSeconds) {
    jack_status_t st;
    client_ = jack_client_open(kClientName, JackNoStartServer, &st);
    if (!client_) throw std::runtime_error("cannot open our JACK client");
    rate_ = jack_get_sample_rate(client_);
    out_ = jack_port_register(client_, "out", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
    in_ = jack_port_register(client_, "in", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
    midi_ = jack_port_register(client_, "midi_out", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
    if (!out_ || !in_ || !midi_) throw std::runtime_error("cannot register our JACK ports");
    rec_.assign(static_cast<size_t>(maxSeconds * rate_), 0.f);
    cycles_.resize(rec_.size() / 16 + 64);
    phaseStep_ = 2.0 * M_PI * kFreq / rate_;
    amp_ = static_cast<float>(std::pow(10.0, kLevelDb / 20.0));
    jack_set_process_callback(client_, &CcBenchClient::process, this);
    jack_set_xrun_callback(client_, &CcBenchClient::onXrun, this);
    if (jack_activate(client_) != 0) throw std::runtime_error("cannot activate our JACK client");
  }
  ~CcBenchClient() {
    jack_deactivate(client_);
    jack_client_close(client_);
  }
  CcBenchClient(const CcBenchClient&) = delete;
  CcBenchClient& operator=(const CcBenchClient&) = delete;

  double rate() const { return rate_; }
  bool connect(const std::string& src, const std::string& dst) { return jack_connect(client_, src.c_str(), dst.c_str()) == 0; }
  std::string outName() const { return jack_port_name(out_); }
  std::string inName() const { return jack_port_name(in_); }
  bool midiConnected() const { return jack_port_connected(midi_) > 0; }

  // Before start(): what to send; then record `length` samples.
  void start(std::vector<Send> sends, long length) {
    sends_ = std::move(sends);
    length_ = std::min<long>(length, static_cast<long>(rec_.size()));
    nextSend_.store(0);
    recording_.store(true);
  }
  bool done() const { return pos_.load() >= length_; }
  long recordedLength() const { return std::min(pos_.load(), length_); }
  const std::vector<float>& recorded() const { return rec_; }
  const std::vector<Send>& sends() const { return sends_; }
  size_t sent() const { return nextSend_.load(); }
  uint64_t xruns() const { return xruns_.load(); }
  // JACK frame time of recorded sample k (exact across xruns: every cycle's time is kept).
  double frameOf(long k) const {
    const int n = cycleCount_.load();
    int lo = 0, hi = n - 1;
    while (lo < hi) {  // last cycle with pos <= k
      const int mid = (lo + hi + 1) / 2;
      if (cycles_[mid].pos <= k) lo = mid;
      else hi = mid - 1;
    }
    return n ? static_cast<double>(cycles_[lo].frame) + static_cast<double>(k - cycles_[lo].pos) : std::nan("");
  }

 private:
  static int onXrun(void* self) {
    static_cast<CcBenchClient*>(self)->xruns_.fetch_add(1);
    return 0;
  }
  static int process(jack_nframes_t n, void* self) {
    auto* c = static_cast<CcBenchClient*>(self);
    const jack_nframes_t now = jack_last_frame_time(c->client_);
    auto* out = static_cast<float*>(jack_port_get_buffer(c->out_, n));
    for (jack_nframes_t i = 0; i < n; ++i) {
      out[i] = c->amp_ * static_cast<float>(std::sin(c->phase_));
      c->phase_ += c->phaseStep_;
      if (c->phase_ > 2.0 * M_PI) c->phase_ -= 2.0 * M_PI;
    }
    void* midi = jack_port_get_buffer(c->midi_, n);
    jack_midi_clear_buffer(midi);
    if (!c->recording_.load()) return 0;
    const long pos = c->pos_.load();
    if (pos >= c->length_) return 0;
    const int cc = c->cycleCount_.load();
    if (cc < static_cast<int>(c->cycles_.size())) {
      c->cycles_[cc] = {now, pos};
      c->cycleCount_.store(cc + 1);
    }
    const auto* in = static_cast<const float*>(jack_port_get_buffer(c->in_, n));
    for (jack_nframes_t i = 0; i < n && pos + static_cast<long>(i) < c->length_; ++i) c->rec_[pos + i] = in[i];
    size_t s = c->nextSend_.load();
    jack_nframes_t lastOffset = 0;
    while (s < c->sends_.size() && c->sends_[s].index < pos + static_cast<long>(n)) {
      Send& e = c->sends_[s];
      const jack_nframes_t off = std::max<jack_nframes_t>(
          lastOffset, static_cast<jack_nframes_t>(std::max<long>(0, e.index - pos)));
      const unsigned char bytes[3] = {0xB0, static_cast<unsigned char>(kCc), e.value};
      if (jack_midi_event_write(midi, off, bytes, 3) != 0) break;  // no room: next cycle
      e.sentIndex = pos + static_cast<long>(off);
      e.frame = now + off;
      lastOffset = off;
      ++s;
    }
    c->nextSend_.store(s);
    c->pos_.store(pos + static_cast<long>(n));
    return 0;
  }

  jack_client_t* client_ = nullptr;
  jack_port_t *out_ = nullptr, *in_ = nullptr, *midi_ = nullptr;
  double rate_ = 0, phase_ = 0, phaseStep_ = 0;
  float amp_ = 0;
  std::vector<float> rec_;
  std::vector<Send> sends_;
  long length_ = 0;
  std::atomic<bool> recording_{false};
  std::atomic<long> pos_{0};
  std::atomic<size_t> nextSend_{0};
  std::atomic<uint64_t> xruns_{0};
  struct Cycle {
    jack_nframes_t frame;
    long pos;
  };
  std::vector<Cycle> cycles_;
  std::atomic<int> cycleCount_{0};
};


// ---------------------------------------------------------------------------------------
struct Step {
  long sendIndex = 0;
  double sendFrame = 0;
  bool up = false;
  double refDb = 0, noiseDb = 0, finalDb = 0;
  double latencySamples = std::nan("");
  int pickup = -1;  // the change first sounded in the block musicmill computed in cycle C + pickup
};

struct Config {
  int buffer = 0;
  std::string mode;
  int steps = 0;
  std::vector<Step> results;
  std::vector<double> ms, upMs, downMs;
  double mmXruns = 0, mmLate = 0, mmCallbacks = 0;
  uint64_t ourXruns = 0, measXruns = 0, serverIdleXruns = 0;
  double uiFrames = std::nan(""), uiFps = std::nan("");
  std::string uiLine, loadBefore, loadAfter, command, error;
  double levelNoiseDb = std::nan("");
  std::vector<int> pickups;  // steps whose change musicmill computed k cycles after the CC's
};

std::string loadavg() { return trim(readFile("/proc/loadavg")); }

// Per-sample amplitude of a steady sine by the Teager-Kaiser energy operator.
std::vector<float> amplitude(const std::vector<float>& y, long n, double rate) {
  const double s = std::sin(2.0 * M_PI * kFreq / rate);
  std::vector<float> a(static_cast<size_t>(n), 0.f);
  for (long i = 1; i + 1 < n; ++i) {
    const double e = double(y[i]) * y[i] - double(y[i - 1]) * y[i + 1];
    a[i] = static_cast<float>(std::sqrt(std::max(0.0, e)) / s);
  }
  std::vector<float> m(a.size(), 0.f);  // mean over 8 samples centred on i (i-4 .. i+3)
  double acc = 0;
  for (long i = 0; i < n; ++i) {
    acc += a[i];
    if (i >= 8) acc -= a[i - 8];
    if (i >= 7) m[i - 3] = static_cast<float>(acc / 8.0);  // m[k] = mean of a[k-4 .. k+3]
  }
  return m;
}

double db(double x) { return 20.0 * std::log10(std::max(x, 1e-12)); }

// Samples for the output stage's one-pole smoother (tau 20 ms, on linear gain) to move
// 1 dB from `fromDb` toward `toDb`: the part of each figure that is the smoother itself.
double smootherSamples(double rate, double fromDb, double toDb) {
  const double coef = std::exp(-1.0 / (0.020 * rate));
  const double g0 = std::pow(10.0, fromDb / 20.0), g1 = std::pow(10.0, toDb / 20.0);
  double v = g0;
  for (int i = 1; i < static_cast<int>(rate); ++i) {
    v = coef * v + (1.0 - coef) * g1;
    if (std::fabs(db(v) - fromDb) > kThresholdDb) return i - 1;  // sample i-1 after the change is the 1st moved
  }
  return std::nan("");
}

Config runConfig(int buffer, const std::string& mode, int steps, double rate, double lowDb, unsigned seed,
                 bool verbose) {
  Config cfg;
  cfg.buffer = buffer;
  cfg.mode = mode;
  cfg.steps = steps;
  cfg.loadBefore = loadavg();
  const bool ui = mode == "ui";
  const std::string dir = tempDir();
  const std::string map = dir + "/map.toml", report = dir + "/report.json", uiLog = dir + "/ui.json";
  {
    char lo[32];
    std::snprintf(lo, sizeof lo, "%.1f", lowDb);
    std::ofstream(map) << "format = 1\nname = \"cc latency bench\"\nchannel = 1\n\n[[control]]\ncc = " << kCc
                       << "\nparam = \"output.gain\"\nrange = [" << lo << ", 0.0]\ntakeover = \"jump\"\n";
  }

  // Schedule: settle, one unmeasured CC 127 (sets 0 dB), then `steps` alternating steps.
  std::mt19937 rng(seed + static_cast<unsigned>(buffer) * 7 + (ui ? 1 : 0));
  std::uniform_real_distribution<double> gap(0.300, 0.500);
  std::vector<CcBenchClient::Send> sends;
  sends.push_back({static_cast<long>(0.2 * rate), 127});
  double t = 1.0;
  for (int k = 0; k < steps; ++k) {
    sends.push_back({static_cast<long>(t * rate), static_cast<unsigned char>(k % 2 == 0 ? 0 : 127)});
    t += gap(rng);
  }
  const double seconds = t + 0.3;

  std::unique_ptr<mmtest::Xvfb> xvfb;
  if (ui) {
    xvfb = std::make_unique<mmtest::Xvfb>(1280, 800);
    if (!xvfb->ok()) {
      cfg.error = "Xvfb did not start";
      return cfg;
    }
  }
  CcBenchClient client(seconds + 1);
  const double settle = ui ? 3.0 : 1.5;
  char args[2048];
  std::snprintf(args, sizeof args,
                "perform --audio-api jack --no-connect --no-autosave --model %s --midi-api jack --midi-in %s "
                "--mapping %s --set mix.dry_wet=1 --set gate.threshold=-90 --duration %.0f --report %s%s%s",
                fixture("identity_44k.ts").c_str(), kClientName, map.c_str(), seconds + settle + 60, report.c_str(),
                ui ? " --ui-log " : " --headless", ui ? uiLog.c_str() : "");
  cfg.command = (ui ? "DISPLAY=" + xvfb->display() + " " : std::string()) + binary() + " " + args;
  auto mmp = std::make_unique<MusicmillProcess>(args);
  if (!mmp->waitForPorts(90)) {  // on a loaded machine it sometimes misses the server once
    mmp->stop();
    std::this_thread::sleep_for(std::chrono::seconds(2));
    mmp = std::make_unique<MusicmillProcess>(args);
    if (!mmp->waitForPorts(90)) {
      cfg.error = "musicmill did not come up:\n" + mmp->output();
      return cfg;
    }
  }
  MusicmillProcess& mm = *mmp;
  // Feed first, listen second: the listening connection closes the loop (JACK's feedback edge).
  if (!client.connect(client.outName(), "musicmill:inport 0") || !client.connect("musicmill:outport 0", client.inName())) {
    cfg.error = "cannot connect our client to musicmill's audio ports";
    return cfg;
  }
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!client.midiConnected() && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (!client.midiConnected()) {
    cfg.error = "musicmill did not connect to our MIDI port:\n" + mm.output();
    return cfg;
  }
  auto uiSeenAt = std::chrono::steady_clock::now();
  if (ui) {  // the window is up once it prints its "UI WxH on ..." line
    const auto uiUntil = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < uiUntil && mm.output().find("musicmill: UI ") == std::string::npos &&
           mm.output().find("the UI could not open") == std::string::npos)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const std::string out = mm.output();
    if (out.find("the UI could not open") != std::string::npos || out.find("musicmill: UI ") == std::string::npos) {
      cfg.error = "the UI did not open:\n" + out;
      return cfg;
    }
    uiSeenAt = std::chrono::steady_clock::now();
    const size_t p = out.find("musicmill: UI ");
    cfg.uiLine = trim(out.substr(p, out.find('\n', p) - p));
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(settle));

  const auto t0 = std::chrono::steady_clock::now();
  const uint64_t xrunsBefore = client.xruns();
  client.start(sends, static_cast<long>(seconds * rate));
  const auto doneBy = t0 + std::chrono::duration<double>(seconds + 60);
  while (!client.done() && std::chrono::steady_clock::now() < doneBy)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  cfg.measXruns = client.xruns() - xrunsBefore;  // JACK xruns while the steps were measured
  const int status = mm.stop();
  const auto stoppedAt = std::chrono::steady_clock::now();
  cfg.ourXruns = client.xruns();
  const std::string rep = readFile(report);
  if (verbose) std::fprintf(stderr, "%s\n", mm.output().c_str());
  if (rep.empty()) {
    cfg.error = "musicmill exited with " + std::to_string(status) + " and wrote no report:\n" + mm.output();
    return cfg;
  }
  cfg.mmXruns = jsonNumber(rep, "xruns");
  cfg.mmLate = jsonNumber(rep, "late_frames");
  cfg.mmCallbacks = jsonNumber(rep, "callbacks");
  if (ui) {
    const std::string log = readFile(uiLog);
    cfg.uiFrames = jsonNumber(log, "frames");
    if (log.empty() || !(cfg.uiFrames > 0)) {
      cfg.error = "the UI log shows no frames drawn:\n" + mm.output();
      return cfg;
    }
    const double uiSeconds = std::chrono::duration<double>(stoppedAt - uiSeenAt).count();
    if (uiSeconds > 0) cfg.uiFps = cfg.uiFrames / uiSeconds;  // frames since the window opened
  }
  if (!client.done()) {
    cfg.error = "the recording did not finish";
    return cfg;
  }

  // Analysis.
  const long n = client.recordedLength();
  const std::vector<float>& y = client.recorded();
  const std::vector<float> lvl = amplitude(y, n, rate);
  const auto& done = client.sends();
  const long pre = static_cast<long>(0.020 * rate), hold = static_cast<long>(0.005 * rate);
  std::vector<double> noise;
  for (size_t k = 1; k < done.size(); ++k) {  // [0] is the unmeasured initial CC
    const auto& s = done[k];
    if (s.sentIndex < 0) continue;
    Step st;
    st.sendIndex = s.sentIndex;
    st.sendFrame = static_cast<double>(s.frame);
    st.up = s.value == 127;
    const long end = k + 1 < done.size() ? done[k + 1].index : n - 1;
    std::vector<double> ref;
    for (long i = s.sentIndex - pre; i < s.sentIndex; ++i)
      if (i > 8) ref.push_back(db(lvl[i]));
    st.refDb = percentile(ref, 50);
    st.noiseDb = percentile(ref, 95) - percentile(ref, 5);
    noise.push_back(st.noiseDb);
    st.finalDb = db(lvl[std::max<long>(0, end - 10)]);
    auto moved = [&](long i) {
      const double d = db(lvl[i]) - st.refDb;
      return st.up ? d > kThresholdDb : d < -kThresholdDb;
    };
    for (long i = s.sentIndex; i + hold < end - 8; ++i) {
      if (!moved(i)) continue;
      bool stays = true;
      for (long j = i; j < i + hold && stays; ++j) stays = moved(j);
      if (!stays) continue;
      st.latencySamples = client.frameOf(i) - st.sendFrame;
      break;
    }
    // A step counts when the output then really reached the new level (the whole step
    // within 3 dB) before the next CC.
    const double step = st.up ? -lowDb : lowDb;
    if (std::isfinite(st.latencySamples) && std::fabs((st.finalDb - st.refDb) - step) < 3.0) {
      const double ms = 1000.0 * st.latencySamples / rate;
      // Output of cycle C+k is recorded in cycle C+k+1 (the loop's feedback edge): take the
      // smoother's part off and count whole periods from the CC's cycle start.
      const double fromCycle = st.latencySamples + std::fmod(st.sendFrame, buffer) -
                               smootherSamples(rate, st.up ? lowDb : 0.0, st.up ? 0.0 : lowDb);
      st.pickup = static_cast<int>(std::lround(fromCycle / buffer)) - 1;
      if (st.pickup >= 0) {
        if (cfg.pickups.size() <= static_cast<size_t>(st.pickup)) cfg.pickups.resize(st.pickup + 1, 0);
        ++cfg.pickups[st.pickup];
      }
      cfg.ms.push_back(ms);
      (st.up ? cfg.upMs : cfg.downMs).push_back(ms);
    }
    cfg.results.push_back(st);
  }
  cfg.levelNoiseDb = percentile(noise, 50);
  cfg.loadAfter = loadavg();
  return cfg;
}

std::string uiCol(const Config& c) {
  char b[64];
  std::snprintf(b, sizeof b, "%.0f (%.1f/s)", c.uiFrames, c.uiFps);
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  const int steps = std::stoi(arg(argc, argv, "--steps", "80"));
  std::vector<int> buffers;
  for (const auto& b : list(arg(argc, argv, "--buffers", "64,128"))) buffers.push_back(std::stoi(b));
  const std::vector<std::string> modes = list(arg(argc, argv, "--modes", "headless,ui"));
  const double rate = std::stod(arg(argc, argv, "--rate", "44100"));
  const double lowDb = std::stod(arg(argc, argv, "--low-db", "-40"));
  const unsigned seed = static_cast<unsigned>(std::stoul(arg(argc, argv, "--seed", "1")));
  const std::string out = arg(argc, argv, "--out", sourcePath("bench/results/cc_latency"));
  const bool verbose = flag(argc, argv, "--verbose");
  if (flag(argc, argv, "--help") || flag(argc, argv, "-h")) {
    std::printf("usage: mm_bench_cc_latency [--steps N] [--buffers 64,128] [--modes headless,ui] [--rate 44100]\n"
                "                           [--low-db -40] [--seed S] [--out PREFIX] [--verbose]\n");
    return 0;
  }
  for (const auto& m : modes)
    if (m != "headless" && m != "ui") {
      std::fprintf(stderr, "mm_bench_cc_latency: --modes takes headless and/or ui, not '%s'\n", m.c_str());
      return 2;
    }

  std::string command;
  for (int i = 0; i < argc; ++i) command += (i ? " " : "") + std::string(argv[i]);
  char date[64];
  const std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S %Z", std::localtime(&now));
  const std::string cpu = shell("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'");
  const std::string nproc = shell("nproc");
  const std::string uptimeBefore = shell("uptime");
  const std::string gitRev = shell("git -C " + sourcePath("") + " rev-parse --short HEAD 2>/dev/null");
  const std::string gitDirty = shell("git -C " + sourcePath("") + " status --porcelain 2>/dev/null | wc -l");
  // The instrument is whatever was last built into the build folder (the working tree then).
  const std::string built = shell("date -r " + binary() + " '+%Y-%m-%d %H:%M:%S %Z' 2>/dev/null");

  std::vector<Config> configs;
  for (int buffer : buffers) {
    std::fprintf(stderr, "cc latency: buffer %d: starting jackd (dummy, %.0f Hz) ...\n", buffer, rate);
    JackServer server(static_cast<int>(rate), buffer);
    if (!server.ok()) {
      std::fprintf(stderr, "mm_bench_cc_latency: jackd did not start:\n%s\n", server.log().c_str());
      return 3;
    }
    const uint64_t idleXruns = serverOwnXruns(1.0);
    for (const auto& mode : modes) {
      std::fprintf(stderr, "cc latency: buffer %d, %s, %d steps ...\n", buffer, mode.c_str(), steps);
      Config c = runConfig(buffer, mode, steps, rate, lowDb, seed, verbose);
      c.serverIdleXruns = idleXruns;
      if (!c.error.empty()) std::fprintf(stderr, "  FAILED: %s\n", c.error.c_str());
      else
        std::fprintf(stderr, "  %zu/%d steps measured, median %.2f ms, p95 %.2f ms, max %.2f ms, xruns %.0f\n",
                     c.ms.size(), steps, percentile(c.ms, 50), percentile(c.ms, 95), percentile(c.ms, 100), c.mmXruns);
      configs.push_back(c);
    }
  }
  const std::string uptimeAfter = shell("uptime");

  // Table.
  std::ostringstream t;
  char line[512];
  const double smDown = 1000.0 * smootherSamples(rate, 0.0, lowDb) / rate;
  const double smUp = 1000.0 * smootherSamples(rate, lowDb, 0.0) / rate;
  std::snprintf(line, sizeof line, "%-7s %-9s %5s %4s %8s %8s %8s %8s | %8s %8s | %5s %5s %5s %5s %5s  %s\n", "buffer",
                "mode", "count", "of", "median", "p95", "max", "min", "med_up", "med_dn", "xruns", "late", "ourxr",
                "meas", "srvxr", "ui frames");
  t << line;
  for (const auto& c : configs) {
    if (!c.error.empty()) {
      std::snprintf(line, sizeof line, "%-7d %-9s FAILED: %s\n", c.buffer, c.mode.c_str(),
                    c.error.substr(0, c.error.find('\n')).c_str());
      t << line;
      continue;
    }
    std::snprintf(line, sizeof line,
                  "%-7d %-9s %5zu %4d %5.2f ms %5.2f ms %5.2f ms %5.2f ms | %5.2f ms %5.2f ms | %5.0f %5.0f %5llu %5llu %5llu  %s\n",
                  c.buffer, c.mode.c_str(), c.ms.size(), c.steps, percentile(c.ms, 50), percentile(c.ms, 95),
                  percentile(c.ms, 100), percentile(c.ms, 0), percentile(c.upMs, 50), percentile(c.downMs, 50),
                  c.mmXruns, c.mmLate, static_cast<unsigned long long>(c.ourXruns),
                  static_cast<unsigned long long>(c.measXruns), static_cast<unsigned long long>(c.serverIdleXruns),
                  c.mode == "ui" ? uiCol(c).c_str() : "-");
    t << line;
  }
  const std::string table = t.str();
  std::printf("\n%s", table.c_str());

  std::ostringstream txt;
  txt << "mm_bench_cc_latency: MIDI CC -> audible change of output.gain, through a private JACK dummy server\n"
      << "date:     " << date << "\n"
      << "machine:  " << nproc << " CPUs (nproc), " << cpu << "\n"
      << "binary:   " << binary() << ", built " << built << " from the working tree of then\n"
      << "source:   at run time git HEAD " << gitRev << " + " << gitDirty << " changed/untracked paths\n"
      << "command:  " << command << "\n"
      << "load before: " << uptimeBefore << "\n"
      << "load after:  " << uptimeAfter << "\n\n"
      << "Setup: jackd -d dummy -r " << rate << " -p BUFFER; musicmill perform on the identity_44k fixture, "
      << "dry/wet 1, gate off, CC " << kCc << " -> output.gain, range [" << lowDb << ", 0] dB, takeover jump.\n"
      << "One JACK client of ours plays a 440 Hz sine at -12 dBFS into musicmill:inport 0, records "
         "musicmill:outport 0, and\nwrites the CC (127 = 0 dB / 0 = "
      << lowDb << " dB, alternating, 300-500 ms apart, uniformly random) with jack_midi_event_write at a\n"
         "known frame offset of its process cycle.\n"
      << "Criterion: latency = JACK frame time of the first recorded sample whose level has moved > 1 dB toward the "
         "new value\n(and stays moved 5 ms) - JACK frame time of the CC. Level = Teager-Kaiser amplitude of the sine, "
         "sqrt(y[n]^2 - y[n-1]y[n+1])/sin(w),\naveraged over 8 samples centred on n; reference = median level over "
         "the 20 ms before the CC. A step counts only if the\noutput then made the whole step (within 3 dB) before "
         "the next CC.\n"
      << "Included: the recording side sees musicmill's output one JACK period after musicmill computed it (the "
         "graph loop's\nfeedback edge, like a sound card's playback buffer), and the output gain's 20 ms one-pole "
         "smoother (on linear gain) needs\n";
  char sm[200];
  std::snprintf(sm, sizeof sm, "%.2f ms to fall 1 dB (0 -> %.0f dB) and %.2f ms to rise 1 dB (%.0f -> 0 dB).\n", smDown,
                lowDb, smUp, lowDb);
  txt << sm
      << "Columns: count = steps measured of `of` sent; med_up / med_dn = median of the steps to 0 dB / to the low "
         "value;\nxruns / late = musicmill's report (xruns, late_frames); ourxr = JACK xruns seen by our client\n(from before musicmill started to its stop); meas = "
         "those during the measured steps; srvxr = xruns of the idle server\nin 1 s before the runs (machine too busy when > 0); ui frames = frames the UI drew "
         "(--ui-log) and per second since the window opened.\n\n"
      << table << "\n";
  for (const auto& c : configs) {
    txt << "buffer " << c.buffer << " " << c.mode << ": load " << c.loadBefore << " -> " << c.loadAfter;
    if (!c.uiLine.empty()) txt << "; " << c.uiLine;
    char nb[80];
    std::snprintf(nb, sizeof nb, "; level estimate spread (p5-p95, steady) %.3f dB", c.levelNoiseDb);
    txt << nb << "\n  steps by the cycle whose block first carried the change (C = the CC's cycle):";
    for (size_t k = 0; k < c.pickups.size(); ++k) txt << " C+" << k << ": " << c.pickups[k];
    txt << "\n  " << c.command << "\n";
  }
  std::ofstream(out + ".txt") << txt.str();

  mm::JsonWriter j;
  j.beginObject()
      .key("bench").value("mm_bench_cc_latency")
      .key("date").value(std::string(date))
      .key("nproc").value(nproc)
      .key("cpu").value(cpu)
      .key("git").value(gitRev)
      .key("binary_built").value(built)
      .key("command").value(command)
      .key("uptime_before").value(uptimeBefore)
      .key("uptime_after").value(uptimeAfter)
      .key("rate").value(rate)
      .key("cc").value(kCc)
      .key("low_db").value(lowDb)
      .key("threshold_db").value(kThresholdDb)
      .key("smoother_ms_down").value(smDown)
      .key("smoother_ms_up").value(smUp)
      .key("criterion").value(
          "frame of first recorded sample whose Teager-Kaiser sine amplitude (8-sample centred mean) moved > 1 dB "
          "toward the new value and stays 5 ms, minus frame of the CC (JACK frame time); includes one JACK period "
          "of output buffering")
      .key("configs").beginArray();
  for (const auto& c : configs) {
    j.beginObject()
        .key("buffer").value(c.buffer)
        .key("mode").value(c.mode)
        .key("error").value(c.error)
        .key("steps").value(c.steps)
        .key("count").value(static_cast<int>(c.ms.size()))
        .key("median_ms").value(percentile(c.ms, 50))
        .key("p95_ms").value(percentile(c.ms, 95))
        .key("max_ms").value(percentile(c.ms, 100))
        .key("min_ms").value(percentile(c.ms, 0))
        .key("median_up_ms").value(percentile(c.upMs, 50))
        .key("median_down_ms").value(percentile(c.downMs, 50))
        .key("xruns").value(c.mmXruns)
        .key("late_frames").value(c.mmLate)
        .key("callbacks").value(c.mmCallbacks)
        .key("client_xruns").value(static_cast<unsigned long long>(c.ourXruns))
        .key("xruns_during_steps").value(static_cast<unsigned long long>(c.measXruns))
        .key("server_idle_xruns").value(static_cast<unsigned long long>(c.serverIdleXruns))
        .key("ui_frames").value(c.uiFrames)
        .key("ui_fps").value(c.uiFps)
        .key("ui").value(c.uiLine)
        .key("level_spread_db").value(c.levelNoiseDb)
        .key("steps_by_pickup_cycle").beginArray();
    for (int v : c.pickups) j.value(v);
    j.endArray()
        .key("load_before").value(c.loadBefore)
        .key("load_after").value(c.loadAfter)
        .key("command").value(c.command)
        .key("latencies_ms").beginArray();
    for (double v : c.ms) j.value(v);
    j.endArray().key("steps_detail").beginArray();  // every step sent, measured or not
    for (const auto& s : c.results)
      j.beginObject()
          .key("to").value(s.up ? "0dB" : "low")
          .key("send_frame").value(s.sendFrame)
          .key("cycle_offset").value(static_cast<int>(std::fmod(s.sendFrame, c.buffer)))
          .key("latency_ms").value(1000.0 * s.latencySamples / rate)
          .key("pickup_cycle").value(s.pickup)
          .key("level_before_db").value(s.refDb)
          .key("level_after_db").value(s.finalDb)
          .endObject();
    j.endArray().endObject();
  }
  j.endArray().endObject();
  std::ofstream(out + ".json") << j.str() << "\n";
  std::printf("\nwritten: %s.txt, %s.json\n", out.c_str(), out.c_str());
  for (const auto& c : configs)
    if (!c.error.empty()) return 1;
  return 0;
}
