#include "storage/credit_ledger_repo.hpp"

#include "base/time.hpp"
#include "storage/sqlite_internal.hpp"

namespace aibud::storage {
namespace {

using detail::guarded;
using detail::statement_scope;

constexpr const char* select_columns =
    "SELECT id, tenant_id, period_start, job_id, step, kind, amount, created_at "
    "FROM credit_ledger ";

std::vector<ledger_entry> read_all(SQLite::Statement& q) {
  std::vector<ledger_entry> out;
  while (q.executeStep()) {
    ledger_entry e;
    e.id = q.getColumn(0).getInt64();
    e.tenant_id = q.getColumn(1).getInt64();
    e.period_start = q.getColumn(2).getInt64();
    e.job_id = detail::opt_int(q.getColumn(3));
    e.step = detail::opt_text(q.getColumn(4));
    e.kind = q.getColumn(5).getString();
    e.amount = q.getColumn(6).getInt64();
    e.created_at = q.getColumn(7).getInt64();
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

credit_ledger_repo::credit_ledger_repo(SQLite::Database& db)
    : db_(db),
      insert_(db,
              "INSERT INTO credit_ledger (tenant_id, period_start, job_id, step, kind, amount, "
              "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"),
      for_job_(db, std::string(select_columns) + "WHERE job_id = ? ORDER BY id"),
      for_period_(db, std::string(select_columns) +
                          "WHERE tenant_id = ? AND period_start = ? ORDER BY id") {}

result<int64_t> credit_ledger_repo::append(const ledger_entry& e) {
  if (e.kind != "reserve" && e.kind != "commit" && e.kind != "release" && e.kind != "grant")
    return make_error(errc::invalid_argument, "unknown ledger kind " + e.kind);
  return guarded("ledger append", [&]() -> result<int64_t> {
    statement_scope q(insert_);
    q->bind(1, e.tenant_id);
    q->bind(2, e.period_start);
    detail::bind_opt(*q, 3, e.job_id);
    detail::bind_opt(*q, 4, e.step);
    q->bind(5, e.kind);
    q->bind(6, e.amount);
    q->bind(7, e.created_at != 0 ? e.created_at : time::now_ms());
    q->exec();
    return db_.getLastInsertRowid();
  });
}

result<std::vector<ledger_entry>> credit_ledger_repo::for_job(int64_t job_id) {
  return guarded("ledger list", [&]() -> result<std::vector<ledger_entry>> {
    statement_scope q(for_job_);
    q->bind(1, job_id);
    return read_all(*q);
  });
}

result<std::vector<ledger_entry>> credit_ledger_repo::for_period(int64_t tenant_id,
                                                                 int64_t period_start) {
  return guarded("ledger list", [&]() -> result<std::vector<ledger_entry>> {
    statement_scope q(for_period_);
    q->bind(1, tenant_id);
    q->bind(2, period_start);
    return read_all(*q);
  });
}

}  // namespace aibud::storage
