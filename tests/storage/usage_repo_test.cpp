#include <doctest/doctest.h>

#include "base/time.hpp"
#include "storage/tenants_repo.hpp"
#include "storage/usage_repo.hpp"
#include "tests/storage/storage_fixture.hpp"

using namespace aibud;
using aibud::testing::storage_fixture;

namespace {
int64_t at(const char* iso) {
  return *time::parse_iso8601(iso);
}

int64_t make_tenant(SQLite::Database& db, int64_t limit, int anchor_day) {
  storage::tenants_repo tenants(db);
  auto t = tenants.create("acme", "standard", limit, anchor_day, "en");
  REQUIRE(t.ok());
  return t->id;
}
}  // namespace

TEST_CASE("the current period's row is created once with the tenant's limit") {
  storage_fixture f;
  int64_t id = make_tenant(f.db(), 100, 10);
  storage::usage_repo usage(f.db());
  auto u = usage.current(id, at("2026-03-20T12:00:00Z"));
  REQUIRE(u.ok());
  CHECK(u->period_start == at("2026-03-10T00:00:00Z"));
  CHECK(u->period_end == at("2026-04-10T00:00:00Z"));
  CHECK(u->credits_limit == 100);
  CHECK(u->left() == 100);
  auto again = usage.current(id, at("2026-04-09T23:00:00Z"));
  REQUIRE(again.ok());
  CHECK(again->period_start == u->period_start);
  CHECK(usage.history(id)->size() == 1);
  CHECK(usage.current(999, at("2026-03-20T12:00:00Z")).err().code == errc::not_found);
}

TEST_CASE("a grant adds to the current period only") {
  storage_fixture f;
  int64_t id = make_tenant(f.db(), 100, 1);
  storage::usage_repo usage(f.db());
  auto granted = usage.grant(id, 50, at("2026-03-05T00:00:00Z"));
  REQUIRE(granted.ok());
  CHECK(granted->granted == 50);
  CHECK(granted->left() == 150);
  auto next = usage.current(id, at("2026-04-05T00:00:00Z"));
  REQUIRE(next.ok());
  CHECK(next->granted == 0);
  CHECK(next->left() == 100);
  CHECK(usage.grant(id, 0, at("2026-03-05T00:00:00Z")).err().code == errc::invalid_argument);
}

TEST_CASE("a new limit applies from the current period on") {
  storage_fixture f;
  int64_t id = make_tenant(f.db(), 100, 1);
  storage::usage_repo usage(f.db());
  REQUIRE(usage.current(id, at("2026-02-05T00:00:00Z")).ok());
  auto now = usage.set_limit_from_current(id, 300, at("2026-03-05T00:00:00Z"));
  REQUIRE(now.ok());
  CHECK(now->credits_limit == 300);
  storage::tenants_repo tenants(f.db());
  CHECK(tenants.get(id)->credits_limit == 300);
  CHECK(usage.current(id, at("2026-04-05T00:00:00Z"))->credits_limit == 300);
  // The earlier period keeps the limit it had.
  CHECK(usage.current(id, at("2026-02-05T00:00:00Z"))->credits_limit == 100);
}

TEST_CASE("a reservation holds credits until it is committed or released") {
  storage_fixture f;
  int64_t id = make_tenant(f.db(), 10, 1);
  storage::usage_repo usage(f.db());
  int64_t now = at("2026-03-05T00:00:00Z");
  CHECK(*usage.reserve(id, 1, "ai", 6, now) == storage::reserve_outcome::reserved);
  CHECK(usage.current(id, now)->reserved == 6);
  CHECK(*usage.reserve(id, 2, "ai", 6, now) == storage::reserve_outcome::insufficient);
  CHECK(*usage.reserve(id, 1, "ai", 6, now) == storage::reserve_outcome::already_held);
  REQUIRE(usage.commit(id, 1, "ai", 4, now).ok());
  auto after = usage.current(id, now);
  CHECK(after->used == 4);
  CHECK(after->reserved == 0);
  CHECK(after->left() == 6);
  // Replaying the commit or releasing a settled reservation changes nothing.
  REQUIRE(usage.commit(id, 1, "ai", 4, now).ok());
  REQUIRE(usage.release(id, 1, "ai", now).ok());
  CHECK(usage.current(id, now)->used == 4);
  CHECK(usage.current(id, now)->reserved == 0);
}

TEST_CASE("a released reservation charges nothing") {
  storage_fixture f;
  int64_t id = make_tenant(f.db(), 10, 1);
  storage::usage_repo usage(f.db());
  int64_t now = at("2026-03-05T00:00:00Z");
  REQUIRE(*usage.reserve(id, 7, "ai", 5, now) == storage::reserve_outcome::reserved);
  REQUIRE(usage.release(id, 7, "ai", now).ok());
  auto u = usage.current(id, now);
  CHECK(u->used == 0);
  CHECK(u->reserved == 0);
  CHECK(usage.commit(id, 8, "ai", 1, now).err().code == errc::not_found);
}
