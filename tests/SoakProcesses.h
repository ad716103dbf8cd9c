// The processes and sockets around the soak (test and bench code, one includer:
// SoakDriver.cpp): a CPU hog, the instrument itself, an OSC client, and reading the
// instrument's log.
#pragma once

#include <lo/lo.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "TestSupport.h"

namespace mmtest::soak {

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

}  // namespace mmtest::soak
