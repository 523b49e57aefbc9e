// The contacts table (leads: one row per person and instance, keyed by a canonical JID) and
// the contact_aliases table (every JID seen for a contact, phone or LID, pointing at its row).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "base/error.hpp"
#include "storage/records.hpp"

namespace aibud::storage {

class contacts_repo {
 public:
  explicit contacts_repo(SQLite::Database& db);

  // Inserts a contact with status `new` and its canonical JID as its first alias.
  // Errors: conflict when (instance_id, jid) exists as a contact or an alias.
  result<contact> create(int64_t instance_id, const std::string& jid, const std::string& name = "");

  result<contact> get(int64_t id);  // Errors: not_found
  // By any of its JIDs (aliases first, then the canonical column). Errors: not_found.
  result<contact> find(int64_t instance_id, const std::string& jid);
  result<std::vector<contact>> list(int64_t instance_id);  // by id

  // Writes the mutable columns of `c` (name, status, status_before_handoff, paused_until,
  // last_activity_at, context, open_poll, grace_period_start). Errors: not_found.
  status save(const contact& c);
  // Makes `jid` the canonical JID (e.g. a phone JID found after a LID). Errors: conflict.
  status set_jid(int64_t id, const std::string& jid);
  // Deletes the contact and (by cascade) its aliases. Errors: not_found.
  status remove(int64_t id);

 private:
  SQLite::Database& db_;
  SQLite::Statement insert_;
  SQLite::Statement insert_alias_;
  SQLite::Statement by_id_;
  SQLite::Statement by_alias_;
  SQLite::Statement by_jid_;
  SQLite::Statement list_;
  SQLite::Statement save_;
  SQLite::Statement set_jid_;
  SQLite::Statement delete_;
};

class contact_aliases_repo {
 public:
  explicit contact_aliases_repo(SQLite::Database& db);

  // Points `jid` at `contact_id`. Adding an alias that already points there is ok.
  // Errors: conflict when it points at another contact.
  status add(int64_t instance_id, const std::string& jid, int64_t contact_id);
  // The contact a JID names, if any.
  result<std::optional<int64_t>> resolve(int64_t instance_id, const std::string& jid);
  // Every JID of a contact, sorted.
  result<std::vector<std::string>> of(int64_t contact_id);
  // Repoints every alias of `from` at `to` (merging two contacts); returns how many moved.
  result<int> move(int64_t from_contact, int64_t to_contact);

 private:
  SQLite::Database& db_;
  SQLite::Statement insert_;
  SQLite::Statement resolve_;
  SQLite::Statement of_;
  SQLite::Statement move_;
};

}  // namespace aibud::storage
