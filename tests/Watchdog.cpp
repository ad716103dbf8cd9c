// A watchdog for every test case. A test that waits on another process (a JACK server, the
// instrument, an X server) can block inside a library call that has no timeout of its own:
// libjack's client calls wait on the server without limit, and a JACK server that stalls
// under an xrun storm on a busy machine can leave a test waiting until ctest kills it, with
// nothing said about where. The watchdog turns that into a clear failure:
//   - after MM_TEST_WATCHDOG_S seconds (default 300) in one test case it names the test and
//     kills the test's child processes (and theirs), so that blocked calls return with an
//     error and the test fails with its own messages;
//   - if the test is still stuck 60 s later, it says so and ends the process with status 70.
#define CATCH_CONFIG_EXTERNAL_INTERFACES  // for the listener below
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

// Direct children of `parent`, read from /proc (Linux; elsewhere nothing is killed and the
// watchdog only reports and ends the process).
std::vector<pid_t> childrenOf(pid_t parent) {
  std::vector<pid_t> kids;
#ifdef __linux__
  DIR* proc = ::opendir("/proc");
  if (!proc) return kids;
  while (dirent* e = ::readdir(proc)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0) continue;
    std::ifstream stat("/proc/" + std::string(e->d_name) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // pid (comm) state ppid ...; comm may contain spaces, so parse after the last ')'.
    const auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 1));
    char state = 0;
    long ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent) kids.push_back(pid);
  }
  ::closedir(proc);
#else
  (void)parent;
#endif
  return kids;
}

void killTree(pid_t pid) {
  for (pid_t kid : childrenOf(pid)) killTree(kid);
  if (pid != ::getpid()) ::kill(pid, SIGKILL);
}

class Watchdog {
 public:
  static Watchdog& instance() {
    // Never destroyed: its detached thread waits on it until the process ends (destroying
    // the condition variable under that wait is a race; ThreadSanitizer found it).
    static Watchdog* w = new Watchdog;
    return *w;
  }
  void arm(const std::string& name) {
    std::lock_guard<std::mutex> lock(m_);
    name_ = name;
    started_ = std::chrono::steady_clock::now();
    armed_ = true;
    fired_ = false;
    cv_.notify_all();
  }
  void disarm() {
    std::lock_guard<std::mutex> lock(m_);
    armed_ = false;
    cv_.notify_all();
  }

 private:
  Watchdog() {
    if (const char* env = std::getenv("MM_TEST_WATCHDOG_S")) limit_ = std::max(1.0, std::atof(env));
    std::thread([this] { run(); }).detach();
  }
  void run() {
    std::unique_lock<std::mutex> lock(m_);
    for (;;) {
      cv_.wait_for(lock, std::chrono::seconds(1));
      if (!armed_) continue;
      const double elapsed =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
      if (!fired_ && elapsed > limit_) {
        fired_ = true;
        std::fprintf(stderr,
                     "\nwatchdog: test case \"%s\" has run %.0f s (limit %.0f s, MM_TEST_WATCHDOG_S); "
                     "killing its child processes (JACK server, instrument) so that it fails instead of hanging\n",
                     name_.c_str(), elapsed, limit_);
        std::fflush(stderr);
        killTree(::getpid());
      } else if (fired_ && elapsed > limit_ + 60) {
        std::fprintf(stderr, "\nwatchdog: test case \"%s\" is still stuck 60 s after its children were killed; "
                             "ending the test process\n", name_.c_str());
        std::fflush(stderr);
        std::_Exit(70);
      }
    }
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::string name_;
  std::chrono::steady_clock::time_point started_;
  bool armed_ = false, fired_ = false;
  double limit_ = 300;
};

struct WatchdogListener : Catch::TestEventListenerBase {
  using TestEventListenerBase::TestEventListenerBase;
  void testCaseStarting(Catch::TestCaseInfo const& info) override { Watchdog::instance().arm(info.name); }
  void testCaseEnded(Catch::TestCaseStats const&) override { Watchdog::instance().disarm(); }
};

}  // namespace

CATCH_REGISTER_LISTENER(WatchdogListener)
