#include "storage/database.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "storage/migrations.hpp"
#include "storage/sqlite_internal.hpp"

namespace aibud::storage {
namespace {

using detail::guarded;

bool is_file_path(const std::string& path) {
  return !path.empty() && path != ":memory:" && path.rfind("file:", 0) != 0;
}

// Creates the file with mode 0600 before SQLite sees it: SQLite would create it with 0644
// minus the umask, and gives the -wal and -shm files the main file's mode.
status create_private_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return ok_status();
    return make_error(errc::unavailable,
                      "cannot create database " + path + ": " + std::strerror(errno));
  }
  // The umask can only narrow the mode; a narrower one would lock the owner out too.
  int rc = ::fchmod(fd, 0600);
  int saved = errno;
  ::close(fd);
  if (rc != 0)
    return make_error(errc::unavailable,
                      "cannot set the mode of " + path + ": " + std::strerror(saved));
  return ok_status();
}

bool valid_sync(const std::string& sync) {
  return sync == "OFF" || sync == "NORMAL" || sync == "FULL" || sync == "EXTRA";
}

// An empty database holds no table, or nothing but an empty schema_migrations.
bool is_empty(SQLite::Database& db) {
  SQLite::Statement q(db,
                      "SELECT count(*) FROM sqlite_master WHERE name <> 'schema_migrations' "
                      "AND name NOT LIKE 'sqlite_%'");
  q.executeStep();
  if (q.getColumn(0).getInt64() != 0) return false;
  if (!db.tableExists("schema_migrations")) return true;
  SQLite::Statement rows(db, "SELECT count(*) FROM schema_migrations");
  rows.executeStep();
  return rows.getColumn(0).getInt64() == 0;
}

error schema_mismatch(int have, int need) {
  return make_error(errc::unavailable, "schema " + std::to_string(have) + ", this binary needs " +
                                           std::to_string(need) + ": run aibud migrate up");
}

// Process-wide SQLite settings, possible only before SQLite initializes, so the first open
// makes them:
// - No allocation statistics: they take one process-wide mutex on every malloc and free of
//   every connection, and Debian's SQLite has no lookaside, so that is every small
//   allocation. Nothing in aibud reads them.
// - Statement journals in one 128 KiB chunk of memory. Each write of the writer's batch runs
//   in its own savepoint, whose journal SQLite spills to a temporary file past 64 KiB by
//   default; once one write of a batch spilled, every later write of that transaction paid a
//   pwrite per page it touched. Kept in memory without a limit, the journal grows by 1 KiB
//   chunks (five mallocs per page) and a large purge would hold every page it touched. A
//   write touching more than 32 pages still spills. Not more than 128 KiB: the spill writes
//   the chunk in one call, and SQLite's unix VFS writes at most 128 KiB - 1 bytes per call
//   (a larger chunk fails with SQLITE_FULL); a sub-journal's records (4 + page size bytes)
//   never end exactly at 128 KiB.
void configure_sqlite_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, 128 * 1024);
  });
}

}  // namespace

result<std::unique_ptr<SQLite::Database>> open_database(const db_options& options) {
  configure_sqlite_once();
  if (!valid_sync(options.sync))
    return make_error(errc::invalid_argument,
                      "sync must be OFF, NORMAL, FULL or EXTRA, not '" + options.sync + "'");
  if (options.path.empty()) return make_error(errc::invalid_argument, "no database path");
  if (is_file_path(options.path)) {
    if (options.read_only) {
      if (::access(options.path.c_str(), F_OK) != 0)
        return make_error(errc::not_found, "database " + options.path + " does not exist");
    } else {
      status created = create_private_file(options.path);
      if (!created) return created.err();
    }
  }
  return guarded(
      "open database " + options.path, [&]() -> result<std::unique_ptr<SQLite::Database>> {
        int flags = options.read_only ? SQLite::OPEN_READONLY
                                      : SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE;
        if (options.path.rfind("file:", 0) == 0) flags |= SQLite::OPEN_URI;
        auto db = std::make_unique<SQLite::Database>(options.path, flags, options.busy_timeout_ms);
        // WAL lets readers run beside the one writer; a read-only connection
        // cannot change the journal mode and finds it set in the file.
        if (!options.read_only) db->exec("PRAGMA journal_mode=WAL");
        db->exec("PRAGMA synchronous=" + options.sync);
        db->exec("PRAGMA foreign_keys=ON");
        // Re-sealed or deleted secrets must not linger in free pages of the file.
        db->exec("PRAGMA secure_delete=ON");
        // Reading forces SQLite to open the file now, so a file that is not a
        // database fails here rather than in the first repository call.
        db->execAndGet("SELECT count(*) FROM sqlite_master");
        return db;
      });
}

status ensure_schema(SQLite::Database& db) {
  return ensure_schema(db, builtin_migrations());
}

status ensure_schema(SQLite::Database& db, const std::vector<migration>& migrations) {
  int latest = migrations.empty() ? 0 : migrations.back().version;
  auto state = guarded("schema check", [&]() -> result<std::pair<bool, int>> {
    bool empty = is_empty(db);
    int current = 0;
    if (db.tableExists("schema_migrations")) {
      SQLite::Statement q(db, "SELECT coalesce(max(version), 0) FROM schema_migrations");
      q.executeStep();
      current = q.getColumn(0).getInt();
    }
    return std::make_pair(empty, current);
  });
  if (!state) return state.err();
  auto [empty, current] = *state;
  if (current == latest && !empty) return ok_status();
  if (empty && sqlite3_db_readonly(db.getHandle(), "main") != 1) {
    auto reached = migrate_up(db, latest, migrations);
    if (!reached) return reached.err();
    return ok_status();
  }
  return schema_mismatch(current, latest);
}

result<std::unique_ptr<SQLite::Database>> open_ready(const db_options& options) {
  auto db = open_database(options);
  if (!db) return db.err();
  status schema = ensure_schema(**db);
  if (!schema) return schema.err();
  return std::move(*db);
}

}  // namespace aibud::storage
