#include <SQLiteCpp/Database.h>
#include <doctest/doctest.h>

#include "storage/database.hpp"
#include "storage/jobs_repo.hpp"
#include "storage/migrations.hpp"
#include "tests/storage/storage_fixture.hpp"

using namespace aibud;
using aibud::testing::dump_schema;
using aibud::testing::temp_dir;

namespace {

std::unique_ptr<SQLite::Database> open_raw(const std::string& path) {
  storage::db_options options;
  options.path = path;
  auto db = storage::open_database(options);
  REQUIRE(db.ok());
  return std::move(*db);
}

std::vector<storage::migration> small_list() {
  return {
      {1, "things", "CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT)", "DROP TABLE things"},
      {2, "things_name", "CREATE INDEX things_name ON things (name)", "DROP INDEX things_name"},
  };
}

}  // namespace

TEST_CASE("migrating up, down to 0 and up again leaves the same schema") {
  temp_dir dir;
  auto db = open_raw(dir.file("a.db"));
  auto up = storage::migrate_up(*db);
  REQUIRE(up.ok());
  CHECK(*up == storage::latest_version());
  std::string first = dump_schema(*db);
  CHECK(first.find("table jobs:") != std::string::npos);
  CHECK(first.find("index jobs_status_not_before:") != std::string::npos);
  CHECK(first.find("table job_payloads:") != std::string::npos);

  auto down = storage::migrate_down(*db, 0);
  REQUIRE(down.ok());
  CHECK(*down == 0);
  CHECK(dump_schema(*db).find("table tenants:") == std::string::npos);

  REQUIRE(storage::migrate_up(*db).ok());
  CHECK(dump_schema(*db) == first);
}

TEST_CASE("migration status lists applied and pending versions") {
  temp_dir dir;
  auto db = open_raw(dir.file("a.db"));
  REQUIRE(storage::migrate_up(*db, 1).ok());
  auto st = storage::migration_status(*db);
  REQUIRE(st.ok());
  CHECK(st->current == 1);
  CHECK(st->latest == storage::latest_version());
  REQUIRE(st->applied.size() == 1);
  CHECK(st->applied[0].version == 1);
  CHECK(st->applied[0].applied_at > 0);
  REQUIRE(st->pending.size() == static_cast<std::size_t>(storage::latest_version() - 1));
  CHECK(st->pending[0].version == 2);
}

TEST_CASE("a failing migration leaves the schema at the version before it") {
  temp_dir dir;
  auto db = open_raw(dir.file("a.db"));
  auto list = small_list();
  // The broken migration's first statement succeeds; the rollback must undo it too.
  list.push_back({3, "broken", "CREATE TABLE half_done (x); CREATE TABLE things (dup)", ""});
  auto up = storage::migrate_up(*db, -1, list);
  REQUIRE_FALSE(up.ok());
  CHECK(up.err().message.find("migration 3 (broken)") != std::string::npos);
  auto version = storage::current_version(*db);
  REQUIRE(version.ok());
  CHECK(*version == 2);
  CHECK_FALSE(db->tableExists("half_done"));
  CHECK(db->tableExists("things"));
}

TEST_CASE("migrating down stops at the version asked for") {
  temp_dir dir;
  auto db = open_raw(dir.file("a.db"));
  REQUIRE(storage::migrate_up(*db, -1, small_list()).ok());
  auto down = storage::migrate_down(*db, 1, small_list());
  REQUIRE(down.ok());
  CHECK(*down == 1);
  CHECK(db->tableExists("things"));
  CHECK(dump_schema(*db).find("things_name") == std::string::npos);
}

TEST_CASE("migrating to a version that does not exist is an invalid argument") {
  temp_dir dir;
  auto db = open_raw(dir.file("a.db"));
  auto up = storage::migrate_up(*db, storage::latest_version() + 1);
  REQUIRE_FALSE(up.ok());
  CHECK(up.err().code == errc::invalid_argument);
  auto down = storage::migrate_down(*db, -1);
  REQUIRE_FALSE(down.ok());
  CHECK(down.err().code == errc::invalid_argument);
}

TEST_CASE("migration 3 rebuilds jobs and the ledger: payloads move beside the rows and back") {
  temp_dir dir;
  auto db = open_raw(dir.file("a.db"));
  REQUIRE(storage::migrate_up(*db, 2).ok());
  db->exec(
      "INSERT INTO tenants (id, name, anchor_day, created_at, updated_at) VALUES (1, 't', 1, 0, "
      "0);"
      "INSERT INTO instances (id, name, tenant_id, kind, created_at, updated_at) "
      "VALUES (1, 'i', 1, 'sandbox', 0, 0);"
      "INSERT INTO jobs (id, instance_id, event, payload, status, created_at, updated_at) VALUES "
      "(7, 1, 'messages.upsert', '{\"n\":7}', 'done', 0, 0), "
      "(9, 1, 'messages.upsert', '{\"n\":9}', 'pending', 0, 0);"
      "INSERT INTO credit_ledger (id, tenant_id, period_start, job_id, step, kind, amount, "
      "created_at) VALUES (4, 1, 0, 7, 'reserve', 'reserve', 2, 0)");

  REQUIRE(storage::migrate_up(*db).ok());
  const std::string fresh_schema = [] {
    temp_dir other;
    auto fresh = open_raw(other.file("b.db"));
    REQUIRE(storage::migrate_up(*fresh).ok());
    return dump_schema(*fresh);
  }();
  CHECK(dump_schema(*db) == fresh_schema);
  storage::jobs_repo jobs(*db);
  auto seven = jobs.get(7);
  REQUIRE(seven.ok());
  CHECK(seven->payload == R"({"n":7})");
  CHECK(seven->status == "done");
  auto nine = jobs.payload(9);
  REQUIRE(nine.ok());
  CHECK(*nine == R"({"n":9})");
  auto bare = jobs.get_without_payload(7);
  REQUIRE(bare.ok());
  CHECK(bare->payload.empty());
  CHECK(bare->event == "messages.upsert");
  CHECK(db->execAndGet("SELECT amount FROM credit_ledger WHERE id = 4").getInt() == 2);
  // The CHECKs written with OR still refuse what the IN lists refused.
  CHECK_THROWS(db->exec("UPDATE jobs SET status = 'bogus' WHERE id = 7"));
  CHECK_THROWS(db->exec("UPDATE credit_ledger SET kind = 'bogus' WHERE id = 4"));
  // Deleting a job takes its payload along (the reference followed the rename).
  REQUIRE(db->execAndGet("PRAGMA foreign_keys").getInt() == 1);
  db->exec("DELETE FROM jobs WHERE id = 9");
  CHECK(db->execAndGet("SELECT count(*) FROM job_payloads").getInt() == 1);

  REQUIRE(storage::migrate_down(*db, 2).ok());
  CHECK(db->execAndGet("SELECT payload FROM jobs WHERE id = 7").getString() == R"({"n":7})");
  CHECK(db->execAndGet("SELECT count(*) FROM credit_ledger").getInt() == 1);
  CHECK_FALSE(db->tableExists("job_payloads"));
  CHECK_THROWS(db->exec("UPDATE jobs SET status = 'bogus' WHERE id = 7"));
  REQUIRE(storage::migrate_up(*db).ok());
  CHECK(dump_schema(*db) == fresh_schema);
}
