#include "storage/sent_messages_repo.hpp"

#include "base/time.hpp"
#include "storage/sqlite_internal.hpp"

namespace aibud::storage {
namespace {

using detail::guarded;
using detail::statement_scope;

constexpr const char* select_columns =
    "SELECT id, instance_id, contact_id, job_id, step, wa_message_id, content_hash, created_at "
    "FROM sent_messages ";

std::vector<sent_message> read_all(SQLite::Statement& q) {
  std::vector<sent_message> out;
  while (q.executeStep()) {
    sent_message m;
    m.id = q.getColumn(0).getInt64();
    m.instance_id = q.getColumn(1).getInt64();
    m.contact_id = detail::opt_int(q.getColumn(2));
    m.job_id = detail::opt_int(q.getColumn(3));
    m.step = detail::opt_text(q.getColumn(4));
    m.wa_message_id = q.getColumn(5).getString();
    m.content_hash = q.getColumn(6).getString();
    m.created_at = q.getColumn(7).getInt64();
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace

sent_messages_repo::sent_messages_repo(SQLite::Database& db)
    : db_(db),
      insert_(db,
              "INSERT INTO sent_messages (instance_id, contact_id, job_id, step, wa_message_id, "
              "content_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"),
      contains_(db, "SELECT 1 FROM sent_messages WHERE instance_id = ? AND wa_message_id = ?"),
      for_job_(db, std::string(select_columns) + "WHERE job_id = ? ORDER BY id"),
      since_(db, std::string(select_columns) +
                     "WHERE instance_id = ? AND contact_id = ? AND created_at >= ? "
                     "ORDER BY created_at, id"),
      move_contact_(db, "UPDATE sent_messages SET contact_id = ? WHERE contact_id = ?") {}

result<int64_t> sent_messages_repo::insert(const sent_message& m) {
  if (m.wa_message_id.empty())
    return make_error(errc::invalid_argument, "a sent message needs its message id");
  return guarded("sent message insert", [&]() -> result<int64_t> {
    statement_scope q(insert_);
    q->bind(1, m.instance_id);
    detail::bind_opt(*q, 2, m.contact_id);
    detail::bind_opt(*q, 3, m.job_id);
    detail::bind_opt(*q, 4, m.step);
    q->bind(5, m.wa_message_id);
    q->bind(6, m.content_hash);
    q->bind(7, m.created_at != 0 ? m.created_at : time::now_ms());
    q->exec();
    return db_.getLastInsertRowid();
  });
}

result<bool> sent_messages_repo::contains(int64_t instance_id, const std::string& wa_message_id) {
  return guarded("sent message lookup", [&]() -> result<bool> {
    statement_scope q(contains_);
    q->bind(1, instance_id);
    q->bind(2, wa_message_id);
    return q->executeStep();
  });
}

result<std::vector<sent_message>> sent_messages_repo::for_job(int64_t job_id) {
  return guarded("sent message list", [&]() -> result<std::vector<sent_message>> {
    statement_scope q(for_job_);
    q->bind(1, job_id);
    return read_all(*q);
  });
}

result<std::vector<sent_message>> sent_messages_repo::since(int64_t instance_id, int64_t contact_id,
                                                            int64_t since_ms) {
  return guarded("sent message list", [&]() -> result<std::vector<sent_message>> {
    statement_scope q(since_);
    q->bind(1, instance_id);
    q->bind(2, contact_id);
    q->bind(3, since_ms);
    return read_all(*q);
  });
}

result<int> sent_messages_repo::move_contact(int64_t from, int64_t into) {
  return guarded("sent message move", [&]() -> result<int> {
    statement_scope q(move_contact_);
    q->bind(1, into);
    q->bind(2, from);
    return q->exec();
  });
}

}  // namespace aibud::storage
