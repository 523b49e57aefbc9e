// The api_tokens table: admin API tokens, stored as sha256 hex of the token only.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "base/error.hpp"
#include "storage/records.hpp"

namespace aibud::storage {

class tokens_repo {
 public:
  explicit tokens_repo(SQLite::Database& db);

  // Errors: invalid_argument (role not owner|admin|viewer, empty hash); not_found (tenant);
  // conflict when the hash exists.
  result<api_token> create(const std::string& token_hash, const std::string& role,
                           std::optional<int64_t> tenant_id = std::nullopt);

  result<std::vector<api_token>> list();  // by id, revoked ones included
  result<api_token> get(int64_t id);      // Errors: not_found

  // Marks the token revoked (idempotent). Errors: not_found.
  status revoke(int64_t id);

  // The unrevoked token with this hash. Errors: not_found.
  result<api_token> find_by_hash(const std::string& token_hash);

  // Sets last_used_at to now.
  status touch(int64_t id);

 private:
  SQLite::Database& db_;
  SQLite::Statement insert_;
  SQLite::Statement tenant_exists_;
  SQLite::Statement list_;
  SQLite::Statement by_id_;
  SQLite::Statement revoke_;
  SQLite::Statement by_hash_;
  SQLite::Statement touch_;
};

}  // namespace aibud::storage
