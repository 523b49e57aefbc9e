// The sent_messages table: every message aibud sent, by Evolution's key.id. It tells our own
// echoes (fromMe webhooks) from a human's takeover, and reconciles a send whose intent was
// saved but whose result was lost in a crash (ARCHITECTURE §3.4).
#pragma once

#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "base/error.hpp"
#include "storage/records.hpp"

namespace aibud::storage {

class sent_messages_repo {
 public:
  explicit sent_messages_repo(SQLite::Database& db);

  // Records a send stamped `m.created_at` (now when 0) and returns its id.
  // Errors: conflict when (instance_id, wa_message_id) is recorded already.
  result<int64_t> insert(const sent_message& m);
  // Whether aibud sent this message id on this instance.
  result<bool> contains(int64_t instance_id, const std::string& wa_message_id);
  result<std::vector<sent_message>> for_job(int64_t job_id);  // by id
  // A contact's sends at or after `since_ms`, oldest first.
  result<std::vector<sent_message>> since(int64_t instance_id, int64_t contact_id,
                                          int64_t since_ms);
  // Gives every sent message of contact `from` to contact `into` (two contacts found to be one
  // person); returns how many moved.
  result<int> move_contact(int64_t from, int64_t into);

 private:
  SQLite::Database& db_;
  SQLite::Statement insert_;
  SQLite::Statement contains_;
  SQLite::Statement for_job_;
  SQLite::Statement since_;
  SQLite::Statement move_contact_;
};

}  // namespace aibud::storage
