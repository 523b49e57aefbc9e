#include "storage/migrations.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include "base/time.hpp"
#include "storage/schema.hpp"
#include "storage/sqlite_internal.hpp"

namespace aibud::storage {
namespace {

using detail::guarded;

void ensure_migrations_table(SQLite::Database& db) {
  db.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
}

int latest_of(const std::vector<migration>& migrations) {
  return migrations.empty() ? 0 : migrations.back().version;
}

int read_current(SQLite::Database& db) {
  if (!db.tableExists("schema_migrations")) return 0;
  SQLite::Statement q(db, "SELECT coalesce(max(version), 0) FROM schema_migrations");
  q.executeStep();
  return q.getColumn(0).getInt();
}

std::string label(const migration& m) {
  return "migration " + std::to_string(m.version) + " (" + m.name + ")";
}

}  // namespace

const std::vector<migration>& builtin_migrations() {
  static const std::vector<migration> list = {
      {1, "tables", schema::v1_up, schema::v1_down},
      {2, "indexes", schema::v2_up, schema::v2_down},
      {3, "jobs_ledger_rebuild", schema::v3_up, schema::v3_down},
  };
  return list;
}

int latest_version() {
  return latest_of(builtin_migrations());
}

result<int> current_version(SQLite::Database& db) {
  return guarded("schema version", [&]() -> result<int> { return read_current(db); });
}

result<int> migrate_up(SQLite::Database& db, int to) {
  return migrate_up(db, to, builtin_migrations());
}

result<int> migrate_up(SQLite::Database& db, int to, const std::vector<migration>& migrations) {
  int latest = latest_of(migrations);
  if (to < 0) to = latest;
  if (to > latest)
    return make_error(errc::invalid_argument, "no migration " + std::to_string(to) +
                                                  " (latest is " + std::to_string(latest) + ")");
  auto current = guarded("schema version", [&]() -> result<int> {
    ensure_migrations_table(db);
    return read_current(db);
  });
  if (!current) return current.err();
  if (*current > latest)
    return make_error(errc::unavailable, "schema " + std::to_string(*current) +
                                             " is newer than this binary's " +
                                             std::to_string(latest));
  int version = *current;
  for (const migration& m : migrations) {
    if (m.version <= version || m.version > to) continue;
    // Each migration commits on its own: a failure keeps every earlier one.
    status applied = guarded(label(m), [&]() -> status {
      SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
      db.exec(m.up);
      SQLite::Statement record(
          db, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)");
      record.bind(1, m.version);
      record.bind(2, m.name);
      record.bind(3, time::now_ms());
      record.exec();
      tx.commit();
      return ok_status();
    });
    if (!applied) return applied.err();
    version = m.version;
  }
  return version;
}

result<int> migrate_down(SQLite::Database& db, int to) {
  return migrate_down(db, to, builtin_migrations());
}

result<int> migrate_down(SQLite::Database& db, int to, const std::vector<migration>& migrations) {
  if (to < 0) return make_error(errc::invalid_argument, "--to must be 0 or more");
  auto current = guarded("schema version", [&]() -> result<int> {
    ensure_migrations_table(db);
    return read_current(db);
  });
  if (!current) return current.err();
  if (*current > latest_of(migrations))
    return make_error(errc::unavailable, "schema " + std::to_string(*current) +
                                             " is newer than this binary's " +
                                             std::to_string(latest_of(migrations)));
  int version = *current;
  for (auto it = migrations.rbegin(); it != migrations.rend(); ++it) {
    const migration& m = *it;
    if (m.version > version || m.version <= to) continue;
    status undone = guarded(label(m) + " down", [&]() -> status {
      SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
      db.exec(m.down);
      SQLite::Statement forget(db, "DELETE FROM schema_migrations WHERE version = ?");
      forget.bind(1, m.version);
      forget.exec();
      tx.commit();
      return ok_status();
    });
    if (!undone) return undone.err();
    version = m.version - 1;
  }
  return guarded("schema version", [&]() -> result<int> { return read_current(db); });
}

result<migration_status_info> migration_status(SQLite::Database& db) {
  return migration_status(db, builtin_migrations());
}

result<migration_status_info> migration_status(SQLite::Database& db,
                                               const std::vector<migration>& migrations) {
  return guarded("migration status", [&]() -> result<migration_status_info> {
    migration_status_info info;
    info.latest = latest_of(migrations);
    if (db.tableExists("schema_migrations")) {
      SQLite::Statement q(db,
                          "SELECT version, name, applied_at FROM schema_migrations "
                          "ORDER BY version");
      while (q.executeStep()) {
        info.applied.push_back(
            {q.getColumn(0).getInt(), q.getColumn(1).getString(), q.getColumn(2).getInt64()});
      }
    }
    info.current = info.applied.empty() ? 0 : info.applied.back().version;
    for (const migration& m : migrations) {
      if (m.version > info.current) info.pending.push_back(m);
    }
    return info;
  });
}

}  // namespace aibud::storage
