// The tenants table: SaaS customers, their plan, language and monthly credit limit.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "base/error.hpp"
#include "storage/records.hpp"

namespace aibud::storage {

struct tenant_changes {
  std::optional<std::string> plan;
  std::optional<int64_t> credits_limit;
  std::optional<std::string> language;
  std::optional<std::string> settings;  // the whole JSON object
};

// REQUIRES (every repository): `db` outlives the repository and is at the latest schema
// (ensure_schema); the constructor prepares its statements and throws SQLite::Exception
// otherwise. Methods never throw: SQLite errors come back as errors (storage/sqlite_error.hpp).
class tenants_repo {
 public:
  explicit tenants_repo(SQLite::Database& db);

  // Errors: invalid_argument (empty name, anchor_day outside 1..28, language not en|pt-BR,
  // negative credits); conflict when the name exists.
  result<tenant> create(const std::string& name, const std::string& plan, int64_t credits_limit,
                        int anchor_day, const std::string& language);

  // A string of digits is tried as an id first, then as a name. Errors: not_found.
  result<tenant> find(std::string_view id_or_name);
  result<tenant> get(int64_t id);
  result<std::vector<tenant>> list();  // by id

  // Changes the given columns only. A new credits_limit here changes the tenant row alone;
  // usage_repo::set_limit_from_current also updates the current period (what `tenant update
  // --credits` means). Errors: not_found, invalid_argument.
  result<tenant> update(int64_t id, const tenant_changes& changes);

 private:
  SQLite::Database& db_;
  SQLite::Statement insert_;
  SQLite::Statement by_id_;
  SQLite::Statement by_name_;
  SQLite::Statement list_;
  SQLite::Statement update_;
};

}  // namespace aibud::storage
