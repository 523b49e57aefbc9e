#include <doctest/doctest.h>

#include "base/time.hpp"

using namespace aibud;

namespace {
int64_t at(const char* iso) {
  auto ms = time::parse_iso8601(iso);
  REQUIRE_MESSAGE(ms.has_value(), iso);
  return *ms;
}
}  // namespace

TEST_CASE("an instant prints as ISO 8601 UTC and parses back") {
  CHECK(time::to_iso8601(0) == "1970-01-01T00:00:00Z");
  CHECK(time::to_iso8601(1795600231000) == "2026-11-25T09:50:31Z");
  CHECK(at("2026-11-25T09:50:31Z") == 1795600231000);
  CHECK(time::to_iso8601(at("2024-02-29T23:59:59Z")) == "2024-02-29T23:59:59Z");
  CHECK(time::to_iso8601(-1) == "1969-12-31T23:59:59Z");
}

TEST_CASE("parsing honours fractions and zone offsets") {
  CHECK(at("2026-11-25T09:50:31.250Z") == 1795600231250);
  CHECK(at("2026-11-25T06:50:31-03:00") == 1795600231000);
  CHECK(at("2026-11-25T10:50:31+0100") == 1795600231000);
  CHECK(at("2026-11-25T09:50:31") == 1795600231000);
  CHECK(at("2026-11-25") == at("2026-11-25T00:00:00Z"));
}

TEST_CASE("parsing rejects malformed text and impossible dates") {
  CHECK_FALSE(time::parse_iso8601(""));
  CHECK_FALSE(time::parse_iso8601("2026-13-01T00:00:00Z"));
  CHECK_FALSE(time::parse_iso8601("2025-02-29T00:00:00Z"));
  CHECK_FALSE(time::parse_iso8601("2026-11-25T24:00:00Z"));
  CHECK_FALSE(time::parse_iso8601("2026-11-25T09:50:31Zjunk"));
  CHECK_FALSE(time::parse_iso8601("26-11-25"));
  CHECK(time::parse_iso8601("2024-02-29T00:00:00Z"));
}

TEST_CASE("civil dates convert to days and back across eras") {
  CHECK(time::days_from_civil({1970, 1, 1}) == 0);
  CHECK(time::days_from_civil({2000, 3, 1}) == 11017);
  CHECK(time::days_from_civil({1969, 12, 31}) == -1);
  for (int64_t d = -800000; d < 800000; d += 997) {
    time::civil_date c = time::civil_from_days(d);
    REQUIRE(time::days_from_civil(c) == d);
  }
  CHECK(time::days_in_month(2024, 2) == 29);
  CHECK(time::days_in_month(2100, 2) == 28);
  CHECK(time::days_in_month(2000, 2) == 29);
}

TEST_CASE("a billing period starts at 00:00 UTC on the anchor day and lasts a month") {
  auto p = time::billing_period(15, at("2026-03-20T12:00:00Z"));
  CHECK(p.start_ms == at("2026-03-15T00:00:00Z"));
  CHECK(p.end_ms == at("2026-04-15T00:00:00Z"));

  SUBCASE("before the anchor day it is the previous month's period") {
    auto q = time::billing_period(15, at("2026-03-14T23:59:59.999Z"));
    CHECK(q.start_ms == at("2026-02-15T00:00:00Z"));
    CHECK(q.end_ms == at("2026-03-15T00:00:00Z"));
  }
  SUBCASE("the anchor instant itself opens the new period") {
    auto q = time::billing_period(15, at("2026-03-15T00:00:00Z"));
    CHECK(q.start_ms == at("2026-03-15T00:00:00Z"));
  }
}

TEST_CASE("billing periods roll over the year") {
  auto december = time::billing_period(10, at("2026-12-31T08:00:00Z"));
  CHECK(december.start_ms == at("2026-12-10T00:00:00Z"));
  CHECK(december.end_ms == at("2027-01-10T00:00:00Z"));
  auto january = time::billing_period(10, at("2027-01-05T08:00:00Z"));
  CHECK(january.start_ms == at("2026-12-10T00:00:00Z"));
  CHECK(january.end_ms == at("2027-01-10T00:00:00Z"));
}

TEST_CASE("anchor day 28 works through February in leap and common years") {
  auto common = time::billing_period(28, at("2026-02-28T00:00:00Z"));
  CHECK(common.start_ms == at("2026-02-28T00:00:00Z"));
  CHECK(common.end_ms == at("2026-03-28T00:00:00Z"));
  auto leap = time::billing_period(28, at("2024-02-29T12:00:00Z"));
  CHECK(leap.start_ms == at("2024-02-28T00:00:00Z"));
  CHECK(leap.end_ms == at("2024-03-28T00:00:00Z"));
  auto early_march = time::billing_period(28, at("2026-03-01T00:00:00Z"));
  CHECK(early_march.start_ms == at("2026-02-28T00:00:00Z"));
}

TEST_CASE("a new tenant's default anchor day is today capped at 28") {
  CHECK(time::default_anchor_day(at("2026-01-31T10:00:00Z")) == 28);
  CHECK(time::default_anchor_day(at("2026-01-05T10:00:00Z")) == 5);
}
