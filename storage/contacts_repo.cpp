#include "storage/contacts_repo.hpp"

#include "base/time.hpp"
#include "storage/sqlite_internal.hpp"

namespace aibud::storage {
namespace {

using detail::guarded;
using detail::statement_scope;

constexpr const char* columns =
    "c.id, c.instance_id, c.jid, c.name, c.status, c.status_before_handoff, c.paused_until, "
    "c.last_activity_at, c.context, c.open_poll, c.grace_period_start, c.created_at, "
    "c.updated_at";

std::string select_where(const char* rest) {
  return std::string("SELECT ") + columns + " FROM contacts c " + rest;
}

contact read_row(SQLite::Statement& q) {
  contact c;
  c.id = q.getColumn(0).getInt64();
  c.instance_id = q.getColumn(1).getInt64();
  c.jid = q.getColumn(2).getString();
  c.name = q.getColumn(3).getString();
  c.status = q.getColumn(4).getString();
  c.status_before_handoff = detail::opt_text(q.getColumn(5));
  c.paused_until = detail::opt_int(q.getColumn(6));
  c.last_activity_at = detail::opt_int(q.getColumn(7));
  c.context = q.getColumn(8).getString();
  c.open_poll = detail::opt_text(q.getColumn(9));
  c.grace_period_start = detail::opt_int(q.getColumn(10));
  c.created_at = q.getColumn(11).getInt64();
  c.updated_at = q.getColumn(12).getInt64();
  return c;
}

}  // namespace

contacts_repo::contacts_repo(SQLite::Database& db)
    : db_(db),
      insert_(db,
              "INSERT INTO contacts (instance_id, jid, name, created_at, updated_at) "
              "VALUES (?, ?, ?, ?, ?)"),
      insert_alias_(db,
                    "INSERT INTO contact_aliases (instance_id, jid, contact_id) VALUES (?, ?, ?)"),
      by_id_(db, select_where("WHERE c.id = ?")),
      by_alias_(db, select_where("JOIN contact_aliases a ON a.contact_id = c.id "
                                 "WHERE a.instance_id = ? AND a.jid = ?")),
      by_jid_(db, select_where("WHERE c.instance_id = ? AND c.jid = ?")),
      list_(db, select_where("WHERE c.instance_id = ? ORDER BY c.id")),
      save_(db,
            "UPDATE contacts SET name = ?, status = ?, status_before_handoff = ?, "
            "paused_until = ?, last_activity_at = ?, context = ?, open_poll = ?, "
            "grace_period_start = ?, updated_at = ? WHERE id = ?"),
      set_jid_(db, "UPDATE contacts SET jid = ?, updated_at = ? WHERE id = ?"),
      delete_(db, "DELETE FROM contacts WHERE id = ?") {}

result<contact> contacts_repo::create(int64_t instance_id, const std::string& jid,
                                      const std::string& name) {
  if (jid.empty()) return make_error(errc::invalid_argument, "contact jid is empty");
  auto id = guarded("contact create", [&]() -> result<int64_t> {
    detail::savepoint sp(db_, "contact_create");
    int64_t now = time::now_ms();
    {
      statement_scope q(insert_);
      q->bind(1, instance_id);
      q->bind(2, jid);
      q->bind(3, name);
      q->bind(4, now);
      q->bind(5, now);
      q->exec();
    }
    int64_t id = db_.getLastInsertRowid();
    {
      statement_scope q(insert_alias_);
      q->bind(1, instance_id);
      q->bind(2, jid);
      q->bind(3, id);
      q->exec();
    }
    sp.release();
    return id;
  });
  if (!id) {
    if (id.err().code == errc::conflict)
      return make_error(errc::conflict, "contact " + jid + " already exists");
    return id.err();
  }
  return get(*id);
}

result<contact> contacts_repo::get(int64_t id) {
  return guarded("contact get", [&]() -> result<contact> {
    statement_scope q(by_id_);
    q->bind(1, id);
    if (!q->executeStep()) return detail::not_found("no contact " + std::to_string(id));
    return read_row(*q);
  });
}

result<contact> contacts_repo::find(int64_t instance_id, const std::string& jid) {
  return guarded("contact find", [&]() -> result<contact> {
    for (SQLite::Statement* stmt : {&by_alias_, &by_jid_}) {
      statement_scope q(*stmt);
      q->bind(1, instance_id);
      q->bind(2, jid);
      if (q->executeStep()) return read_row(*q);
    }
    return detail::not_found("no contact " + jid);
  });
}

result<std::vector<contact>> contacts_repo::list(int64_t instance_id) {
  return guarded("contact list", [&]() -> result<std::vector<contact>> {
    statement_scope q(list_);
    q->bind(1, instance_id);
    std::vector<contact> out;
    while (q->executeStep()) out.push_back(read_row(*q));
    return out;
  });
}

status contacts_repo::save(const contact& c) {
  return guarded("contact save", [&]() -> status {
    statement_scope q(save_);
    q->bind(1, c.name);
    q->bind(2, c.status);
    detail::bind_opt(*q, 3, c.status_before_handoff);
    detail::bind_opt(*q, 4, c.paused_until);
    detail::bind_opt(*q, 5, c.last_activity_at);
    q->bind(6, c.context.empty() ? std::string("[]") : c.context);
    detail::bind_opt(*q, 7, c.open_poll);
    detail::bind_opt(*q, 8, c.grace_period_start);
    q->bind(9, time::now_ms());
    q->bind(10, c.id);
    if (q->exec() == 0) return detail::not_found("no contact " + std::to_string(c.id));
    return ok_status();
  });
}

status contacts_repo::set_jid(int64_t id, const std::string& jid) {
  return guarded("contact jid", [&]() -> status {
    statement_scope q(set_jid_);
    q->bind(1, jid);
    q->bind(2, time::now_ms());
    q->bind(3, id);
    if (q->exec() == 0) return detail::not_found("no contact " + std::to_string(id));
    return ok_status();
  });
}

status contacts_repo::remove(int64_t id) {
  return guarded("contact delete", [&]() -> status {
    statement_scope q(delete_);
    q->bind(1, id);
    if (q->exec() == 0) return detail::not_found("no contact " + std::to_string(id));
    return ok_status();
  });
}

contact_aliases_repo::contact_aliases_repo(SQLite::Database& db)
    : db_(db),
      insert_(db,
              "INSERT INTO contact_aliases (instance_id, jid, contact_id) VALUES (?, ?, ?) "
              "ON CONFLICT (instance_id, jid) DO NOTHING"),
      resolve_(db, "SELECT contact_id FROM contact_aliases WHERE instance_id = ? AND jid = ?"),
      // A contact's aliases all belong to its instance, so this is jid order; it is also the
      // order of contact_aliases_contact (contact_id, then the key), which saves a sort.
      of_(db, "SELECT jid FROM contact_aliases WHERE contact_id = ? ORDER BY instance_id, jid"),
      move_(db, "UPDATE contact_aliases SET contact_id = ? WHERE contact_id = ?") {}

status contact_aliases_repo::add(int64_t instance_id, const std::string& jid, int64_t contact_id) {
  return guarded("alias add", [&]() -> status {
    {
      statement_scope q(insert_);
      q->bind(1, instance_id);
      q->bind(2, jid);
      q->bind(3, contact_id);
      if (q->exec() == 1) return ok_status();
    }
    statement_scope q(resolve_);
    q->bind(1, instance_id);
    q->bind(2, jid);
    if (q->executeStep() && q->getColumn(0).getInt64() == contact_id) return ok_status();
    return make_error(errc::conflict, "jid " + jid + " belongs to another contact");
  });
}

result<std::optional<int64_t>> contact_aliases_repo::resolve(int64_t instance_id,
                                                             const std::string& jid) {
  return guarded("alias resolve", [&]() -> result<std::optional<int64_t>> {
    statement_scope q(resolve_);
    q->bind(1, instance_id);
    q->bind(2, jid);
    if (!q->executeStep()) return std::optional<int64_t>();
    return std::optional<int64_t>(q->getColumn(0).getInt64());
  });
}

result<std::vector<std::string>> contact_aliases_repo::of(int64_t contact_id) {
  return guarded("alias list", [&]() -> result<std::vector<std::string>> {
    statement_scope q(of_);
    q->bind(1, contact_id);
    std::vector<std::string> out;
    while (q->executeStep()) out.push_back(q->getColumn(0).getString());
    return out;
  });
}

result<int> contact_aliases_repo::move(int64_t from_contact, int64_t to_contact) {
  return guarded("alias move", [&]() -> result<int> {
    statement_scope q(move_);
    q->bind(1, to_contact);
    q->bind(2, from_contact);
    return q->exec();
  });
}

}  // namespace aibud::storage
