#include "JackHarness.h"

#include <sched.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "TestSupport.h"

namespace mmtest {

namespace {
void quiet(const char*) {}
// A performer's JACK runs realtime (-R) wherever the system allows it; the tests do the same
// so that their timing checks judge the instrument, not the kernel's scheduling of a
// non-realtime server on a busy machine. MM_TEST_JACK_REALTIME=0 forces the non-realtime path.
bool realtimeAllowed() {
  if (const char* env = std::getenv("MM_TEST_JACK_REALTIME")) return std::string(env) != "0";
  sched_param want{};
  want.sched_priority = 1;
  sched_param was{};
  const int oldPolicy = ::sched_getscheduler(0);
  ::sched_getparam(0, &was);
  if (::sched_setscheduler(0, SCHED_FIFO, &want) != 0) return false;
  ::sched_setscheduler(0, oldPolicy, &was);
  return true;
}

bool serverAnswers() {
  jack_set_error_function(quiet);
  jack_set_info_function(quiet);
  jack_status_t st;
  jack_client_t* c = jack_client_open("mm-probe", JackNoStartServer, &st);
  if (!c) return false;
  jack_client_close(c);
  return true;
}
}  // namespace

JackServer::JackServer(int rate, int period) : rate_(rate), period_(period) {
  static std::atomic<int> counter{0};
  name_ = "mmtest" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  logPath_ = tempDir() + "/jackd.log";
  ::setenv("JACK_DEFAULT_SERVER", name_.c_str(), 1);
  ::setenv("JACK_NO_AUDIO_RESERVATION", "1", 1);
  ::setenv("JACK_NO_START_SERVER", "1", 1);
  launch();
}

// jackd keeps a machine-wide table of running servers (8 slots, /dev/shm/jack-shm-registry)
// and frees a slot only when a server of the same name starts again. A server killed with
// SIGKILL (a crashed test, the watchdog) leaves its slot taken for good, and after eight
// such no JACK server can start on the machine ("Too many servers already active"). When
// no jackd is running at all, the table holds nothing alive: remove it and jackd's shared
// memory segments so that the next server starts clean.
static bool anyJackdRunning() {
#ifdef __linux__
  namespace fs = std::filesystem;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    std::ifstream comm(e.path() / "comm");
    std::string name;
    if (std::getline(comm, name) && (name == "jackd" || name == "jackdbus")) return true;
  }
  return false;
#else
  return true;  // elsewhere: never touch JACK's files
#endif
}

// libjack maps the table once per process, so this is done only before this process's
// first server (ctest runs each test case in a process of its own). Test processes may run
// side by side (the sanitizer stage runs ctest -j2): each holds a shared lock on
// /tmp/mm-test-jack.lock from its first server to its exit, and the table is removed only
// by a process that gets the lock exclusively, that is when no other test process is
// using JACK (removing it under another process's live clients crashes libjack there).
static void clearStaleJackRegistry() {
#ifdef __linux__
  static bool done = false;
  if (done) return;
  done = true;
  const int fd = ::open("/tmp/mm-test-jack.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) return;  // cannot coordinate: leave JACK's files alone
  if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
    if (!anyJackdRunning()) {
      namespace fs = std::filesystem;
      std::error_code ec;
      for (const auto& e : fs::directory_iterator("/dev/shm", ec)) {
        const std::string n = e.path().filename().string();
        if (n == "jack-shm-registry" || n.rfind("jack-", 0) == 0) fs::remove(e.path(), ec);
      }
    }
  }
  ::flock(fd, LOCK_SH);  // held (fd left open) until this process exits
#endif
}

void JackServer::launch() {
  ok_ = false;
  clearStaleJackRegistry();
  pid_ = ::fork();
  if (pid_ == 0) {
    mmtest::dieWithParent();
    const std::string r = std::to_string(rate_), p = std::to_string(period_);
    FILE* log = std::fopen(logPath_.c_str(), "a");
    if (log) {
      ::dup2(fileno(log), 1);
      ::dup2(fileno(log), 2);
    }
    const char* realtime = realtimeAllowed() ? "-R" : "-r";
    ::execlp("jackd", "jackd", "-n", name_.c_str(), realtime, "-d", "dummy", "-r", r.c_str(), "-p",
             p.c_str(), "-C", "2", "-P", "2", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  for (int i = 0; i < 100 && !ok_; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ok_ = serverAnswers();
  }
  // Clients can connect before the dummy backend has registered its ports; RtAudio lists
  // devices from those ports, so wait for them too.
  for (int i = 0; i < 100 && ok_ && !JackTestClient::portExists("system:playback_1"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

void JackServer::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int st = 0;
  ::waitpid(pid_, &st, 0);
  pid_ = -1;
  ok_ = false;
}

bool JackServer::restart() {
  kill9();
  launch();
  return ok_;
}

JackServer::~JackServer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int st = 0;
    for (int i = 0; i < 60; ++i) {
      if (::waitpid(pid_, &st, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &st, 0);
  }
}

std::string JackServer::log() const { return readFile(logPath_); }

JackTestClient::JackTestClient(const std::string& name, int outPorts, int inPorts, double maxSeconds, bool midiOut) {
  jack_status_t st;
  client_ = jack_client_open(name.c_str(), JackNoStartServer, &st);
  if (!client_) return;
  const long cap = static_cast<long>(maxSeconds * jack_get_sample_rate(client_));
  for (int i = 0; i < outPorts; ++i) {
    outs_.push_back(jack_port_register(client_, ("out" + std::to_string(i)).c_str(),
                                       JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0));
    signals_.emplace_back();
  }
  for (int i = 0; i < inPorts; ++i) {
    ins_.push_back(jack_port_register(client_, ("in" + std::to_string(i)).c_str(),
                                      JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0));
    rec_.emplace_back(cap, 0.f);
  }
  if (midiOut) midiOut_ = jack_port_register(client_, "midi_out", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
  jack_set_process_callback(client_, &JackTestClient::process, this);
  jack_set_xrun_callback(client_, &JackTestClient::onXrun, this);
  jack_activate(client_);
}

JackTestClient::~JackTestClient() {
  if (client_) {
    jack_deactivate(client_);
    jack_client_close(client_);
  }
}

int JackTestClient::rate() const { return static_cast<int>(jack_get_sample_rate(client_)); }
int JackTestClient::bufferSize() const { return static_cast<int>(jack_get_buffer_size(client_)); }

bool JackTestClient::connectOut(int port, const std::string& dest) {
  return jack_connect(client_, jack_port_name(outs_[port]), dest.c_str()) == 0;
}
bool JackTestClient::connectIn(const std::string& src, int port) {
  return jack_connect(client_, src.c_str(), jack_port_name(ins_[port])) == 0;
}

bool JackTestClient::portExists(const std::string& name) {
  jack_status_t st;
  jack_client_t* c = jack_client_open("mm-port-probe", JackNoStartServer, &st);
  if (!c) return false;
  const bool found = jack_port_by_name(c, name.c_str()) != nullptr;
  jack_client_close(c);
  return found;
}

void JackTestClient::play(int port, const std::vector<float>& signal) {
  pos_.store(-1);
  midiNext_ = 0;  // the process thread does not touch it while pos_ is negative
  signals_[port] = signal;
  recordLength_.store(std::min<long>(static_cast<long>(rec_.empty() ? signal.size() : rec_[0].size()),
                                     static_cast<long>(signal.size())));
  pos_.store(0);
}

bool JackTestClient::finished() const { return pos_.load() >= recordLength_.load(); }

void JackTestClient::waitFinished(double timeoutSeconds) const {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeoutSeconds);
  while (!finished() && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

std::vector<float> JackTestClient::recorded(int port) const {
  return std::vector<float>(rec_[port].begin(), rec_[port].begin() + std::min<long>(pos_.load(), rec_[port].size()));
}

int JackTestClient::onXrun(void* arg) {
  static_cast<JackTestClient*>(arg)->xruns_.fetch_add(1);
  return 0;
}

uint64_t serverOwnXruns(double seconds) {
  JackTestClient idle("quiet-check", 0, 0, 0.1);
  if (!idle.ok()) return 1;
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  return idle.xruns();
}

int JackTestClient::process(jack_nframes_t n, void* arg) {
  auto* self = static_cast<JackTestClient*>(arg);
  self->cycles_.fetch_add(1);
  const long pos = self->pos_.load();
  const long len = self->recordLength_.load();
  for (size_t p = 0; p < self->outs_.size(); ++p) {
    auto* buf = static_cast<float*>(jack_port_get_buffer(self->outs_[p], n));
    for (jack_nframes_t i = 0; i < n; ++i) {
      const long k = pos + static_cast<long>(i);
      buf[i] = (pos >= 0 && k < static_cast<long>(self->signals_[p].size())) ? self->signals_[p][k] : 0.f;
    }
  }
  if (self->midiOut_) {
    void* midi = jack_port_get_buffer(self->midiOut_, n);
    jack_midi_clear_buffer(midi);
    for (; pos >= 0 && self->midiNext_ < self->midi_.size() && self->midi_[self->midiNext_].frame < pos + static_cast<long>(n);
         ++self->midiNext_) {
      const MidiAt& e = self->midi_[self->midiNext_];
      const auto at = static_cast<jack_nframes_t>(std::max(0L, e.frame - pos));
      jack_midi_event_write(midi, at, e.bytes.data(), e.bytes.size());
    }
  }
  if (pos < 0 || pos >= len) return 0;
  for (size_t p = 0; p < self->ins_.size(); ++p) {
    const auto* buf = static_cast<const float*>(jack_port_get_buffer(self->ins_[p], n));
    for (jack_nframes_t i = 0; i < n && pos + static_cast<long>(i) < len; ++i) self->rec_[p][pos + i] = buf[i];
  }
  self->pos_.store(pos + static_cast<long>(n));
  return 0;
}

MusicmillProcess::MusicmillProcess(const std::string& args) {
  logPath_ = tempDir() + "/musicmill.log";
  pid_ = ::fork();
  if (pid_ == 0) {
    mmtest::dieWithParent();
    const std::string cmd = "exec " + binary() + " " + args + " > " + logPath_ + " 2>&1";
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
}

MusicmillProcess::~MusicmillProcess() {
  if (pid_ > 0) stop();
}

bool MusicmillProcess::waitForPorts(double timeoutSeconds) {
  // One probe client for the whole wait: opening and closing a JACK client every poll is
  // slow on a busy server and is the kind of churn libjack handles worst.
  jack_set_error_function(quiet);
  jack_set_info_function(quiet);
  jack_client_t* probe = nullptr;
  bool found = false;
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeoutSeconds);
  while (std::chrono::steady_clock::now() < until) {
    int st;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
      pid_ = -1;
      break;
    }
    if (!probe) {
      jack_status_t js;
      probe = jack_client_open("mm-port-probe", JackNoStartServer, &js);
    }
    if (probe && jack_port_by_name(probe, "musicmill:outport 0") && output().find("playing") != std::string::npos) {
      found = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (probe) jack_client_close(probe);
  return found;
}

int MusicmillProcess::stop() {
  if (pid_ <= 0) return status_;
  ::kill(pid_, SIGINT);
  int st = 0;
  for (int i = 0; i < 200; ++i) {
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      pid_ = -1;
      return status_ = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &st, 0);
  pid_ = -1;
  return status_ = -1;
}

std::string MusicmillProcess::output() const { return readFile(logPath_); }

double jsonNumber(const std::string& json, const std::string& key) {
  const std::string k = "\"" + key + "\":";
  const auto p = json.find(k);
  if (p == std::string::npos) return std::nan("");
  return std::strtod(json.c_str() + p + k.size(), nullptr);
}

std::string readFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace mmtest
