// SaveThread: the files a performer's actions write during the show (a learned MIDI
// control into the mapping file, a trigger profile after a take or a slider), written on a
// thread of their own so that the control thread never waits for a disk (an atomic write
// with fsync takes milliseconds, more on a busy or slow disk). Each save reports back to
// the control thread: its `then` runs there, in order, at the next App::tick (collect()).
// The autosave has a writer of its own (sets/AutosaveWriter).
//
// Threads: submit() and collect() on the control thread; flush() and the destructor on the
// main thread after the control thread stopped. The control thread holds the queue's
// mutex only to push or take a job, never while a file is written.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace mm {

class SaveThread {
 public:
  SaveThread();
  ~SaveThread();  // writes what is still queued, then ends
  SaveThread(const SaveThread&) = delete;
  SaveThread& operator=(const SaveThread&) = delete;

  // `save` runs on the save thread and returns "" or what went wrong; `then` gets that
  // on the control thread.
  void submit(std::function<std::string()> save, std::function<void(const std::string&)> then);
  // Control thread: runs `then` for every save that finished, in the order submitted.
  void collect();
  // Main thread, after the control thread stopped: waits for every queued save, then
  // collects.
  void flush();

 private:
  struct Job {
    std::function<std::string()> save;
    std::function<void(const std::string&)> then;
    std::string result;
  };
  void run();

  std::mutex mutex_;
  std::condition_variable wake_, idle_;
  std::deque<Job> queued_, finished_;
  bool busy_ = false, stopping_ = false;
  std::thread thread_;  // last: starts after everything above exists
};

}  // namespace mm
