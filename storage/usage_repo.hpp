// The subscription_usage table: one row per tenant and billing period (keyed by the period's
// start, 00:00 UTC on the tenant's anchor day), holding the limit, grants, used and reserved
// credits. A period's row is created on first use with the tenant's credits_limit.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "base/error.hpp"
#include "base/time.hpp"
#include "storage/records.hpp"

namespace aibud::storage {
namespace detail {
struct savepoint_statements;
}

// What a reservation attempt did.
enum class reserve_outcome {
  reserved,      // the amount is now held for (job, step)
  already_held,  // (job, step) was reserved before: nothing changed (a replay)
  insufficient,  // left < amount: nothing changed
};

class usage_repo {
 public:
  explicit usage_repo(SQLite::Database& db);
  ~usage_repo();

  // The row of the period containing `now_ms`, created if missing. Errors: not_found (tenant).
  result<usage> current(int64_t tenant_id, int64_t now_ms);

  // Adds `credits` (> 0) to the current period only, and records a `grant` ledger entry.
  // Errors: invalid_argument, not_found.
  result<usage> grant(int64_t tenant_id, int64_t credits, int64_t now_ms);

  // Sets the tenant's monthly limit and the current period's limit (later periods copy it).
  // Errors: invalid_argument (negative), not_found.
  result<usage> set_limit_from_current(int64_t tenant_id, int64_t limit, int64_t now_ms);

  // Every period of a tenant, newest first.
  result<std::vector<usage>> history(int64_t tenant_id);

  // Credit flow of one job step (ARCHITECTURE §3.5), each atomic and idempotent per
  // (job, step) through the ledger. `reserve` holds `amount` if the current period has it
  // left; `commit` turns the reservation of (job, reserve_step) into a charge of `actual`
  // (<= reserved) and releases the rest; `release` frees a reservation without a charge.
  // commit/release of a reservation already settled return ok and change nothing.
  result<reserve_outcome> reserve(int64_t tenant_id, int64_t job_id, const std::string& step,
                                  int64_t amount, int64_t now_ms);
  status commit(int64_t tenant_id, int64_t job_id, const std::string& reserve_step, int64_t actual,
                int64_t now_ms);
  status release(int64_t tenant_id, int64_t job_id, const std::string& reserve_step,
                 int64_t now_ms);

  // Marks the 80 % or 100 % usage alert (`percent`) of the period starting `period_start` as
  // raised at `now_ms`, once per period: true when this call marked it, false when it was
  // marked before or the period has no row. Errors: invalid_argument (percent not 80/100).
  result<bool> mark_alert(int64_t tenant_id, int64_t period_start, int percent, int64_t now_ms);

 private:
  // The period containing `now_ms` under the tenant's anchor day, and its current limit.
  struct period_terms {
    time::period period;
    int64_t limit = 0;
  };
  result<period_terms> terms_of(int64_t tenant_id, int64_t now_ms);
  // Creates the period's row if missing.
  status create_period(int64_t tenant_id, const period_terms& terms);
  // Creates the period row containing `now_ms` if missing; returns its period_start.
  result<int64_t> ensure_period(int64_t tenant_id, int64_t now_ms);
  result<usage> read(int64_t tenant_id, int64_t period_start);

  SQLite::Database& db_;
  SQLite::Statement tenant_;
  SQLite::Statement ensure_;
  SQLite::Statement select_;
  SQLite::Statement history_;
  SQLite::Statement add_granted_;
  SQLite::Statement set_limit_;
  SQLite::Statement set_tenant_limit_;
  SQLite::Statement add_reserved_;
  SQLite::Statement settle_;
  SQLite::Statement ledger_insert_;
  SQLite::Statement ledger_find_;
  SQLite::Statement mark_alert_80_;
  SQLite::Statement mark_alert_100_;
  // reserve, commit and release, run for every message: prepared once.
  std::unique_ptr<detail::savepoint_statements> credit_sp_;
};

}  // namespace aibud::storage
