// Opening the SQLite database and the schema gate every command but `migrate` passes.
//
// A connection is a plain SQLite::Database owned by its caller through a unique_ptr; the
// repositories hold a reference to it. A connection is used by one thread at a time.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/error.hpp"

namespace SQLite {
class Database;
}

namespace aibud::storage {

struct migration;

struct db_options {
  std::string path;            // a file path, or ":memory:"
  std::string sync = "FULL";   // PRAGMA synchronous: OFF | NORMAL | FULL | EXTRA
  int busy_timeout_ms = 5000;  // how long a statement waits for another writer's lock
  bool read_only = false;      // never creates the file; never migrates
};

// Opens `options.path`, creating a missing file with mode 0600 first (so the umask cannot
// widen it; SQLite gives the -wal and -shm files the same mode), and sets journal_mode=WAL,
// synchronous, foreign_keys=ON and busy_timeout. Does not touch the schema.
// Errors: invalid_argument for a bad `sync`; not_found for a missing file when read-only;
// unavailable when the file cannot be created or opened.
result<std::unique_ptr<SQLite::Database>> open_database(const db_options& options);

// The schema gate. A new or empty database (no tables, or nothing but an empty
// schema_migrations) is migrated to the latest version of `migrations`; a database at that
// version passes; one behind or ahead fails with unavailable and exactly
// "schema N, this binary needs M: run aibud migrate up". A read-only connection is never
// migrated: an empty one is "schema 0, ...".
status ensure_schema(SQLite::Database& db);
status ensure_schema(SQLite::Database& db, const std::vector<migration>& migrations);

// open_database + ensure_schema: what serve and the CLI commands use.
result<std::unique_ptr<SQLite::Database>> open_ready(const db_options& options);

}  // namespace aibud::storage
