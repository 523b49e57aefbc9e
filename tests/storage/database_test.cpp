#include <SQLiteCpp/Database.h>
#include <doctest/doctest.h>
#include <sys/stat.h>

#include "storage/database.hpp"
#include "storage/migrations.hpp"
#include "storage/tenants_repo.hpp"
#include "tests/storage/storage_fixture.hpp"

using namespace aibud;
using aibud::testing::temp_dir;

namespace {

storage::db_options options_for(const std::string& path) {
  storage::db_options options;
  options.path = path;
  return options;
}

std::vector<storage::migration> one() {
  return {{1, "a", "CREATE TABLE a (x)", "DROP TABLE a"}};
}
std::vector<storage::migration> two() {
  auto list = one();
  list.push_back({2, "b", "CREATE TABLE b (x)", "DROP TABLE b"});
  return list;
}

// The permission bits of a file.
unsigned mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

}  // namespace

TEST_CASE("a new database file gets the latest schema") {
  temp_dir dir;
  auto db = storage::open_ready(options_for(dir.file("new.db")));
  REQUIRE(db.ok());
  auto version = storage::current_version(**db);
  REQUIRE(version.ok());
  CHECK(*version == storage::latest_version());
  CHECK((*db)->tableExists("tenants"));
  CHECK((*db)->tableExists("jobs"));
}

TEST_CASE("a new database file is created with mode 0600 even under a permissive umask") {
  temp_dir dir;
  mode_t old = ::umask(0);
  auto db = storage::open_ready(options_for(dir.file("private.db")));
  ::umask(old);
  REQUIRE(db.ok());
  CHECK(mode_of(dir.file("private.db")) == 0600);
  CHECK(mode_of(dir.file("private.db-wal")) == 0600);
}

TEST_CASE("the database runs in WAL mode with foreign keys on") {
  temp_dir dir;
  auto db = storage::open_ready(options_for(dir.file("wal.db")));
  REQUIRE(db.ok());
  CHECK((*db)->execAndGet("PRAGMA journal_mode").getString() == "wal");
  CHECK((*db)->execAndGet("PRAGMA foreign_keys").getInt() == 1);
  CHECK((*db)->execAndGet("PRAGMA synchronous").getInt() == 2);  // FULL
}

TEST_CASE("a database behind the binary is refused with the migrate hint") {
  temp_dir dir;
  auto db = storage::open_database(options_for(dir.file("old.db")));
  REQUIRE(db.ok());
  REQUIRE(storage::migrate_up(**db, -1, one()).ok());
  status gate = storage::ensure_schema(**db, two());
  REQUIRE_FALSE(gate.ok());
  CHECK(gate.err().code == errc::unavailable);
  CHECK(gate.err().message == "schema 1, this binary needs 2: run aibud migrate up");
  CHECK_FALSE((*db)->tableExists("b"));
}

TEST_CASE("a database ahead of the binary is refused with the migrate hint") {
  temp_dir dir;
  auto db = storage::open_database(options_for(dir.file("new.db")));
  REQUIRE(db.ok());
  REQUIRE(storage::migrate_up(**db, -1, two()).ok());
  status gate = storage::ensure_schema(**db, one());
  REQUIRE_FALSE(gate.ok());
  CHECK(gate.err().code == errc::unavailable);
  CHECK(gate.err().message == "schema 2, this binary needs 1: run aibud migrate up");
}

TEST_CASE("the built-in schema gate refuses a file from a newer binary") {
  temp_dir dir;
  {
    auto db = storage::open_ready(options_for(dir.file("future.db")));
    REQUIRE(db.ok());
    (*db)->exec("INSERT INTO schema_migrations VALUES (99, 'future', 0)");
  }
  auto db = storage::open_ready(options_for(dir.file("future.db")));
  REQUIRE_FALSE(db.ok());
  CHECK(db.err().message == "schema 99, this binary needs " +
                                std::to_string(storage::latest_version()) +
                                ": run aibud migrate up");
}

TEST_CASE("a database migrated down to 0 counts as empty and is brought up again") {
  temp_dir dir;
  {
    auto db = storage::open_ready(options_for(dir.file("zero.db")));
    REQUIRE(db.ok());
    REQUIRE(storage::migrate_down(**db, 0).ok());
  }
  auto db = storage::open_ready(options_for(dir.file("zero.db")));
  REQUIRE(db.ok());
  CHECK((*db)->tableExists("tenants"));
}

TEST_CASE("a read-only connection sees the data and cannot write") {
  temp_dir dir;
  {
    auto db = storage::open_ready(options_for(dir.file("ro.db")));
    REQUIRE(db.ok());
    storage::tenants_repo tenants(**db);
    REQUIRE(tenants.create("acme", "standard", 10, 1, "en").ok());
  }
  auto options = options_for(dir.file("ro.db"));
  options.read_only = true;
  auto db = storage::open_ready(options);
  REQUIRE(db.ok());
  storage::tenants_repo tenants(**db);
  CHECK(tenants.find("acme").ok());
  auto write = tenants.create("other", "standard", 0, 1, "en");
  REQUIRE_FALSE(write.ok());
  CHECK(write.err().code == errc::unavailable);
}

TEST_CASE("opening read-only a file that does not exist is not_found and creates nothing") {
  temp_dir dir;
  auto options = options_for(dir.file("missing.db"));
  options.read_only = true;
  auto db = storage::open_database(options);
  REQUIRE_FALSE(db.ok());
  CHECK(db.err().code == errc::not_found);
  CHECK(aibud::testing::read_file(dir.file("missing.db")).empty());
}

TEST_CASE("a file that is not a database is unavailable, not an exception") {
  temp_dir dir;
  aibud::testing::write_file(dir.file("junk.db"), std::string(4096, 'x'));
  auto db = storage::open_ready(options_for(dir.file("junk.db")));
  REQUIRE_FALSE(db.ok());
  CHECK(db.err().code == errc::unavailable);
}

TEST_CASE("an unknown synchronous mode is an invalid argument") {
  temp_dir dir;
  auto options = options_for(dir.file("x.db"));
  options.sync = "SOMETIMES";
  auto db = storage::open_database(options);
  REQUIRE_FALSE(db.ok());
  CHECK(db.err().code == errc::invalid_argument);
}

TEST_CASE("a write blocked by another connection's lock is unavailable, not an exception") {
  temp_dir dir;
  auto holder = storage::open_ready(options_for(dir.file("busy.db")));
  REQUIRE(holder.ok());
  auto options = options_for(dir.file("busy.db"));
  options.busy_timeout_ms = 10;
  auto blocked = storage::open_ready(options);
  REQUIRE(blocked.ok());
  (*holder)->exec("BEGIN IMMEDIATE");
  storage::tenants_repo tenants(**blocked);
  auto write = tenants.create("acme", "standard", 0, 1, "en");
  (*holder)->exec("ROLLBACK");
  REQUIRE_FALSE(write.ok());
  CHECK(write.err().code == errc::unavailable);
  CHECK(tenants.create("acme", "standard", 0, 1, "en").ok());
}

TEST_CASE("a write touching more pages than its savepoint's journal keeps in memory still works") {
  // The storage writer runs each write in a savepoint inside the batch's transaction; one that
  // rewrites hundreds of pages (a purge) makes SQLite spill that journal to a temporary file,
  // which a statement-journal setting SQLite's VFS cannot write would turn into SQLITE_FULL.
  temp_dir dir;
  auto db = storage::open_database(options_for(dir.file("a.db")));
  REQUIRE(db.ok());
  SQLite::Database& c = **db;
  c.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT NOT NULL)");
  c.exec(
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 800) "
      "INSERT INTO t SELECT i, printf('%.1000c', 'a') FROM n");
  REQUIRE(c.execAndGet("SELECT page_count FROM pragma_page_count").getInt() > 200);

  c.exec("BEGIN IMMEDIATE");
  c.exec("SAVEPOINT write");
  CHECK_NOTHROW(c.exec("UPDATE t SET x = printf('%.1000c', 'b')"));
  CHECK(c.execAndGet("SELECT count(*) FROM t WHERE x LIKE 'b%'").getInt() == 800);
  // The journal brings every page back.
  c.exec("ROLLBACK TO write");
  c.exec("RELEASE write");
  c.exec("COMMIT");
  CHECK(c.execAndGet("SELECT count(*) FROM t WHERE x LIKE 'a%'").getInt() == 800);
}
