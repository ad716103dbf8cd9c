// Xvfb: a private X server for the UI tests and the UI benchmark (header-only). Xvfb picks
// a free display number itself (-displayfd) so tests and other users of this machine never
// collide; DISPLAY is set for the children started while it lives, and put back after.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "TestSupport.h"

namespace mmtest {

class Xvfb {
 public:
  Xvfb(int width, int height) {
    int fds[2];
    if (::pipe(fds) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      dieWithParent();
      ::close(fds[0]);
      const std::string screen = std::to_string(width) + "x" + std::to_string(height) + "x24";
      const std::string fd = std::to_string(fds[1]);
      const int devnull = ::open("/dev/null", O_WRONLY);
      ::dup2(devnull, 1);
      ::dup2(devnull, 2);
      ::execlp("Xvfb", "Xvfb", "-displayfd", fd.c_str(), "-screen", "0", screen.c_str(), "-nolisten", "tcp",
               static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(fds[1]);
    std::string number;
    char c;
    while (::read(fds[0], &c, 1) == 1 && c != '\n') number += c;  // written once it listens
    ::close(fds[0]);
    if (number.empty()) return;
    if (const char* old = std::getenv("DISPLAY")) oldDisplay_ = old;
    display_ = ":" + number;
    ::setenv("DISPLAY", display_.c_str(), 1);
    ok_ = true;
  }
  ~Xvfb() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int st = 0;
      ::waitpid(pid_, &st, 0);
    }
    if (oldDisplay_.empty()) ::unsetenv("DISPLAY");
    else ::setenv("DISPLAY", oldDisplay_.c_str(), 1);
  }
  Xvfb(const Xvfb&) = delete;
  Xvfb& operator=(const Xvfb&) = delete;
  bool ok() const { return ok_; }
  const std::string& display() const { return display_; }

 private:
  pid_t pid_ = -1;
  bool ok_ = false;
  std::string oldDisplay_, display_;
};

}  // namespace mmtest
