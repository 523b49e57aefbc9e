#include "storage/usage_repo.hpp"

#include "base/time.hpp"
#include "storage/sqlite_internal.hpp"

namespace aibud::storage {
namespace {

using detail::guarded;
using detail::statement_scope;

constexpr const char* columns =
    "tenant_id, period_start, period_end, credits_limit, granted, used, reserved, alert_80_at, "
    "alert_100_at, grace_notices";

usage read_row(SQLite::Statement& q) {
  usage u;
  u.tenant_id = q.getColumn(0).getInt64();
  u.period_start = q.getColumn(1).getInt64();
  u.period_end = q.getColumn(2).getInt64();
  u.credits_limit = q.getColumn(3).getInt64();
  u.granted = q.getColumn(4).getInt64();
  u.used = q.getColumn(5).getInt64();
  u.reserved = q.getColumn(6).getInt64();
  u.alert_80_at = detail::opt_int(q.getColumn(7));
  u.alert_100_at = detail::opt_int(q.getColumn(8));
  u.grace_notices = q.getColumn(9).getInt64();
  return u;
}

// What the ledger holds for one (job, step).
struct ledger_state {
  std::optional<int64_t> reserved;  // the reserve entry's amount
  int64_t period_start = 0;         // the reserve entry's period
  bool settled = false;             // a commit or release entry exists
};

}  // namespace

usage_repo::usage_repo(SQLite::Database& db)
    : db_(db),
      tenant_(db, "SELECT anchor_day, credits_limit FROM tenants WHERE id = ?"),
      ensure_(db,
              "INSERT INTO subscription_usage (tenant_id, period_start, period_end, "
              "credits_limit) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING"),
      select_(db, std::string("SELECT ") + columns +
                      " FROM subscription_usage WHERE tenant_id = ? AND period_start = ?"),
      history_(db, std::string("SELECT ") + columns +
                       " FROM subscription_usage WHERE tenant_id = ? ORDER BY period_start DESC"),
      add_granted_(db,
                   "UPDATE subscription_usage SET granted = granted + ? "
                   "WHERE tenant_id = ? AND period_start = ?"),
      set_limit_(db,
                 "UPDATE subscription_usage SET credits_limit = ? "
                 "WHERE tenant_id = ? AND period_start = ?"),
      set_tenant_limit_(db, "UPDATE tenants SET credits_limit = ?, updated_at = ? WHERE id = ?"),
      add_reserved_(db,
                    "UPDATE subscription_usage SET reserved = reserved + ? "
                    "WHERE tenant_id = ? AND period_start = ?"),
      settle_(db,
              "UPDATE subscription_usage SET used = used + ?, reserved = reserved - ? "
              "WHERE tenant_id = ? AND period_start = ?"),
      ledger_insert_(db,
                     "INSERT INTO credit_ledger (tenant_id, period_start, job_id, step, kind, "
                     "amount, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"),
      ledger_find_(db,
                   "SELECT kind, amount, period_start FROM credit_ledger "
                   "WHERE job_id = ? AND step = ?"),
      mark_alert_80_(db,
                     "UPDATE subscription_usage SET alert_80_at = ? "
                     "WHERE tenant_id = ? AND period_start = ? AND alert_80_at IS NULL"),
      mark_alert_100_(db,
                      "UPDATE subscription_usage SET alert_100_at = ? "
                      "WHERE tenant_id = ? AND period_start = ? AND alert_100_at IS NULL"),
      credit_sp_(std::make_unique<detail::savepoint_statements>(db.getHandle(), "credit")) {}

usage_repo::~usage_repo() = default;

result<usage_repo::period_terms> usage_repo::terms_of(int64_t tenant_id, int64_t now_ms) {
  return guarded("usage period", [&]() -> result<period_terms> {
    statement_scope t(tenant_);
    t->bind(1, tenant_id);
    if (!t->executeStep()) return detail::not_found("no tenant " + std::to_string(tenant_id));
    return period_terms{time::billing_period(t->getColumn(0).getInt(), now_ms),
                        t->getColumn(1).getInt64()};
  });
}

status usage_repo::create_period(int64_t tenant_id, const period_terms& terms) {
  return guarded("usage period", [&]() -> status {
    statement_scope q(ensure_);
    q->bind(1, tenant_id);
    q->bind(2, terms.period.start_ms);
    q->bind(3, terms.period.end_ms);
    q->bind(4, terms.limit);
    q->exec();
    return ok_status();
  });
}

result<int64_t> usage_repo::ensure_period(int64_t tenant_id, int64_t now_ms) {
  auto terms = terms_of(tenant_id, now_ms);
  if (!terms) return terms.err();
  if (auto s = create_period(tenant_id, *terms); !s) return s.err();
  return terms->period.start_ms;
}

result<usage> usage_repo::read(int64_t tenant_id, int64_t period_start) {
  return guarded("usage read", [&]() -> result<usage> {
    statement_scope q(select_);
    q->bind(1, tenant_id);
    q->bind(2, period_start);
    if (!q->executeStep()) return detail::not_found("no usage row");
    return read_row(*q);
  });
}

// Read before created: every message asks for its period's row, which exists but once a month.
result<usage> usage_repo::current(int64_t tenant_id, int64_t now_ms) {
  auto terms = terms_of(tenant_id, now_ms);
  if (!terms) return terms.err();
  auto found = read(tenant_id, terms->period.start_ms);
  if (found || found.err().code != errc::not_found) return found;
  if (auto s = create_period(tenant_id, *terms); !s) return s.err();
  return read(tenant_id, terms->period.start_ms);
}

result<usage> usage_repo::grant(int64_t tenant_id, int64_t credits, int64_t now_ms) {
  if (credits <= 0) return make_error(errc::invalid_argument, "a grant must be more than 0");
  auto done = guarded("usage grant", [&]() -> result<int64_t> {
    detail::savepoint sp(db_, "usage_grant");
    auto start = ensure_period(tenant_id, now_ms);
    if (!start) return start.err();
    {
      statement_scope q(add_granted_);
      q->bind(1, credits);
      q->bind(2, tenant_id);
      q->bind(3, *start);
      q->exec();
    }
    {
      statement_scope q(ledger_insert_);
      q->bind(1, tenant_id);
      q->bind(2, *start);
      q->bind(3);
      q->bind(4);
      q->bind(5, "grant");
      q->bind(6, credits);
      q->bind(7, time::now_ms());
      q->exec();
    }
    sp.release();
    return *start;
  });
  if (!done) return done.err();
  return read(tenant_id, *done);
}

result<usage> usage_repo::set_limit_from_current(int64_t tenant_id, int64_t limit, int64_t now_ms) {
  if (limit < 0) return make_error(errc::invalid_argument, "credits must be 0 or more");
  auto done = guarded("usage set limit", [&]() -> result<int64_t> {
    detail::savepoint sp(db_, "usage_limit");
    auto start = ensure_period(tenant_id, now_ms);
    if (!start) return start.err();
    {
      statement_scope q(set_tenant_limit_);
      q->bind(1, limit);
      q->bind(2, time::now_ms());
      q->bind(3, tenant_id);
      q->exec();
    }
    {
      statement_scope q(set_limit_);
      q->bind(1, limit);
      q->bind(2, tenant_id);
      q->bind(3, *start);
      q->exec();
    }
    sp.release();
    return *start;
  });
  if (!done) return done.err();
  return read(tenant_id, *done);
}

result<std::vector<usage>> usage_repo::history(int64_t tenant_id) {
  return guarded("usage history", [&]() -> result<std::vector<usage>> {
    statement_scope q(history_);
    q->bind(1, tenant_id);
    std::vector<usage> out;
    while (q->executeStep()) out.push_back(read_row(*q));
    return out;
  });
}

namespace {

ledger_state find_ledger(SQLite::Statement& stmt, int64_t job_id, const std::string& step) {
  statement_scope q(stmt);
  q->bind(1, job_id);
  q->bind(2, step);
  ledger_state state;
  while (q->executeStep()) {
    std::string kind = q->getColumn(0).getString();
    if (kind == "reserve") {
      state.reserved = q->getColumn(1).getInt64();
      state.period_start = q->getColumn(2).getInt64();
    } else if (kind == "commit" || kind == "release") {
      state.settled = true;
    }
  }
  return state;
}

void insert_ledger(SQLite::Statement& stmt, int64_t tenant_id, int64_t period_start, int64_t job_id,
                   const std::string& step, const char* kind, int64_t amount) {
  statement_scope q(stmt);
  q->bind(1, tenant_id);
  q->bind(2, period_start);
  q->bind(3, job_id);
  q->bind(4, step);
  q->bind(5, kind);
  q->bind(6, amount);
  q->bind(7, time::now_ms());
  q->exec();
}

}  // namespace

result<reserve_outcome> usage_repo::reserve(int64_t tenant_id, int64_t job_id,
                                            const std::string& step, int64_t amount,
                                            int64_t now_ms) {
  if (amount < 0) return make_error(errc::invalid_argument, "a reservation must be 0 or more");
  return guarded("credit reserve", [&]() -> result<reserve_outcome> {
    detail::prepared_savepoint sp(*credit_sp_);
    if (find_ledger(ledger_find_, job_id, step).reserved) return reserve_outcome::already_held;
    auto now = current(tenant_id, now_ms);
    if (!now) return now.err();
    const int64_t start = now->period_start;
    if (now->left() < amount) return reserve_outcome::insufficient;
    {
      statement_scope q(add_reserved_);
      q->bind(1, amount);
      q->bind(2, tenant_id);
      q->bind(3, start);
      q->exec();
    }
    insert_ledger(ledger_insert_, tenant_id, start, job_id, step, "reserve", amount);
    sp.release();
    return reserve_outcome::reserved;
  });
}

status usage_repo::commit(int64_t tenant_id, int64_t job_id, const std::string& reserve_step,
                          int64_t actual, int64_t now_ms) {
  (void)now_ms;
  if (actual < 0) return make_error(errc::invalid_argument, "a charge must be 0 or more");
  return guarded("credit commit", [&]() -> status {
    detail::prepared_savepoint sp(*credit_sp_);
    ledger_state state = find_ledger(ledger_find_, job_id, reserve_step);
    if (!state.reserved)
      return detail::not_found("no reservation for job " + std::to_string(job_id) + " step " +
                               reserve_step);
    if (state.settled) return ok_status();
    {
      statement_scope q(settle_);
      q->bind(1, actual);
      q->bind(2, *state.reserved);
      q->bind(3, tenant_id);
      q->bind(4, state.period_start);
      q->exec();
    }
    insert_ledger(ledger_insert_, tenant_id, state.period_start, job_id, reserve_step, "commit",
                  actual);
    sp.release();
    return ok_status();
  });
}

status usage_repo::release(int64_t tenant_id, int64_t job_id, const std::string& reserve_step,
                           int64_t now_ms) {
  (void)now_ms;
  return guarded("credit release", [&]() -> status {
    detail::prepared_savepoint sp(*credit_sp_);
    ledger_state state = find_ledger(ledger_find_, job_id, reserve_step);
    if (!state.reserved || state.settled) return ok_status();
    {
      statement_scope q(settle_);
      q->bind(1, int64_t{0});
      q->bind(2, *state.reserved);
      q->bind(3, tenant_id);
      q->bind(4, state.period_start);
      q->exec();
    }
    insert_ledger(ledger_insert_, tenant_id, state.period_start, job_id, reserve_step, "release",
                  *state.reserved);
    sp.release();
    return ok_status();
  });
}

result<bool> usage_repo::mark_alert(int64_t tenant_id, int64_t period_start, int percent,
                                    int64_t now_ms) {
  if (percent != 80 && percent != 100)
    return make_error(errc::invalid_argument, "no usage alert at " + std::to_string(percent) + "%");
  return guarded("usage alert", [&]() -> result<bool> {
    statement_scope q(percent == 80 ? mark_alert_80_ : mark_alert_100_);
    q->bind(1, now_ms);
    q->bind(2, tenant_id);
    q->bind(3, period_start);
    return q->exec() > 0;
  });
}

}  // namespace aibud::storage
