#include "AtomicFile.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace fs = std::filesystem;

namespace mm {

std::string writeTextAtomically(const std::string& path, const std::string& text) {
  // A unique name per process and call: autosave (main thread) and a save from the UI, or
  // two musicmill processes sharing an autosave folder, never write the same temp file.
  static std::atomic<unsigned> counter{0};
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  const auto fail = [&](const std::string& what, int err) {
    ::unlink(tmp.c_str());
    return "cannot save '" + path + "': " + what + ": " + std::strerror(err) + " (the previous file is unchanged)";
  };
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return "cannot save '" + path + "': cannot create a file in its folder: " + std::strerror(errno);
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return fail("write failed", err);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    return fail("fsync failed", err);
  }
  if (::close(fd) != 0) return fail("close failed", errno);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail("rename failed", errno);
  // The rename is durable only once the folder entry is on disk.
  fs::path dir = fs::path(path).parent_path();
  if (dir.empty()) dir = ".";
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return "";
}

}  // namespace mm
