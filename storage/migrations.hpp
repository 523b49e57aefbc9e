// Versioned schema migrations (ARCHITECTURE §4). Each migration has an up and a down step,
// runs in its own IMMEDIATE transaction and is recorded in schema_migrations(version, name,
// applied_at) in that same transaction, so a failing migration leaves the schema at the
// version before it. Versions are 1, 2, ... in order; version 0 is an empty schema.
#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"

namespace SQLite {
class Database;
}

namespace aibud::storage {

struct migration {
  int version = 0;
  std::string name;
  std::string up;    // SQL, possibly several statements
  std::string down;  // SQL that undoes `up`
};

// The migrations of this binary, in version order.
const std::vector<migration>& builtin_migrations();
// The version this binary needs: the last built-in migration's.
int latest_version();

struct applied_migration {
  int version = 0;
  std::string name;
  int64_t applied_at = 0;  // ms UTC
};

struct migration_status_info {
  int current = 0;                         // the highest applied version (0: none)
  int latest = 0;                          // the highest version in the list
  std::vector<applied_migration> applied;  // ascending
  std::vector<migration> pending;          // ascending; up/down text included
};

// The highest applied version (0 when schema_migrations is missing or empty).
result<int> current_version(SQLite::Database& db);

// Applies the pending migrations up to `to` (default: the latest) and returns the version
// reached. Errors: invalid_argument when `to` is not in 0..latest; unavailable when the
// database is ahead of the list; the failing migration's error (schema left at the version
// before it) otherwise.
result<int> migrate_up(SQLite::Database& db, int to = -1);
result<int> migrate_up(SQLite::Database& db, int to, const std::vector<migration>& migrations);

// Undoes applied migrations down to version `to` (0: everything) and returns the version
// reached. Errors: invalid_argument when `to` < 0 or above the current version's list.
result<int> migrate_down(SQLite::Database& db, int to);
result<int> migrate_down(SQLite::Database& db, int to, const std::vector<migration>& migrations);

result<migration_status_info> migration_status(SQLite::Database& db);
result<migration_status_info> migration_status(SQLite::Database& db,
                                               const std::vector<migration>& migrations);

}  // namespace aibud::storage
