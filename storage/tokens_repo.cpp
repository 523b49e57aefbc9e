#include "storage/tokens_repo.hpp"

#include "base/time.hpp"
#include "storage/sqlite_internal.hpp"

namespace aibud::storage {
namespace {

using detail::guarded;
using detail::statement_scope;

constexpr const char* columns =
    "id, token_hash, role, tenant_id, created_at, last_used_at, revoked_at";

std::string select_where(const char* where) {
  return std::string("SELECT ") + columns + " FROM api_tokens " + where;
}

api_token read_row(SQLite::Statement& q) {
  api_token t;
  t.id = q.getColumn(0).getInt64();
  t.token_hash = q.getColumn(1).getString();
  t.role = q.getColumn(2).getString();
  t.tenant_id = detail::opt_int(q.getColumn(3));
  t.created_at = q.getColumn(4).getInt64();
  t.last_used_at = detail::opt_int(q.getColumn(5));
  t.revoked_at = detail::opt_int(q.getColumn(6));
  return t;
}

}  // namespace

tokens_repo::tokens_repo(SQLite::Database& db)
    : db_(db),
      insert_(db,
              "INSERT INTO api_tokens (token_hash, role, tenant_id, created_at) "
              "VALUES (?, ?, ?, ?)"),
      tenant_exists_(db, "SELECT 1 FROM tenants WHERE id = ?"),
      list_(db, select_where("ORDER BY id")),
      by_id_(db, select_where("WHERE id = ?")),
      revoke_(db, "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?"),
      by_hash_(db, select_where("WHERE token_hash = ? AND revoked_at IS NULL")),
      touch_(db, "UPDATE api_tokens SET last_used_at = ? WHERE id = ?") {}

result<api_token> tokens_repo::create(const std::string& token_hash, const std::string& role,
                                      std::optional<int64_t> tenant_id) {
  if (token_hash.empty()) return make_error(errc::invalid_argument, "token hash is empty");
  if (role != "owner" && role != "admin" && role != "viewer")
    return make_error(errc::invalid_argument, "role must be owner, admin or viewer");
  auto id = guarded("token create", [&]() -> result<int64_t> {
    if (tenant_id) {
      statement_scope t(tenant_exists_);
      t->bind(1, *tenant_id);
      if (!t->executeStep()) return detail::not_found("no tenant " + std::to_string(*tenant_id));
    }
    statement_scope q(insert_);
    q->bind(1, token_hash);
    q->bind(2, role);
    detail::bind_opt(*q, 3, tenant_id);
    q->bind(4, time::now_ms());
    q->exec();
    return db_.getLastInsertRowid();
  });
  if (!id) return id.err();
  return get(*id);
}

result<std::vector<api_token>> tokens_repo::list() {
  return guarded("token list", [&]() -> result<std::vector<api_token>> {
    statement_scope q(list_);
    std::vector<api_token> out;
    while (q->executeStep()) out.push_back(read_row(*q));
    return out;
  });
}

result<api_token> tokens_repo::get(int64_t id) {
  return guarded("token get", [&]() -> result<api_token> {
    statement_scope q(by_id_);
    q->bind(1, id);
    if (!q->executeStep()) return detail::not_found("no token " + std::to_string(id));
    return read_row(*q);
  });
}

status tokens_repo::revoke(int64_t id) {
  return guarded("token revoke", [&]() -> status {
    statement_scope q(revoke_);
    q->bind(1, time::now_ms());
    q->bind(2, id);
    if (q->exec() == 0) return detail::not_found("no token " + std::to_string(id));
    return ok_status();
  });
}

result<api_token> tokens_repo::find_by_hash(const std::string& token_hash) {
  return guarded("token lookup", [&]() -> result<api_token> {
    statement_scope q(by_hash_);
    q->bind(1, token_hash);
    if (!q->executeStep()) return detail::not_found("no such token");
    return read_row(*q);
  });
}

status tokens_repo::touch(int64_t id) {
  return guarded("token touch", [&]() -> status {
    statement_scope q(touch_);
    q->bind(1, time::now_ms());
    q->bind(2, id);
    if (q->exec() == 0) return detail::not_found("no token " + std::to_string(id));
    return ok_status();
  });
}

}  // namespace aibud::storage
