#include "runtime/heap_trimmer.hpp"

#include <malloc.h>
#include "base/thread_name.hpp"

namespace aibud::runtime {

heap_trimmer::heap_trimmer(std::chrono::milliseconds every, std::size_t keep) : every_(every) {
  // Also turns off glibc's dynamic mmap threshold, whose 128 KiB start suits us.
  mallopt(M_TRIM_THRESHOLD, static_cast<int>(keep));
  thread_ = std::thread([this] { run(); });
}

heap_trimmer::~heap_trimmer() {
  {
    std::lock_guard<std::mutex> lock{mutex_};
    stopping_ = true;
  }
  stop_cv_.notify_all();
  thread_.join();
}

std::size_t heap_trimmer::trims() const {
  std::lock_guard<std::mutex> lock{mutex_};
  return trims_;
}

void heap_trimmer::run() {
  name_this_thread("aibud-trim");
  std::unique_lock<std::mutex> lock{mutex_};
  while (!stop_cv_.wait_for(lock, every_, [this] { return stopping_; })) {
    lock.unlock();
    malloc_trim(0);
    lock.lock();
    ++trims_;
  }
}

}  // namespace aibud::runtime
