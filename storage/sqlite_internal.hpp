// Helpers shared by the repositories' .cpp files; not part of the storage API.
#pragma once

#include <sqlite3.h>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>

#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "base/error.hpp"
#include "storage/sqlite_error.hpp"

namespace aibud::storage::detail {

// The repository in `slot`, created on `db` on first use (the read and write contexts
// prepare a repository's statements only when a call needs them).
template <class Repo>
Repo& lazy_repo(std::unique_ptr<Repo>& slot, SQLite::Database& db) {
  if (!slot) slot = std::make_unique<Repo>(db);
  return *slot;
}

// Resets a prepared statement when a call ends, however it ends: a statement left mid-step
// keeps its read transaction open, which would pin the WAL and block checkpoints.
class statement_scope {
 public:
  explicit statement_scope(SQLite::Statement& s) : s_(s) { s_.tryReset(); }
  ~statement_scope() { s_.tryReset(); }
  statement_scope(const statement_scope&) = delete;
  statement_scope& operator=(const statement_scope&) = delete;
  SQLite::Statement& operator*() { return s_; }
  SQLite::Statement* operator->() { return &s_; }

 private:
  SQLite::Statement& s_;
};

// A statement prepared once and run many times, for the statements a hot path runs with no
// parameters and no rows (transaction and savepoint control).
class prepared {
 public:
  prepared(sqlite3* db, const std::string& sql) : db_(db) {
    int rc = sqlite3_prepare_v3(db, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
    if (rc != SQLITE_OK) {
      SQLite::Exception e(db, rc);
      sqlite3_finalize(stmt_);
      throw e;
    }
  }
  ~prepared() { sqlite3_finalize(stmt_); }
  prepared(const prepared&) = delete;
  prepared& operator=(const prepared&) = delete;

  // Throws SQLite::Exception (so guarded() maps its code) when the statement fails.
  void run() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_DONE) {
      sqlite3_reset(stmt_);
      return;
    }
    SQLite::Exception e(db_, rc);  // before the reset, which may clear the message
    sqlite3_reset(stmt_);
    throw e;
  }
  // For cleanup paths that cannot report: false when it failed.
  bool try_run() {
    int rc = sqlite3_step(stmt_);
    sqlite3_reset(stmt_);
    return rc == SQLITE_DONE;
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// The statements of the savepoint `name`, prepared once.
struct savepoint_statements {
  savepoint_statements(sqlite3* db, const std::string& name)
      : open(db, "SAVEPOINT " + name),
        release(db, "RELEASE " + name),
        rollback_to(db, "ROLLBACK TO " + name) {}
  prepared open, release, rollback_to;
};

// A savepoint on statements prepared beforehand, for savepoints taken on every message.
class prepared_savepoint {
 public:
  explicit prepared_savepoint(savepoint_statements& s) : s_(s) { s_.open.run(); }
  ~prepared_savepoint() {
    if (done_) return;
    // Errors cannot leave a destructor; a failed rollback leaves SQLite to abort the
    // transaction itself (the writer's commit_batch detects that).
    s_.rollback_to.try_run();
    s_.release.try_run();
  }
  prepared_savepoint(const prepared_savepoint&) = delete;
  prepared_savepoint& operator=(const prepared_savepoint&) = delete;
  void release() {
    s_.release.run();
    done_ = true;
  }

 private:
  savepoint_statements& s_;
  bool done_ = false;
};

// A SAVEPOINT that rolls back and releases unless released: atomic whether or not the
// caller already holds a transaction (the storage writer's batch, or none for the CLI).
// SQLiteCpp's own Savepoint does not release after a rollback, which would leave an
// outermost savepoint's transaction open. Prepares its statements each time: hot paths keep
// a savepoint_statements and take a prepared_savepoint on it instead.
class savepoint {
 public:
  savepoint(SQLite::Database& db, const char* name)
      : statements_(db.getHandle(), name), scope_(statements_) {}
  void release() { scope_.release(); }

 private:
  savepoint_statements statements_;  // declared first: outlives scope_
  prepared_savepoint scope_;
};

// Runs `body` and turns what it throws into an error naming `what`.
template <class Body>
auto guarded(std::string_view what, Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const SQLite::Exception& e) {
    return to_error(e, what);
  } catch (const std::exception& e) {
    return make_error(errc::internal, std::string(what) + ": " + e.what());
  }
}

inline std::optional<int64_t> opt_int(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getInt64();
}
inline std::optional<std::string> opt_text(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getString();
}
inline std::string text(const SQLite::Column& c) {
  return c.isNull() ? std::string() : c.getString();
}

inline void bind_opt(SQLite::Statement& s, int index, const std::optional<int64_t>& v) {
  if (v)
    s.bind(index, *v);
  else
    s.bind(index);
}
inline void bind_opt(SQLite::Statement& s, int index, const std::optional<std::string>& v) {
  if (v)
    s.bind(index, *v);
  else
    s.bind(index);
}

inline error not_found(std::string what) {
  return make_error(errc::not_found, std::move(what));
}

}  // namespace aibud::storage::detail
