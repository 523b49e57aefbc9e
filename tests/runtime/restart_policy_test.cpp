#include "runtime/restart_policy.hpp"

#include <doctest/doctest.h>

using namespace aibud::runtime;
using std::chrono::milliseconds;

TEST_CASE("permanent children always restart, transient only after a crash, temporary never") {
  for (auto kind : {exit_kind::normal, exit_kind::crash, exit_kind::crash_in_job})
    CHECK(should_restart(restart_policy::permanent, kind));
  CHECK_FALSE(should_restart(restart_policy::transient, exit_kind::normal));
  CHECK(should_restart(restart_policy::transient, exit_kind::crash));
  CHECK(should_restart(restart_policy::transient, exit_kind::crash_in_job));
  for (auto kind : {exit_kind::normal, exit_kind::crash, exit_kind::crash_in_job})
    CHECK_FALSE(should_restart(restart_policy::temporary, kind));
}

TEST_CASE("only crashes outside a job count toward the restart limit") {
  CHECK(counts_toward_limit(exit_kind::crash));
  CHECK_FALSE(counts_toward_limit(exit_kind::crash_in_job));
  CHECK_FALSE(counts_toward_limit(exit_kind::normal));
}

TEST_CASE("backoff doubles from the base per attempt and stops at the maximum") {
  backoff_options o;
  o.base = milliseconds{100};
  o.max = milliseconds{1000};
  o.jitter = 0.5;
  CHECK(backoff_delay(o, 0, 0.0) == milliseconds{100});
  CHECK(backoff_delay(o, 1, 0.0) == milliseconds{200});
  CHECK(backoff_delay(o, 3, 0.0) == milliseconds{800});
  CHECK(backoff_delay(o, 4, 0.0) == milliseconds{1000});
  CHECK(backoff_delay(o, 5000, 0.0) == milliseconds{1000});
}

TEST_CASE("jitter takes at most its fraction off a delay") {
  backoff_options o;
  o.base = milliseconds{100};
  o.max = milliseconds{1000};
  o.jitter = 0.25;
  CHECK(backoff_delay(o, 1, 0.999) >= milliseconds{150});
  CHECK(backoff_delay(o, 1, 0.5) == milliseconds{175});
  o.jitter = 0;
  CHECK(backoff_delay(o, 1, 0.9) == milliseconds{200});
}

TEST_CASE("a restart window forgets events older than its length") {
  restart_window w{milliseconds{10000}};
  const auto t0 = steady_clock::time_point{} + std::chrono::hours(1);
  CHECK(w.add(t0) == 1);
  CHECK(w.add(t0 + milliseconds{4000}) == 2);
  CHECK(w.add(t0 + milliseconds{9999}) == 3);
  CHECK(w.count(t0 + milliseconds{10000}) == 2);
  CHECK(w.add(t0 + milliseconds{20000}) == 1);
}
