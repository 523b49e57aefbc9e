// The interactions table: the complete message history, in and out, with agent and credits.
#pragma once

#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "base/error.hpp"
#include "storage/records.hpp"

namespace aibud::storage {

class interactions_repo {
 public:
  explicit interactions_repo(SQLite::Database& db);

  // Appends `i` stamped `i.created_at` (now when 0) and returns its id.
  // Errors: invalid_argument when direction is not in|out.
  result<int64_t> append(const interaction& i);
  // A contact's newest `limit` interactions, oldest first (a transcript's tail).
  result<std::vector<interaction>> for_contact(int64_t contact_id, int limit = 100);
  // Every interaction of an instance, oldest first, at most `limit`, after `after_id`.
  result<std::vector<interaction>> for_instance(int64_t instance_id, int limit = 1000,
                                                int64_t after_id = 0);
  // Gives every interaction of contact `from` to contact `into` (two contacts found to be one
  // person); returns how many moved.
  result<int> move_contact(int64_t from, int64_t into);

 private:
  SQLite::Database& db_;
  SQLite::Statement insert_;
  SQLite::Statement for_contact_;
  SQLite::Statement for_instance_;
  SQLite::Statement move_contact_;
};

}  // namespace aibud::storage
