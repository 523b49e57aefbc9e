#include "runtime/restart_policy.hpp"

#include <algorithm>
#include <cmath>

namespace aibud::runtime {

std::string_view to_string(restart_policy p) {
  switch (p) {
    case restart_policy::permanent:
      return "permanent";
    case restart_policy::transient:
      return "transient";
    case restart_policy::temporary:
      return "temporary";
  }
  return "unknown";
}

bool should_restart(restart_policy p, exit_kind k) {
  switch (p) {
    case restart_policy::permanent:
      return true;
    case restart_policy::transient:
      return k != exit_kind::normal;
    case restart_policy::temporary:
      return false;
  }
  return false;
}

bool counts_toward_limit(exit_kind k) {
  return k == exit_kind::crash;
}

milliseconds backoff_delay(const backoff_options& o, std::size_t attempt, double random01) {
  // Doubling stops once past the cap, so a long crash history cannot overflow the shift.
  double delay = static_cast<double>(o.base.count());
  const double cap = static_cast<double>(std::max(o.max, o.base).count());
  for (std::size_t i = 0; i < attempt && delay < cap; ++i) delay *= 2;
  delay = std::min(delay, cap);
  const double jitter = std::clamp(o.jitter, 0.0, 1.0) * std::clamp(random01, 0.0, 1.0);
  return milliseconds{static_cast<milliseconds::rep>(std::llround(delay * (1.0 - jitter)))};
}

std::size_t restart_window::add(steady_clock::time_point now) {
  expire(now);
  times_.push_back(now);
  return times_.size();
}

std::size_t restart_window::count(steady_clock::time_point now) {
  expire(now);
  return times_.size();
}

void restart_window::expire(steady_clock::time_point now) {
  while (!times_.empty() && now - times_.front() >= window_) times_.pop_front();
}

}  // namespace aibud::runtime
