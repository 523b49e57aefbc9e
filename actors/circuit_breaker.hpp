// Circuit breakers per upstream (ARCHITECTURE §3.7): one per AI provider, one per Evolution
// instance. Closed: calls go. After `failures` consecutive failures: open, calls wait. Once
// `cooldown` has passed: half-open, a single probe goes; its success closes the breaker, its
// failure opens it again for another cooldown. Plain C++, times in ms UTC passed in.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace aibud::actors {

struct breaker_settings {
  int64_t failures = 5;                       // breaker.failures
  std::chrono::milliseconds cooldown{30000};  // breaker.cooldown
};

// Not thread-safe: breaker_set locks around it.
class circuit_breaker {
 public:
  enum class state { closed, open, half_open };

  explicit circuit_breaker(breaker_settings s = {});

  // Whether a call may go at `now`. An open breaker past its cooldown turns half-open and lets
  // this one call through as the probe; further calls wait for the probe's outcome (or, if the
  // probe never reports, for another cooldown).
  bool allow(int64_t now);
  void on_success();
  void on_failure(int64_t now);

  state current() const { return state_; }
  // When a waiting call should ask again (meaningful while allow() says no).
  int64_t retry_at() const { return until_; }

 private:
  breaker_settings s_;
  state state_ = state::closed;
  int64_t failures_ = 0;
  int64_t until_ = 0;  // open: end of cooldown; half-open: when an unanswered probe expires
};

const char* to_string(circuit_breaker::state s);

// The breakers of one process, by upstream key ("ai", "evolution:<instance id>").
// Thread-safe.
class breaker_set {
 public:
  explicit breaker_set(breaker_settings s = {}) : s_(s) {}

  bool allow(const std::string& key, int64_t now);
  void on_success(const std::string& key);
  void on_failure(const std::string& key, int64_t now);
  int64_t retry_at(const std::string& key);
  circuit_breaker::state current(const std::string& key);

 private:
  circuit_breaker& at(const std::string& key);

  breaker_settings s_;
  std::mutex mutex_;
  std::map<std::string, circuit_breaker> breakers_;
};

}  // namespace aibud::actors
