// The rules of a one-for-one supervisor as plain values and functions: which exits restart
// a child, how long to wait before a restart, and when the supervisor gives up. No CAF here,
// so the rules are tested without an actor system; runtime/supervisor.cpp applies them.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <string_view>

namespace aibud::runtime {

using steady_clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Erlang's vocabulary: permanent children always come back, transient ones only after a
// crash, temporary ones never.
enum class restart_policy { permanent, transient, temporary };
std::string_view to_string(restart_policy p);

// How a child ended, as its supervisor classifies the exit reason.
enum class exit_kind {
  normal,        // finished without error
  crash,         // any other reason: counts toward the restart-intensity limit
  crash_in_job,  // crashed inside a job (its attempt is already counted): does not count
};

bool should_restart(restart_policy p, exit_kind k);
// Whether this exit counts toward the supervisor's restart-intensity limit.
bool counts_toward_limit(exit_kind k);

struct backoff_options {
  milliseconds base{100};   // delay before the first restart of a calm child
  milliseconds max{30000};  // no delay exceeds this
  double jitter = 0.25;     // up to this fraction of a delay is taken off at random
};

// The delay before a child's restart after `attempt` earlier restarts of it in the current
// window: min(max, base * 2^attempt), less `jitter * random01` of it (random01 in [0, 1)).
// Jitter spreads the restarts of siblings that crashed together.
milliseconds backoff_delay(const backoff_options& o, std::size_t attempt, double random01);

struct intensity_options {
  std::size_t max_restarts = 5;  // more counted crashes than this within `window`: give up
  milliseconds window{10000};
};

struct supervision_limits {
  backoff_options backoff;
  intensity_options intensity;
};

// Events within a sliding time window. A supervisor keeps one for its counted crashes
// (intensity) and one per child for all its restarts (backoff attempt).
class restart_window {
 public:
  explicit restart_window(milliseconds window) : window_(window) {}

  // Records an event at `now`; returns the number of events in the window ending at `now`,
  // this one included.
  std::size_t add(steady_clock::time_point now);
  std::size_t count(steady_clock::time_point now);

 private:
  void expire(steady_clock::time_point now);

  milliseconds window_;
  std::deque<steady_clock::time_point> times_;
};

}  // namespace aibud::runtime
