#include "actors/circuit_breaker.hpp"

#include <algorithm>

#include "base/log.hpp"

namespace aibud::actors {

circuit_breaker::circuit_breaker(breaker_settings s) : s_(s) {
  s_.failures = std::max<int64_t>(s_.failures, 1);
}

bool circuit_breaker::allow(int64_t now) {
  switch (state_) {
    case state::closed:
      return true;
    case state::open:
    case state::half_open:
      if (now < until_) return false;
      // Cooldown over (or the last probe never answered): this call is the probe.
      state_ = state::half_open;
      until_ = now + s_.cooldown.count();
      return true;
  }
  return true;
}

void circuit_breaker::on_success() {
  state_ = state::closed;
  failures_ = 0;
  until_ = 0;
}

void circuit_breaker::on_failure(int64_t now) {
  // Calls that went before the breaker opened may still report: they do not extend it.
  if (state_ == state::open) return;
  ++failures_;
  if (state_ == state::half_open || failures_ >= s_.failures) {
    state_ = state::open;
    until_ = now + s_.cooldown.count();
  }
}

const char* to_string(circuit_breaker::state s) {
  switch (s) {
    case circuit_breaker::state::closed:
      return "closed";
    case circuit_breaker::state::open:
      return "open";
    case circuit_breaker::state::half_open:
      return "half_open";
  }
  return "closed";
}

circuit_breaker& breaker_set::at(const std::string& key) {
  auto it = breakers_.find(key);
  if (it == breakers_.end()) it = breakers_.emplace(key, circuit_breaker(s_)).first;
  return it->second;
}

bool breaker_set::allow(const std::string& key, int64_t now) {
  std::lock_guard<std::mutex> lock(mutex_);
  return at(key).allow(now);
}

void breaker_set::on_success(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  circuit_breaker& b = at(key);
  if (b.current() != circuit_breaker::state::closed)
    log::info("circuit breaker closed", {{"upstream", key}});
  b.on_success();
}

void breaker_set::on_failure(const std::string& key, int64_t now) {
  std::lock_guard<std::mutex> lock(mutex_);
  circuit_breaker& b = at(key);
  const bool was_open = b.current() == circuit_breaker::state::open;
  b.on_failure(now);
  if (!was_open && b.current() == circuit_breaker::state::open)
    log::warn("circuit breaker opened", {{"upstream", key}, {"until", b.retry_at()}});
}

int64_t breaker_set::retry_at(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  return at(key).retry_at();
}

circuit_breaker::state breaker_set::current(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  return at(key).current();
}

}  // namespace aibud::actors
