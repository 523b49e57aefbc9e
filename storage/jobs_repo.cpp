#include "storage/jobs_repo.hpp"

#include "base/time.hpp"
#include "storage/sqlite_internal.hpp"

namespace aibud::storage {
namespace {

using detail::guarded;
using detail::statement_scope;

// The payload lives in its own table (migration 3): a read that does not need it leaves the
// column empty and skips the join.
enum class with_payload { yes, no };

std::string select_where(const char* where, with_payload payload = with_payload::yes) {
  const bool joined = payload == with_payload::yes;
  return std::string(
             "SELECT j.id, j.instance_id, i.name, j.wa_message_id, j.event, j.contact_key, "
             "j.sender_jids, ") +
         (joined ? "coalesce(p.payload, '')" : "''") +
         ", j.status, j.attempts, j.not_before, j.message_ts, j.steps, j.merged_into, "
         "j.last_error, j.created_at, j.updated_at FROM jobs j "
         "JOIN instances i ON i.id = j.instance_id " +
         (joined ? "LEFT JOIN job_payloads p ON p.job_id = j.id " : "") + where;
}

// `column` is pending, running or waiting. Spelled with OR: SQLite evaluates a constant IN
// list of more than two values by building an ephemeral table each time the statement runs
// (the contact's open jobs are read for every message when bursts are merged).
std::string is_unfinished(const char* column) {
  const std::string c = column;
  return "(" + c + " = 'pending' OR " + c + " = 'running' OR " + c + " = 'waiting')";
}

job read_row(SQLite::Statement& q) {
  job j;
  j.id = q.getColumn(0).getInt64();
  j.instance_id = q.getColumn(1).getInt64();
  j.instance_name = q.getColumn(2).getString();
  j.wa_message_id = detail::opt_text(q.getColumn(3));
  j.event = q.getColumn(4).getString();
  j.contact_key = q.getColumn(5).getString();
  j.sender_jids = q.getColumn(6).getString();
  j.payload = q.getColumn(7).getString();
  j.status = q.getColumn(8).getString();
  j.attempts = q.getColumn(9).getInt64();
  j.not_before = detail::opt_int(q.getColumn(10));
  j.message_ts = detail::opt_int(q.getColumn(11));
  j.steps = q.getColumn(12).getString();
  j.merged_into = detail::opt_int(q.getColumn(13));
  j.last_error = detail::opt_text(q.getColumn(14));
  j.created_at = q.getColumn(15).getInt64();
  j.updated_at = q.getColumn(16).getInt64();
  return j;
}

std::vector<job> read_all(SQLite::Statement& q) {
  std::vector<job> out;
  while (q.executeStep()) out.push_back(read_row(q));
  return out;
}

}  // namespace

bool is_job_status(const std::string& s) {
  return s == job_status::pending || s == job_status::running || s == job_status::waiting ||
         s == job_status::done || s == job_status::skipped || s == job_status::merged ||
         s == job_status::out_of_credits || s == job_status::failed;
}

jobs_repo::jobs_repo(SQLite::Database& db)
    : db_(db),
      insert_(db,
              "INSERT INTO jobs (instance_id, wa_message_id, event, contact_key, sender_jids, "
              "message_ts, not_before, created_at, updated_at) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
      // A payload row left behind by a job deleted with foreign keys off (the sqlite3 shell)
      // may hold a reused id: the new job's payload replaces it.
      insert_payload_(db,
                      "INSERT INTO job_payloads (job_id, payload) VALUES (?, ?) "
                      "ON CONFLICT (job_id) DO UPDATE SET payload = excluded.payload"),
      by_id_(db, select_where("WHERE j.id = ?")),
      by_id_without_payload_(db, select_where("WHERE j.id = ?", with_payload::no)),
      payload_(db, "SELECT payload FROM job_payloads WHERE job_id = ?"),
      by_message_(db, select_where("WHERE j.instance_id = ? AND j.wa_message_id = ?")),
      list_(db, select_where("WHERE j.id > ?1 AND (?2 IS NULL OR j.status = ?2) "
                             "AND (?3 IS NULL OR j.instance_id = ?3) ORDER BY j.id LIMIT ?4",
                             with_payload::no)),
      unfinished_(db, select_where((std::string("WHERE ") + is_unfinished("j.status") +
                                    " AND j.id > ? ORDER BY j.id LIMIT ?")
                                       .c_str(),
                                   with_payload::no)),
      // `+status` keeps the planner on the primary key: the status index would make every
      // page sort all unfinished rows again.
      unfinished_refs_(db, (std::string("SELECT id, instance_id, contact_key, sender_jids FROM "
                                        "jobs WHERE id > ? AND ") +
                            is_unfinished("+status") + " ORDER BY id LIMIT ?")
                               .c_str()),
      requeue_running_(db,
                       "UPDATE jobs SET status = 'pending', updated_at = ? WHERE status = "
                       "'running' AND updated_at < ?"),
      unfinished_contact_(db, select_where((std::string("WHERE j.instance_id = ? AND "
                                                        "j.contact_key = ? AND ") +
                                            is_unfinished("j.status") + " ORDER BY j.id")
                                               .c_str())),
      begin_attempt_(db,
                     "UPDATE jobs SET attempts = attempts + 1, status = 'running', "
                     "steps = coalesce(?, steps), updated_at = ? WHERE id = ?"),
      uncount_attempt_(db,
                       "UPDATE jobs SET attempts = max(attempts - 1, 0), updated_at = ? "
                       "WHERE id = ?"),
      set_status_(db,
                  "UPDATE jobs SET status = ?, last_error = coalesce(?, last_error), "
                  "steps = coalesce(?, steps), updated_at = ? WHERE id = ?"),
      set_steps_(db, "UPDATE jobs SET steps = ?, updated_at = ? WHERE id = ?"),
      defer_(db,
             "UPDATE jobs SET status = 'waiting', not_before = ?, "
             "last_error = coalesce(?, last_error), updated_at = ? WHERE id = ?"),
      merged_(db,
              "UPDATE jobs SET status = 'merged', merged_into = ?, updated_at = ? "
              "WHERE id = ?"),
      merged_into_(db, select_where("WHERE j.instance_id = ? AND j.contact_key = ? AND "
                                    "j.status = 'merged' AND j.merged_into = ? ORDER BY j.id")) {}

result<int64_t> jobs_repo::insert(const new_job& j) {
  auto id = guarded("job insert", [&]() -> result<int64_t> {
    statement_scope q(insert_);
    int64_t now = time::now_ms();
    q->bind(1, j.instance_id);
    detail::bind_opt(*q, 2, j.wa_message_id);
    q->bind(3, j.event);
    q->bind(4, j.contact_key);
    q->bind(5, j.sender_jids.empty() ? std::string("[]") : j.sender_jids);
    detail::bind_opt(*q, 6, j.message_ts);
    detail::bind_opt(*q, 7, j.not_before);
    q->bind(8, now);
    q->bind(9, now);
    q->exec();
    const int64_t id = db_.getLastInsertRowid();
    statement_scope p(insert_payload_);
    p->bind(1, id);
    p->bind(2, j.payload);
    p->exec();
    return id;
  });
  if (!id && id.err().code == errc::conflict)
    return make_error(errc::conflict, "duplicate message " + j.wa_message_id.value_or("") +
                                          " on instance " + std::to_string(j.instance_id));
  return id;
}

result<job> jobs_repo::get(int64_t id) {
  return one_by_id(by_id_, id);
}

result<job> jobs_repo::get_without_payload(int64_t id) {
  return one_by_id(by_id_without_payload_, id);
}

result<job> jobs_repo::one_by_id(SQLite::Statement& stmt, int64_t id) {
  return guarded("job get", [&]() -> result<job> {
    statement_scope q(stmt);
    q->bind(1, id);
    if (!q->executeStep()) return detail::not_found("no job " + std::to_string(id));
    return read_row(*q);
  });
}

result<std::string> jobs_repo::payload(int64_t id) {
  return guarded("job payload", [&]() -> result<std::string> {
    statement_scope q(payload_);
    q->bind(1, id);
    if (!q->executeStep()) return detail::not_found("no payload for job " + std::to_string(id));
    return q->getColumn(0).getString();
  });
}

result<job> jobs_repo::find_by_message(int64_t instance_id, const std::string& wa_message_id) {
  return guarded("job find", [&]() -> result<job> {
    statement_scope q(by_message_);
    q->bind(1, instance_id);
    q->bind(2, wa_message_id);
    if (!q->executeStep()) return detail::not_found("no job for message " + wa_message_id);
    return read_row(*q);
  });
}

result<std::vector<job>> jobs_repo::list(const job_filter& filter) {
  return guarded("job list", [&]() -> result<std::vector<job>> {
    statement_scope q(list_);
    q->bind(1, filter.after_id);
    detail::bind_opt(*q, 2, filter.status);
    detail::bind_opt(*q, 3, filter.instance_id);
    q->bind(4, filter.limit);
    return read_all(*q);
  });
}

result<std::vector<job>> jobs_repo::unfinished(int limit, int64_t after_id) {
  return guarded("job unfinished", [&]() -> result<std::vector<job>> {
    statement_scope q(unfinished_);
    q->bind(1, after_id);
    q->bind(2, limit);
    return read_all(*q);
  });
}

result<std::vector<job_ref>> jobs_repo::unfinished_refs(int limit, int64_t after_id) {
  return guarded("job unfinished", [&]() -> result<std::vector<job_ref>> {
    statement_scope q(unfinished_refs_);
    q->bind(1, after_id);
    q->bind(2, limit);
    std::vector<job_ref> refs;
    while (q->executeStep())
      refs.push_back({q->getColumn(0).getInt64(), q->getColumn(1).getInt64(),
                      q->getColumn(2).getString(), q->getColumn(3).getString()});
    return refs;
  });
}

result<int> jobs_repo::requeue_running(int64_t started_ms) {
  return guarded("job requeue", [&]() -> result<int> {
    statement_scope q(requeue_running_);
    q->bind(1, time::now_ms());
    q->bind(2, started_ms);
    return q->exec();
  });
}

result<std::vector<job>> jobs_repo::unfinished_for_contact(int64_t instance_id,
                                                           const std::string& contact_key) {
  return guarded("job unfinished", [&]() -> result<std::vector<job>> {
    statement_scope q(unfinished_contact_);
    q->bind(1, instance_id);
    q->bind(2, contact_key);
    return read_all(*q);
  });
}

status jobs_repo::update(SQLite::Statement& stmt, int64_t id) {
  if (stmt.exec() == 0) return detail::not_found("no job " + std::to_string(id));
  return ok_status();
}

status jobs_repo::begin_attempt(int64_t id, const std::optional<std::string>& steps_json) {
  return guarded("job attempt", [&]() -> status {
    statement_scope q(begin_attempt_);
    detail::bind_opt(*q, 1, steps_json);
    q->bind(2, time::now_ms());
    q->bind(3, id);
    return update(*q, id);
  });
}

status jobs_repo::uncount_attempt(int64_t id) {
  return guarded("job uncount attempt", [&]() -> status {
    statement_scope q(uncount_attempt_);
    q->bind(1, time::now_ms());
    q->bind(2, id);
    return update(*q, id);
  });
}

status jobs_repo::set_status(int64_t id, const std::string& status_text,
                             const std::optional<std::string>& last_error,
                             const std::optional<std::string>& steps_json) {
  if (!is_job_status(status_text))
    return make_error(errc::invalid_argument, "unknown job status " + status_text);
  return guarded("job status", [&]() -> status {
    statement_scope q(set_status_);
    q->bind(1, status_text);
    detail::bind_opt(*q, 2, last_error);
    detail::bind_opt(*q, 3, steps_json);
    q->bind(4, time::now_ms());
    q->bind(5, id);
    return update(*q, id);
  });
}

status jobs_repo::set_steps(int64_t id, const std::string& steps_json) {
  return guarded("job steps", [&]() -> status {
    statement_scope q(set_steps_);
    q->bind(1, steps_json);
    q->bind(2, time::now_ms());
    q->bind(3, id);
    return update(*q, id);
  });
}

status jobs_repo::defer(int64_t id, int64_t not_before,
                        const std::optional<std::string>& last_error) {
  return guarded("job defer", [&]() -> status {
    statement_scope q(defer_);
    q->bind(1, not_before);
    detail::bind_opt(*q, 2, last_error);
    q->bind(3, time::now_ms());
    q->bind(4, id);
    return update(*q, id);
  });
}

status jobs_repo::mark_merged(int64_t id, int64_t into_id) {
  return guarded("job merge", [&]() -> status {
    statement_scope q(merged_);
    q->bind(1, into_id);
    q->bind(2, time::now_ms());
    q->bind(3, id);
    return update(*q, id);
  });
}

result<std::vector<job>> jobs_repo::merged_into(int64_t instance_id, const std::string& contact_key,
                                                int64_t into_id) {
  return guarded("job merged", [&]() -> result<std::vector<job>> {
    statement_scope q(merged_into_);
    q->bind(1, instance_id);
    q->bind(2, contact_key);
    q->bind(3, into_id);
    return read_all(*q);
  });
}

}  // namespace aibud::storage
