// What the storage tests share: a fresh database file in a per-test directory, reopened on
// demand, and the schema rendered to a string.
#pragma once

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "storage/database.hpp"
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

}  // namespace aibud::testing
