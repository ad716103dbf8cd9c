// See SaveThread.h.
#include "SaveThread.h"

#include <exception>
#include <utility>

namespace mm {

SaveThread::SaveThread() : thread_([this] { run(); }) {}

SaveThread::~SaveThread() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void SaveThread::submit(std::function<std::string()> save, std::function<void(const std::string&)> then) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queued_.push_back(Job{std::move(save), std::move(then), {}});
  }
  wake_.notify_one();
}

void SaveThread::collect() {
  std::deque<Job> done;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    done.swap(finished_);
  }
  for (Job& j : done)
    if (j.then) j.then(j.result);
}

void SaveThread::flush() {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    idle_.wait(lock, [this] { return queued_.empty() && !busy_; });
  }
  collect();
}

void SaveThread::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !queued_.empty(); });
    if (queued_.empty()) return;  // stopping, and nothing left to write
    Job job = std::move(queued_.front());
    queued_.pop_front();
    busy_ = true;
    lock.unlock();
    try {
      job.result = job.save ? job.save() : std::string();
    } catch (const std::exception& e) {
      job.result = e.what();
    }
    lock.lock();
    busy_ = false;
    finished_.push_back(std::move(job));
    idle_.notify_all();
  }
}

}  // namespace mm
