#include "storage/failed_jobs_repo.hpp"

#include "base/time.hpp"
#include "storage/sqlite_internal.hpp"

namespace aibud::storage {
namespace {

using detail::guarded;
using detail::statement_scope;

// The instance may have been deleted since: the entry outlives it, with an empty name.
constexpr const char* select_columns =
    "SELECT f.id, f.job_id, f.instance_id, coalesce(i.name, ''), f.contact_key, f.payload, "
    "f.steps, f.error, f.attempts, f.failed_at FROM failed_jobs f "
    "LEFT JOIN instances i ON i.id = f.instance_id ";

dead_letter read_row(SQLite::Statement& q) {
  dead_letter d;
  d.id = q.getColumn(0).getInt64();
  d.job_id = q.getColumn(1).getInt64();
  d.instance_id = q.getColumn(2).getInt64();
  d.instance_name = q.getColumn(3).getString();
  d.contact_key = q.getColumn(4).getString();
  d.payload = q.getColumn(5).getString();
  d.steps = q.getColumn(6).getString();
  d.error = q.getColumn(7).getString();
  d.attempts = q.getColumn(8).getInt64();
  d.failed_at = q.getColumn(9).getInt64();
  return d;
}

}  // namespace

failed_jobs_repo::failed_jobs_repo(SQLite::Database& db)
    : db_(db),
      record_(db,
              "INSERT INTO failed_jobs (job_id, instance_id, contact_key, payload, steps, error, "
              "attempts, failed_at) SELECT id, instance_id, contact_key, "
              "coalesce((SELECT payload FROM job_payloads WHERE job_id = jobs.id), ''), steps, ?2, "
              "attempts, ?3 FROM jobs WHERE id = ?1 "
              "ON CONFLICT (job_id) DO UPDATE SET steps = excluded.steps, "
              "error = excluded.error, attempts = excluded.attempts, "
              "failed_at = excluded.failed_at"),
      fail_job_(db,
                "UPDATE jobs SET status = 'failed', last_error = ?, updated_at = ? WHERE id = ?"),
      by_id_(db, std::string(select_columns) + "WHERE f.id = ?"),
      by_job_(db, "SELECT id FROM failed_jobs WHERE job_id = ?"),
      list_(db, std::string(select_columns) + "WHERE f.id > ? ORDER BY f.id LIMIT ?"),
      requeue_(db,
               "UPDATE jobs SET status = 'pending', attempts = 0, not_before = NULL, "
               "updated_at = ? WHERE id = ?"),
      delete_(db, "DELETE FROM failed_jobs WHERE id = ?"),
      delete_all_(db, "DELETE FROM failed_jobs") {}

result<int64_t> failed_jobs_repo::record(int64_t job_id, const std::string& error) {
  return guarded("dead letter record", [&]() -> result<int64_t> {
    detail::savepoint sp(db_, "dlq_record");
    int64_t now = time::now_ms();
    {
      statement_scope q(fail_job_);
      q->bind(1, error);
      q->bind(2, now);
      q->bind(3, job_id);
      if (q->exec() == 0) return detail::not_found("no job " + std::to_string(job_id));
    }
    {
      statement_scope q(record_);
      q->bind(1, job_id);
      q->bind(2, error);
      q->bind(3, now);
      q->exec();
    }
    int64_t id = 0;
    {
      statement_scope q(by_job_);
      q->bind(1, job_id);
      q->executeStep();
      id = q->getColumn(0).getInt64();
    }
    sp.release();
    return id;
  });
}

result<dead_letter> failed_jobs_repo::get(int64_t id) {
  return guarded("dead letter get", [&]() -> result<dead_letter> {
    statement_scope q(by_id_);
    q->bind(1, id);
    if (!q->executeStep()) return detail::not_found("no dead letter " + std::to_string(id));
    return read_row(*q);
  });
}

result<std::vector<dead_letter>> failed_jobs_repo::list(int limit, int64_t after_id) {
  return guarded("dead letter list", [&]() -> result<std::vector<dead_letter>> {
    statement_scope q(list_);
    q->bind(1, after_id);
    q->bind(2, limit);
    std::vector<dead_letter> out;
    while (q->executeStep()) out.push_back(read_row(*q));
    return out;
  });
}

result<int64_t> failed_jobs_repo::replay(int64_t id) {
  auto entry = get(id);
  if (!entry) return entry.err();
  return guarded("dead letter replay", [&]() -> result<int64_t> {
    detail::savepoint sp(db_, "dlq_replay");
    {
      statement_scope q(requeue_);
      q->bind(1, time::now_ms());
      q->bind(2, entry->job_id);
      if (q->exec() == 0)
        return detail::not_found("job " + std::to_string(entry->job_id) + " no longer exists");
    }
    {
      statement_scope q(delete_);
      q->bind(1, id);
      q->exec();
    }
    sp.release();
    return entry->job_id;
  });
}

status failed_jobs_repo::purge(int64_t id) {
  return guarded("dead letter purge", [&]() -> status {
    statement_scope q(delete_);
    q->bind(1, id);
    if (q->exec() == 0) return detail::not_found("no dead letter " + std::to_string(id));
    return ok_status();
  });
}

result<int> failed_jobs_repo::purge_all() {
  return guarded("dead letter purge", [&]() -> result<int> {
    statement_scope q(delete_all_);
    return q->exec();
  });
}

}  // namespace aibud::storage
