// What the storage tests share: a fresh database file in a per-test directory, reopened on
// demand, and the schema rendered to a string.
#pragma once

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "storage/database.hpp"
#include "storage/instances_repo.hpp"
#include "storage/tenants_repo.hpp"
#include "tests/support/temp_dir.hpp"

namespace aibud::testing {

class storage_fixture {
 public:
  storage_fixture() { reopen(); }

  // Closes the connection and opens the file again at the latest schema.
  SQLite::Database& reopen() {
    db_.reset();
    storage::db_options options;
    options.path = path();
    options.sync = "NORMAL";
    auto opened = storage::open_ready(options);
    REQUIRE_MESSAGE(opened.ok(), (opened.ok() ? "" : opened.err().message));
    db_ = std::move(*opened);
    return *db_;
  }

  SQLite::Database& db() { return *db_; }
  std::string path() const { return dir_.file("aibud.db"); }
  const temp_dir& dir() const { return dir_; }

 private:
  temp_dir dir_;
  std::unique_ptr<SQLite::Database> db_;
};

// Every schema object's SQL, one per line, in name order.
inline std::string dump_schema(SQLite::Database& db) {
  SQLite::Statement q(db,
                      "SELECT type, name, coalesce(sql, '') FROM sqlite_master "
                      "ORDER BY type, name");
  std::string out;
  while (q.executeStep()) {
    out += q.getColumn(0).getString() + " " + q.getColumn(1).getString() + ": " +
           q.getColumn(2).getString() + "\n";
  }
  return out;
}

// A tenant "acme" with one sandbox instance "sales": what most repository tests stand on.
struct world {
  int64_t tenant = 0;
  int64_t instance = 0;
};

inline world make_world(SQLite::Database& db) {
  storage::tenants_repo tenants(db);
  auto t = tenants.create("acme", "standard", 0, 1, "en");
  REQUIRE(t.ok());
  storage::instances_repo instances(db);
  auto i = instances.create("sales", t->id, "sandbox", "", "", "s");
  REQUIRE(i.ok());
  return {t->id, i->id};
}

}  // namespace aibud::testing
