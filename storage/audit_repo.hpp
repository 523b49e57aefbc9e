// The audit_log table: security-relevant actions, append-only. Never put secrets in it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "base/error.hpp"
#include "storage/records.hpp"

namespace aibud::storage {

class audit_repo {
 public:
  explicit audit_repo(SQLite::Database& db);

  // Appends one entry stamped now and returns its id. `details_json` is a JSON object.
  result<int64_t> append(const std::string& actor, const std::string& action,
                         const std::string& target, std::optional<int64_t> tenant_id = std::nullopt,
                         const std::string& details_json = "{}");

  // The newest `limit` entries, newest first.
  result<std::vector<audit_entry>> list(int limit = 100);

 private:
  SQLite::Database& db_;
  SQLite::Statement insert_;
  SQLite::Statement list_;
};

}  // namespace aibud::storage
