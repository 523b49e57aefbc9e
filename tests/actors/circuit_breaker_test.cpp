// The circuit breaker as plain C++: times are passed in, no actors, no clock.
#include "actors/circuit_breaker.hpp"

#include <doctest/doctest.h>

using namespace aibud::actors;
using state = circuit_breaker::state;

namespace {
breaker_settings three_failures() {
  breaker_settings s;
  s.failures = 3;
  s.cooldown = std::chrono::milliseconds(1000);
  return s;
}
}  // namespace

TEST_CASE("a breaker opens after N consecutive failures and holds calls back") {
  circuit_breaker b(three_failures());
  CHECK(b.allow(0));
  b.on_failure(10);
  b.on_failure(20);
  CHECK(b.current() == state::closed);
  CHECK(b.allow(30));
  b.on_failure(30);
  CHECK(b.current() == state::open);
  CHECK_FALSE(b.allow(31));
  CHECK_FALSE(b.allow(1029));
  CHECK(b.retry_at() == 1030);
}

TEST_CASE("a success between failures resets the count") {
  circuit_breaker b(three_failures());
  b.on_failure(1);
  b.on_failure(2);
  b.on_success();
  b.on_failure(3);
  b.on_failure(4);
  CHECK(b.current() == state::closed);
  CHECK(b.allow(5));
}

TEST_CASE("after the cooldown one probe goes, and its success closes the breaker") {
  circuit_breaker b(three_failures());
  for (int i = 0; i < 3; ++i) b.on_failure(0);
  CHECK(b.allow(1000));  // the probe
  CHECK(b.current() == state::half_open);
  CHECK_FALSE(b.allow(1001));  // a single probe at a time
  b.on_success();
  CHECK(b.current() == state::closed);
  CHECK(b.allow(1002));
  CHECK(b.allow(1003));
}

TEST_CASE("a failed probe opens the breaker again for another cooldown") {
  circuit_breaker b(three_failures());
  for (int i = 0; i < 3; ++i) b.on_failure(0);
  REQUIRE(b.allow(1500));
  b.on_failure(1600);
  CHECK(b.current() == state::open);
  CHECK_FALSE(b.allow(2599));
  CHECK(b.retry_at() == 2600);
  CHECK(b.allow(2600));
}

TEST_CASE("a probe that never reports lets another probe go after a cooldown") {
  circuit_breaker b(three_failures());
  for (int i = 0; i < 3; ++i) b.on_failure(0);
  REQUIRE(b.allow(1000));
  CHECK_FALSE(b.allow(1999));
  CHECK(b.allow(2000));
}

TEST_CASE("late failures of calls made before the breaker opened do not extend it") {
  circuit_breaker b(three_failures());
  for (int i = 0; i < 3; ++i) b.on_failure(0);
  b.on_failure(900);
  CHECK(b.retry_at() == 1000);
  CHECK(b.allow(1000));
}

TEST_CASE("a breaker set keeps one breaker per upstream") {
  breaker_set set(three_failures());
  for (int i = 0; i < 3; ++i) set.on_failure("evolution:1", 0);
  CHECK_FALSE(set.allow("evolution:1", 10));
  CHECK(set.allow("evolution:2", 10));
  CHECK(set.allow("ai", 10));
  CHECK(set.current("evolution:1") == state::open);
  CHECK(set.retry_at("evolution:1") == 1000);
}
