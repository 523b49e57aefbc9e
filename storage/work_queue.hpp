// The bounded hand-off between threads submitting work and the storage threads running it
// (the reader's pool, the writer's thread); not part of the storage API. Thread-safe.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <utility>
#include <vector>

namespace aibud::storage::detail {

template <class Item>
class work_queue {
 public:
  explicit work_queue(std::size_t capacity) : capacity_(capacity) {}
  work_queue(const work_queue&) = delete;
  work_queue& operator=(const work_queue&) = delete;

  // Queues `item` and wakes one taker. False, without queueing, when `capacity` items are
  // waiting or the queue is closed.
  bool try_push(Item item) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (closed_ || items_.size() >= capacity_) return false;
      items_.push_back(std::move(item));
    }
    wake_.notify_one();
    return true;
  }

  // Waits for work, then replaces `batch` with up to `max` (≥ 1) items, oldest first. False
  // once the queue is closed and drained: the taker's thread may end.
  bool take(std::vector<Item>& batch, std::size_t max) {
    batch.clear();  // the last batch's items are destroyed outside the lock
    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait(lock, [&] { return closed_ || !items_.empty(); });
    std::size_t n = std::min(items_.size(), max);
    for (std::size_t i = 0; i < n; ++i) {
      batch.push_back(std::move(items_.front()));
      items_.pop_front();
    }
    return n > 0;
  }

  // Refuses further pushes and wakes every taker; what is queued is still taken.
  void close() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      closed_ = true;
    }
    wake_.notify_all();
  }

 private:
  const std::size_t capacity_;

  // Protected by mutex_.
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Item> items_;
  bool closed_ = false;
};

}  // namespace aibud::storage::detail
