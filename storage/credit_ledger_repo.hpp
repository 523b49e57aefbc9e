// The credit_ledger table: every reservation, charge, release and grant. Unique per
// (job, step, kind), so replaying a job never reserves or charges twice. usage_repo writes
// it together with subscription_usage; this repository appends and reads entries directly.
#pragma once

#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "base/error.hpp"
#include "storage/records.hpp"

namespace aibud::storage {

class credit_ledger_repo {
 public:
  explicit credit_ledger_repo(SQLite::Database& db);

  // Appends `e` stamped `e.created_at` (now when 0) and returns its id.
  // Errors: conflict when (job_id, step, kind) exists; invalid_argument for an unknown kind.
  result<int64_t> append(const ledger_entry& e);
  result<std::vector<ledger_entry>> for_job(int64_t job_id);  // by id
  result<std::vector<ledger_entry>> for_period(int64_t tenant_id, int64_t period_start);

 private:
  SQLite::Database& db_;
  SQLite::Statement insert_;
  SQLite::Statement for_job_;
  SQLite::Statement for_period_;
};

}  // namespace aibud::storage
