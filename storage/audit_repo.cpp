#include "storage/audit_repo.hpp"

#include "base/time.hpp"
#include "storage/sqlite_internal.hpp"

namespace aibud::storage {

using detail::guarded;
using detail::statement_scope;

audit_repo::audit_repo(SQLite::Database& db)
    : db_(db),
      insert_(db,
              "INSERT INTO audit_log (at, actor, action, target, tenant_id, details) "
              "VALUES (?, ?, ?, ?, ?, ?)"),
      list_(db,
            "SELECT id, at, actor, action, target, tenant_id, details FROM audit_log "
            "ORDER BY id DESC LIMIT ?") {}

result<int64_t> audit_repo::append(const std::string& actor, const std::string& action,
                                   const std::string& target, std::optional<int64_t> tenant_id,
                                   const std::string& details_json) {
  return guarded("audit append", [&]() -> result<int64_t> {
    statement_scope q(insert_);
    q->bind(1, time::now_ms());
    q->bind(2, actor);
    q->bind(3, action);
    q->bind(4, target);
    detail::bind_opt(*q, 5, tenant_id);
    q->bind(6, details_json.empty() ? std::string("{}") : details_json);
    q->exec();
    return db_.getLastInsertRowid();
  });
}

result<std::vector<audit_entry>> audit_repo::list(int limit) {
  return guarded("audit list", [&]() -> result<std::vector<audit_entry>> {
    statement_scope q(list_);
    q->bind(1, limit);
    std::vector<audit_entry> out;
    while (q->executeStep()) {
      audit_entry e;
      e.id = q->getColumn(0).getInt64();
      e.at = q->getColumn(1).getInt64();
      e.actor = q->getColumn(2).getString();
      e.action = q->getColumn(3).getString();
      e.target = q->getColumn(4).getString();
      e.tenant_id = detail::opt_int(q->getColumn(5));
      e.details = q->getColumn(6).getString();
      out.push_back(std::move(e));
    }
    return out;
  });
}

}  // namespace aibud::storage
