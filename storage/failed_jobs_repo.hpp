// The failed_jobs table: the dead letter queue. A job that exhausted its attempts is copied
// here with its payload, step results and last error; replay puts it back in the inbox,
// resuming from its saved steps.
#pragma once

#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "base/error.hpp"
#include "storage/records.hpp"

namespace aibud::storage {

class failed_jobs_repo {
 public:
  explicit failed_jobs_repo(SQLite::Database& db);

  // Copies job `job_id` into the queue (replacing an earlier entry of the same job) and
  // marks the job failed with `error`, atomically. Returns the entry's id. Errors: not_found.
  result<int64_t> record(int64_t job_id, const std::string& error);

  result<dead_letter> get(int64_t id);  // Errors: not_found
  result<std::vector<dead_letter>> list(int limit = 100, int64_t after_id = 0);  // by id

  // Sets the job pending again with its attempts reset and steps kept, and removes the
  // entry; returns the job id. Errors: not_found (the entry, or its job was deleted).
  result<int64_t> replay(int64_t id);
  // Removes the entry. Errors: not_found.
  status purge(int64_t id);
  // Removes every entry; returns how many.
  result<int> purge_all();

 private:
  SQLite::Database& db_;
  SQLite::Statement record_;
  SQLite::Statement fail_job_;
  SQLite::Statement by_id_;
  SQLite::Statement by_job_;
  SQLite::Statement list_;
  SQLite::Statement requeue_;
  SQLite::Statement delete_;
  SQLite::Statement delete_all_;
};

}  // namespace aibud::storage
