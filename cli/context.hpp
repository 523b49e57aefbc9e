// What every subcommand shares: the global options, the configuration and the database,
// each loaded on first use, and the one way a command fails (`fail`).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "base/error.hpp"

namespace SQLite {
class Database;
}
namespace aibud::config {
struct config;
}

namespace aibud::cli {

// Thrown by `fail` and caught once, in main, which prints `error: <code>: <message>` and exits
// with the code's exit status (ARCHITECTURE §8).
struct failure {
  error err;
};
[[noreturn]] void fail(errc code, std::string message);
[[noreturn]] void fail(const error& err);

// Returns the value or fails with its error.
template <class T>
T must(result<T> r) {
  if (!r) fail(r.err());
  return std::move(r).value();
}

struct global_options {
  std::string config_path;
  std::string db;
  std::string server;
  bool json = false;
};

class context {
 public:
  explicit context(const global_options& options);
  ~context();

  bool json() const { return options_.json; }
  const global_options& options() const { return options_; }

  // Flags that override configuration keys (e.g. serve's --listen → "listen"); set before
  // the first call to cfg().
  void set_flag(const std::string& key, const std::string& value);

  const config::config& cfg();
  // The database at the binary's schema (every command but migrate).
  SQLite::Database& db();
  // The database as it is, without the schema gate (migrate).
  SQLite::Database& raw_db();

 private:
  const global_options& options_;
  std::map<std::string, std::string> flags_;
  std::unique_ptr<config::config> cfg_;
  std::unique_ptr<SQLite::Database> db_;
};

// Runs `change` in one IMMEDIATE transaction: a command's change and its audit entry land
// together or not at all. A lock or I/O failure is `unavailable`.
void in_transaction(SQLite::Database& db, const std::function<void()>& change);

// Appends an audit_log entry for a change made from the CLI; fails the command if it cannot.
void audit(SQLite::Database& db, const std::string& action, const std::string& target,
           std::optional<int64_t> tenant_id, const std::string& details_json = "{}");

}  // namespace aibud::cli
