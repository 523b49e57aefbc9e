#include "storage/instances_repo.hpp"

#include "base/time.hpp"
#include "storage/sqlite_internal.hpp"

namespace aibud::storage {
namespace {

using detail::guarded;
using detail::statement_scope;

constexpr const char* columns =
    "id, name, tenant_id, kind, evolution_url, api_key, webhook_secret, state, qr_code, "
    "pairing_code, owner_jid, state_updated_at, created_at, updated_at";

std::string select_where(const char* where) {
  return std::string("SELECT ") + columns + " FROM instances " + where;
}

instance read_row(SQLite::Statement& q) {
  instance i;
  i.id = q.getColumn(0).getInt64();
  i.name = q.getColumn(1).getString();
  i.tenant_id = q.getColumn(2).getInt64();
  i.kind = q.getColumn(3).getString();
  i.evolution_url = q.getColumn(4).getString();
  i.api_key = q.getColumn(5).getString();
  i.webhook_secret = q.getColumn(6).getString();
  i.state = q.getColumn(7).getString();
  i.qr_code = detail::opt_text(q.getColumn(8));
  i.pairing_code = detail::opt_text(q.getColumn(9));
  i.owner_jid = detail::opt_text(q.getColumn(10));
  i.state_updated_at = detail::opt_int(q.getColumn(11));
  i.created_at = q.getColumn(12).getInt64();
  i.updated_at = q.getColumn(13).getInt64();
  return i;
}

}  // namespace

instances_repo::instances_repo(SQLite::Database& db)
    : db_(db),
      insert_(db,
              "INSERT INTO instances (name, tenant_id, kind, evolution_url, api_key, "
              "webhook_secret, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
      tenant_exists_(db, "SELECT 1 FROM tenants WHERE id = ?"),
      by_name_(db, select_where("WHERE name = ?")),
      by_id_(db, select_where("WHERE id = ?")),
      list_all_(db, select_where("ORDER BY id")),
      list_tenant_(db, select_where("WHERE tenant_id = ? ORDER BY id")),
      delete_(db, "DELETE FROM instances WHERE name = ?"),
      update_state_(db,
                    "UPDATE instances SET state = ?, qr_code = ?, pairing_code = ?, "
                    "state_updated_at = ?, updated_at = ? WHERE name = ?"),
      set_owner_(db, "UPDATE instances SET owner_jid = ?, updated_at = ? WHERE id = ?"),
      set_secrets_(db,
                   "UPDATE instances SET api_key = ?, webhook_secret = ?, updated_at = ? "
                   "WHERE id = ?"),
      secrets_(db, "SELECT id, name, api_key, webhook_secret FROM instances ORDER BY id") {}

result<instance> instances_repo::create(const std::string& name, int64_t tenant_id,
                                        const std::string& kind, const std::string& evolution_url,
                                        const std::string& sealed_api_key,
                                        const std::string& sealed_webhook_secret) {
  if (name.empty()) return make_error(errc::invalid_argument, "instance name is empty");
  if (kind != "evolution" && kind != "sandbox")
    return make_error(errc::invalid_argument, "kind must be evolution or sandbox");
  auto id = guarded("instance create", [&]() -> result<int64_t> {
    {
      statement_scope t(tenant_exists_);
      t->bind(1, tenant_id);
      if (!t->executeStep()) return detail::not_found("no tenant " + std::to_string(tenant_id));
    }
    statement_scope q(insert_);
    int64_t now = time::now_ms();
    q->bind(1, name);
    q->bind(2, tenant_id);
    q->bind(3, kind);
    q->bind(4, evolution_url);
    q->bind(5, sealed_api_key);
    q->bind(6, sealed_webhook_secret);
    q->bind(7, now);
    q->bind(8, now);
    q->exec();
    return db_.getLastInsertRowid();
  });
  if (!id) {
    if (id.err().code == errc::conflict)
      return make_error(errc::conflict, "instance " + name + " already exists");
    return id.err();
  }
  return get(*id);
}

result<instance> instances_repo::find_by_name(std::string_view name) {
  return guarded("instance find", [&]() -> result<instance> {
    statement_scope q(by_name_);
    q->bind(1, std::string(name));
    if (!q->executeStep()) return detail::not_found("no instance " + std::string(name));
    return read_row(*q);
  });
}

result<instance> instances_repo::get(int64_t id) {
  return guarded("instance get", [&]() -> result<instance> {
    statement_scope q(by_id_);
    q->bind(1, id);
    if (!q->executeStep()) return detail::not_found("no instance " + std::to_string(id));
    return read_row(*q);
  });
}

result<std::vector<instance>> instances_repo::list(std::optional<int64_t> tenant_id) {
  return guarded("instance list", [&]() -> result<std::vector<instance>> {
    statement_scope q(tenant_id ? list_tenant_ : list_all_);
    if (tenant_id) q->bind(1, *tenant_id);
    std::vector<instance> out;
    while (q->executeStep()) out.push_back(read_row(*q));
    return out;
  });
}

status instances_repo::remove(std::string_view name) {
  return guarded("instance delete", [&]() -> status {
    statement_scope q(delete_);
    q->bind(1, std::string(name));
    if (q->exec() == 0) return detail::not_found("no instance " + std::string(name));
    return ok_status();
  });
}

status instances_repo::update_state(std::string_view name, const std::string& state,
                                    const std::optional<std::string>& qr_code,
                                    const std::optional<std::string>& pairing_code) {
  return guarded("instance state", [&]() -> status {
    statement_scope q(update_state_);
    int64_t now = time::now_ms();
    q->bind(1, state);
    detail::bind_opt(*q, 2, qr_code);
    detail::bind_opt(*q, 3, pairing_code);
    q->bind(4, now);
    q->bind(5, now);
    q->bind(6, std::string(name));
    if (q->exec() == 0) return detail::not_found("no instance " + std::string(name));
    return ok_status();
  });
}

status instances_repo::set_owner_jid(int64_t id, const std::string& owner_jid) {
  return guarded("instance owner", [&]() -> status {
    statement_scope q(set_owner_);
    q->bind(1, owner_jid);
    q->bind(2, time::now_ms());
    q->bind(3, id);
    if (q->exec() == 0) return detail::not_found("no instance " + std::to_string(id));
    return ok_status();
  });
}

status instances_repo::set_secrets(int64_t id, const std::string& api_key,
                                   const std::string& webhook_secret) {
  return guarded("instance secrets", [&]() -> status {
    statement_scope q(set_secrets_);
    q->bind(1, api_key);
    q->bind(2, webhook_secret);
    q->bind(3, time::now_ms());
    q->bind(4, id);
    if (q->exec() == 0) return detail::not_found("no instance " + std::to_string(id));
    return ok_status();
  });
}

result<std::vector<instance_secrets>> instances_repo::all_secrets() {
  return guarded("instance secrets", [&]() -> result<std::vector<instance_secrets>> {
    statement_scope q(secrets_);
    std::vector<instance_secrets> out;
    while (q->executeStep()) {
      out.push_back({q->getColumn(0).getInt64(), q->getColumn(1).getString(),
                     q->getColumn(2).getString(), q->getColumn(3).getString()});
    }
    return out;
  });
}

result<int> reseal_instance_secrets(SQLite::Database& db,
                                    const std::function<std::string(std::string_view)>& seal,
                                    const std::function<bool(std::string_view)>& is_sealed) {
  return guarded("reseal secrets", [&]() -> result<int> {
    detail::savepoint sp(db, "reseal_secrets");
    instances_repo repo(db);
    auto rows = repo.all_secrets();
    if (!rows) return rows.err();
    int sealed = 0;
    auto reseal = [&](std::string& value) {
      if (value.empty() || is_sealed(value)) return false;
      value = seal(value);
      ++sealed;
      return true;
    };
    for (instance_secrets& row : *rows) {
      bool changed = reseal(row.api_key);
      changed = reseal(row.webhook_secret) || changed;
      if (!changed) continue;
      status saved = repo.set_secrets(row.id, row.api_key, row.webhook_secret);
      if (!saved) return saved.err();
    }
    sp.release();
    return sealed;
  });
}

}  // namespace aibud::storage
