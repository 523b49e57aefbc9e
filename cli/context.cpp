#include "cli/context.hpp"

#include <cstdlib>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Transaction.h>

#include "runtime/config.hpp"
#include "runtime/database_options.hpp"
#include "storage/audit_repo.hpp"
#include "storage/database.hpp"

namespace aibud::cli {

void fail(errc code, std::string message) {
  throw failure{error{code, std::move(message)}};
}
void fail(const error& err) {
  throw failure{err};
}

context::context(const global_options& options) : options_(options) {}
context::~context() = default;

void context::set_flag(const std::string& key, const std::string& value) {
  flags_[key] = value;
}

const config::config& context::cfg() {
  if (!cfg_) {
    config::sources sources;
    if (!options_.config_path.empty()) sources.file_path = options_.config_path;
    sources.env = config::environment();
    sources.flags = flags_;
    if (!options_.db.empty()) sources.flags["db"] = options_.db;
    cfg_ = std::make_unique<config::config>(must(config::load(sources)));
  }
  return *cfg_;
}

SQLite::Database& context::db() {
  if (!db_) db_ = must(storage::open_ready(runtime::database_options(cfg())));
  return *db_;
}

SQLite::Database& context::raw_db() {
  if (!db_) db_ = must(storage::open_database(runtime::database_options(cfg())));
  return *db_;
}

void in_transaction(SQLite::Database& db, const std::function<void()>& change) {
  try {
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
    change();
    tx.commit();
  } catch (const SQLite::Exception& e) {
    fail(errc::unavailable, std::string("database: ") + e.what());
  }
}

void audit(SQLite::Database& db, const std::string& action, const std::string& target,
           std::optional<int64_t> tenant_id, const std::string& details_json) {
  must(storage::audit_repo(db).append("cli", action, target, tenant_id, details_json));
}

}  // namespace aibud::cli
