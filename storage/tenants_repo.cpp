#include "storage/tenants_repo.hpp"

#include <algorithm>
#include <cctype>

#include "base/time.hpp"
#include "storage/sqlite_internal.hpp"

namespace aibud::storage {
namespace {

using detail::guarded;
using detail::statement_scope;

constexpr const char* columns =
    "id, name, plan, status, anchor_day, language, credits_limit, settings, created_at, "
    "updated_at";

std::string select_where(const char* where) {
  return std::string("SELECT ") + columns + " FROM tenants " + where;
}

tenant read_row(SQLite::Statement& q) {
  tenant t;
  t.id = q.getColumn(0).getInt64();
  t.name = q.getColumn(1).getString();
  t.plan = q.getColumn(2).getString();
  t.status = q.getColumn(3).getString();
  t.anchor_day = q.getColumn(4).getInt();
  t.language = q.getColumn(5).getString();
  t.credits_limit = q.getColumn(6).getInt64();
  t.settings = q.getColumn(7).getString();
  t.created_at = q.getColumn(8).getInt64();
  t.updated_at = q.getColumn(9).getInt64();
  return t;
}

bool valid_language(const std::string& language) {
  return language == "en" || language == "pt-BR";
}

bool all_digits(std::string_view s) {
  return !s.empty() && s.size() <= 18 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

tenants_repo::tenants_repo(SQLite::Database& db)
    : db_(db),
      insert_(db,
              "INSERT INTO tenants (name, plan, credits_limit, anchor_day, language, "
              "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"),
      by_id_(db, select_where("WHERE id = ?")),
      by_name_(db, select_where("WHERE name = ?")),
      list_(db, select_where("ORDER BY id")),
      update_(db,
              "UPDATE tenants SET plan = coalesce(?, plan), "
              "credits_limit = coalesce(?, credits_limit), language = coalesce(?, language), "
              "settings = coalesce(?, settings), updated_at = ? WHERE id = ?") {}

result<tenant> tenants_repo::create(const std::string& name, const std::string& plan,
                                    int64_t credits_limit, int anchor_day,
                                    const std::string& language) {
  if (name.empty()) return make_error(errc::invalid_argument, "tenant name is empty");
  if (plan.empty()) return make_error(errc::invalid_argument, "plan is empty");
  if (anchor_day < 1 || anchor_day > 28)
    return make_error(errc::invalid_argument, "anchor day must be 1..28");
  if (!valid_language(language))
    return make_error(errc::invalid_argument, "language must be en or pt-BR");
  if (credits_limit < 0) return make_error(errc::invalid_argument, "credits must be 0 or more");
  auto id = guarded("tenant create", [&]() -> result<int64_t> {
    statement_scope q(insert_);
    int64_t now = time::now_ms();
    q->bind(1, name);
    q->bind(2, plan);
    q->bind(3, credits_limit);
    q->bind(4, anchor_day);
    q->bind(5, language);
    q->bind(6, now);
    q->bind(7, now);
    q->exec();
    return db_.getLastInsertRowid();
  });
  if (!id) {
    if (id.err().code == errc::conflict)
      return make_error(errc::conflict, "tenant " + name + " already exists");
    return id.err();
  }
  return get(*id);
}

result<tenant> tenants_repo::get(int64_t id) {
  return guarded("tenant get", [&]() -> result<tenant> {
    statement_scope q(by_id_);
    q->bind(1, id);
    if (!q->executeStep()) return detail::not_found("no tenant " + std::to_string(id));
    return read_row(*q);
  });
}

result<tenant> tenants_repo::find(std::string_view id_or_name) {
  if (all_digits(id_or_name)) {
    auto by_id = get(std::stoll(std::string(id_or_name)));
    if (by_id || by_id.err().code != errc::not_found) return by_id;
  }
  return guarded("tenant find", [&]() -> result<tenant> {
    statement_scope q(by_name_);
    q->bind(1, std::string(id_or_name));
    if (!q->executeStep()) return detail::not_found("no tenant " + std::string(id_or_name));
    return read_row(*q);
  });
}

result<std::vector<tenant>> tenants_repo::list() {
  return guarded("tenant list", [&]() -> result<std::vector<tenant>> {
    statement_scope q(list_);
    std::vector<tenant> out;
    while (q->executeStep()) out.push_back(read_row(*q));
    return out;
  });
}

result<tenant> tenants_repo::update(int64_t id, const tenant_changes& changes) {
  if (changes.plan && changes.plan->empty())
    return make_error(errc::invalid_argument, "plan is empty");
  if (changes.credits_limit && *changes.credits_limit < 0)
    return make_error(errc::invalid_argument, "credits must be 0 or more");
  if (changes.language && !valid_language(*changes.language))
    return make_error(errc::invalid_argument, "language must be en or pt-BR");
  auto changed = guarded("tenant update", [&]() -> result<int> {
    statement_scope q(update_);
    detail::bind_opt(*q, 1, changes.plan);
    detail::bind_opt(*q, 2, changes.credits_limit);
    detail::bind_opt(*q, 3, changes.language);
    detail::bind_opt(*q, 4, changes.settings);
    q->bind(5, time::now_ms());
    q->bind(6, id);
    return q->exec();
  });
  if (!changed) return changed.err();
  if (*changed == 0) return detail::not_found("no tenant " + std::to_string(id));
  return get(id);
}

}  // namespace aibud::storage
