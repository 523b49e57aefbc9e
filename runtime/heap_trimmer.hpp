// How the server's heap gives memory back to the system. glibc's default hands the top of a
// thread's arena back on the free that leaves more than 128 KiB there, so a busy server calls
// madvise (and shoots down TLBs on every core) many times a second for memory it wants again a
// moment later. While a heap_trimmer lives, frees keep up to `keep` per arena and a thread of
// its own gives back whatever is free once every `every`, so an idle server still shrinks.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <thread>

namespace aibud::runtime {

class heap_trimmer {
 public:
  heap_trimmer(std::chrono::milliseconds every, std::size_t keep);
  ~heap_trimmer();  // stops the thread (the threshold stays: other threads may still free)
  heap_trimmer(const heap_trimmer&) = delete;
  heap_trimmer& operator=(const heap_trimmer&) = delete;

  // Number of trims done so far.
  std::size_t trims() const;

 private:
  void run();

  const std::chrono::milliseconds every_;
  mutable std::mutex mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;  // GUARDED_BY(mutex_)
  std::size_t trims_ = 0;  // GUARDED_BY(mutex_)
  std::thread thread_;
};

}  // namespace aibud::runtime
