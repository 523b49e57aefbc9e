#include "storage/interactions_repo.hpp"

#include "base/time.hpp"
#include "storage/sqlite_internal.hpp"

namespace aibud::storage {
namespace {

using detail::guarded;
using detail::statement_scope;

constexpr const char* columns =
    "id, tenant_id, instance_id, contact_id, job_id, direction, kind, content, agent, model, "
    "tokens_in, tokens_out, credits, wa_message_id, created_at";

std::vector<interaction> read_all(SQLite::Statement& q) {
  std::vector<interaction> out;
  while (q.executeStep()) {
    interaction i;
    i.id = q.getColumn(0).getInt64();
    i.tenant_id = q.getColumn(1).getInt64();
    i.instance_id = q.getColumn(2).getInt64();
    i.contact_id = detail::opt_int(q.getColumn(3));
    i.job_id = detail::opt_int(q.getColumn(4));
    i.direction = q.getColumn(5).getString();
    i.kind = q.getColumn(6).getString();
    i.content = q.getColumn(7).getString();
    i.agent = detail::opt_text(q.getColumn(8));
    i.model = detail::opt_text(q.getColumn(9));
    i.tokens_in = q.getColumn(10).getInt64();
    i.tokens_out = q.getColumn(11).getInt64();
    i.credits = q.getColumn(12).getInt64();
    i.wa_message_id = detail::opt_text(q.getColumn(13));
    i.created_at = q.getColumn(14).getInt64();
    out.push_back(std::move(i));
  }
  return out;
}

}  // namespace

interactions_repo::interactions_repo(SQLite::Database& db)
    : db_(db),
      insert_(db,
              "INSERT INTO interactions (tenant_id, instance_id, contact_id, job_id, direction, "
              "kind, content, agent, model, tokens_in, tokens_out, credits, wa_message_id, "
              "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
      // The newest rows by id, turned back into reading order.
      for_contact_(db, std::string("SELECT * FROM (SELECT ") + columns +
                           " FROM interactions WHERE contact_id = ? ORDER BY id DESC LIMIT ?) "
                           "ORDER BY id"),
      for_instance_(db, std::string("SELECT ") + columns +
                            " FROM interactions WHERE instance_id = ? AND id > ? "
                            "ORDER BY id LIMIT ?"),
      move_contact_(db, "UPDATE interactions SET contact_id = ? WHERE contact_id = ?") {}

result<int64_t> interactions_repo::append(const interaction& i) {
  if (i.direction != "in" && i.direction != "out")
    return make_error(errc::invalid_argument, "direction must be in or out");
  return guarded("interaction append", [&]() -> result<int64_t> {
    statement_scope q(insert_);
    q->bind(1, i.tenant_id);
    q->bind(2, i.instance_id);
    detail::bind_opt(*q, 3, i.contact_id);
    detail::bind_opt(*q, 4, i.job_id);
    q->bind(5, i.direction);
    q->bind(6, i.kind.empty() ? std::string("text") : i.kind);
    q->bind(7, i.content);
    detail::bind_opt(*q, 8, i.agent);
    detail::bind_opt(*q, 9, i.model);
    q->bind(10, i.tokens_in);
    q->bind(11, i.tokens_out);
    q->bind(12, i.credits);
    detail::bind_opt(*q, 13, i.wa_message_id);
    q->bind(14, i.created_at != 0 ? i.created_at : time::now_ms());
    q->exec();
    return db_.getLastInsertRowid();
  });
}

result<std::vector<interaction>> interactions_repo::for_contact(int64_t contact_id, int limit) {
  return guarded("interaction list", [&]() -> result<std::vector<interaction>> {
    statement_scope q(for_contact_);
    q->bind(1, contact_id);
    q->bind(2, limit);
    return read_all(*q);
  });
}

result<std::vector<interaction>> interactions_repo::for_instance(int64_t instance_id, int limit,
                                                                 int64_t after_id) {
  return guarded("interaction list", [&]() -> result<std::vector<interaction>> {
    statement_scope q(for_instance_);
    q->bind(1, instance_id);
    q->bind(2, after_id);
    q->bind(3, limit);
    return read_all(*q);
  });
}

result<int> interactions_repo::move_contact(int64_t from, int64_t into) {
  return guarded("interaction move", [&]() -> result<int> {
    statement_scope q(move_contact_);
    q->bind(1, into);
    q->bind(2, from);
    return q->exec();
  });
}

}  // namespace aibud::storage
