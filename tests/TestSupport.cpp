#include "TestSupport.h"

#include <sys/wait.h>
#ifdef __linux__
#include <signal.h>
#include <sys/prctl.h>
#endif

#include <array>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>

namespace fs = std::filesystem;

namespace mmtest {

std::string fixture(const std::string& name) { return std::string(MM_FIXTURE_DIR) + "/" + name; }
std::string sourcePath(const std::string& rel) { return std::string(MM_SOURCE_DIR) + "/" + rel; }
std::string binary() { return std::string(MM_BINARY_DIR) + "/musicmill"; }

std::string tempDir() {
  static std::atomic<int> counter{0};
  const fs::path p = fs::temp_directory_path() /
                     ("mm-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

namespace {

CommandResult runOnce(const std::string& command) {
  CommandResult r;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

}  // namespace

bool leakCheckerCrashed(const std::string& output) {
  // LeakSanitizer's stop-the-world tracer (it ptrace-attaches every thread at exit)
  // segfaults now and then in processes with many threads (Mesa's, LibTorch's, JACK's):
  // "Tracer caught signal 11 ... LeakSanitizer has encountered a fatal error". That is
  // the tool failing, not a finding: no leak was reported and the program's own exit
  // status is lost. Any real report (a leak, a memory error, undefined behaviour) is not
  // this.
  return output.find("Tracer caught signal") != std::string::npos &&
         output.find("LeakSanitizer has encountered a fatal error") != std::string::npos &&
         output.find("ERROR: LeakSanitizer: detected memory leaks") == std::string::npos &&
         output.find("ERROR: AddressSanitizer") == std::string::npos &&
         output.find("runtime error:") == std::string::npos;
}

CommandResult runCommand(const std::string& command) {
  CommandResult r = runOnce(command);
#if defined(MM_SANITIZED)
  // In a sanitized build only: a command whose exit the leak checker's own crash spoiled
  // is run again (twice at most), and the log says so.
  for (int again = 0; again < 2 && leakCheckerCrashed(r.output); ++again) {
    std::fprintf(stderr,
                 "test harness: LeakSanitizer's tracer crashed at the exit of `%s` (no leak reported, exit status "
                 "lost): running it again\n",
                 command.c_str());
    r = runOnce(command);
  }
#endif
  return r;
}

void dieWithParent() {
#ifdef __linux__
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
}

std::vector<float> sine(double freq, double rate, double seconds, float amp) {
  std::vector<float> x(static_cast<size_t>(seconds * rate));
  for (size_t i = 0; i < x.size(); ++i) x[i] = amp * static_cast<float>(std::sin(2 * M_PI * freq * i / rate));
  return x;
}

double zeroCrossingFrequency(const std::vector<float>& x, double rate) {
  const size_t a = x.size() / 4, b = 3 * x.size() / 4;
  long crossings = 0;
  size_t first = 0, last = 0;
  for (size_t i = a + 1; i < b; ++i) {
    if ((x[i - 1] < 0.f) != (x[i] < 0.f)) {
      if (!crossings) first = i;
      last = i;
      ++crossings;
    }
  }
  if (crossings < 2) return 0.0;
  return (crossings - 1) / 2.0 / ((last - first) / rate);
}

double rms(const std::vector<float>& x, size_t from, size_t to) {
  if (to == 0 || to > x.size()) to = x.size();
  double s = 0;
  for (size_t i = from; i < to; ++i) s += double(x[i]) * x[i];
  return to > from ? std::sqrt(s / (to - from)) : 0.0;
}

std::vector<float> clicks(const std::vector<double>& times, double rate, double seconds, float amp,
                          unsigned seed) {
  std::vector<float> x(static_cast<size_t>(seconds * rate), 0.f);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  for (double t : times) {
    const size_t s = static_cast<size_t>(t * rate);
    for (size_t i = 0; i < static_cast<size_t>(0.06 * rate) && s + i < x.size(); ++i)
      x[s + i] += amp * u(rng) * std::exp(-static_cast<float>(i) / static_cast<float>(0.012 * rate));
  }
  return x;
}

}  // namespace mmtest
