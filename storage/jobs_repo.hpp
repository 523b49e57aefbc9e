// The jobs table: the durable inbox (ARCHITECTURE §3). A webhook's event becomes a job row
// before it is answered; (instance_id, wa_message_id) is unique, so a repeated webhook
// creates no second job.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "base/error.hpp"
#include "storage/records.hpp"

namespace aibud::storage {

struct job_filter {
  std::optional<std::string> status;
  std::optional<int64_t> instance_id;
  int limit = 100;
  int64_t after_id = 0;  // pages by id: the next page starts after the last id seen
};

// True for the eight statuses of ARCHITECTURE §8.
bool is_job_status(const std::string& status);

// What the dispatcher needs to route an unfinished job.
struct job_ref {
  int64_t id = 0;
  int64_t instance_id = 0;
  std::string contact_key;
  std::string sender_jids = "[]";
};

class jobs_repo {
 public:
  explicit jobs_repo(SQLite::Database& db);

  // Inserts a pending job and returns its id. Errors: conflict when (instance_id,
  // wa_message_id) exists (a duplicate: see find_by_message for the original).
  result<int64_t> insert(const new_job& job);

  result<job> get(int64_t id);  // Errors: not_found
  // The row with its payload left empty: what each run of a job reads first, when the
  // intake's parse of the payload may have come along. Errors: not_found.
  result<job> get_without_payload(int64_t id);
  result<std::string> payload(int64_t id);  // Errors: not_found
  result<job> find_by_message(int64_t instance_id, const std::string& wa_message_id);

  // Ascending id, `after_id` excluded, at most `limit`; payloads left empty.
  result<std::vector<job>> list(const job_filter& filter);
  // The pending, running and waiting jobs (what start-up resumes), ascending id; payloads
  // left empty.
  result<std::vector<job>> unfinished(int limit = 1000, int64_t after_id = 0);
  // The same as routing needs them (no payload, no journal), in pages read along the
  // primary key: a start-up with a large backlog reads each row once.
  result<std::vector<job_ref>> unfinished_refs(int limit, int64_t after_id);
  // Jobs left running by an earlier process (last updated before `started_ms`, this one's
  // start: jobs it runs itself are not touched) become pending again; how many.
  result<int> requeue_running(int64_t started_ms);
  // One contact's pending, running and waiting jobs in arrival order.
  result<std::vector<job>> unfinished_for_contact(int64_t instance_id,
                                                  const std::string& contact_key);

  // Counts an attempt before a step runs (so a crash is a failed attempt) and marks the
  // job running; with `steps_json`, saves the journal in the same row update. Errors:
  // not_found.
  status begin_attempt(int64_t id, const std::optional<std::string>& steps_json = std::nullopt);
  // Gives back the attempt begin_attempt counted (waiting on the world is not a failed
  // attempt); never below 0. Errors: not_found.
  status uncount_attempt(int64_t id);
  // With `steps_json`, saves the journal in the same row update (a job row is rewritten
  // whole by every update). Errors: invalid_argument (unknown status), not_found.
  status set_status(int64_t id, const std::string& status,
                    const std::optional<std::string>& last_error = std::nullopt,
                    const std::optional<std::string>& steps_json = std::nullopt);
  status set_steps(int64_t id, const std::string& steps_json);
  // Marks the job waiting until `not_before` (ms UTC).
  status defer(int64_t id, int64_t not_before,
               const std::optional<std::string>& last_error = std::nullopt);
  status mark_merged(int64_t id, int64_t into_id);
  // The jobs of one contact key merged into job `into_id`, in arrival order.
  result<std::vector<job>> merged_into(int64_t instance_id, const std::string& contact_key,
                                       int64_t into_id);

 private:
  result<job> one_by_id(SQLite::Statement& stmt, int64_t id);
  status update(SQLite::Statement& stmt, int64_t id);

  SQLite::Database& db_;
  SQLite::Statement insert_;
  SQLite::Statement insert_payload_;
  SQLite::Statement by_id_;
  SQLite::Statement by_id_without_payload_;
  SQLite::Statement payload_;
  SQLite::Statement by_message_;
  SQLite::Statement list_;
  SQLite::Statement unfinished_;
  SQLite::Statement unfinished_refs_;
  SQLite::Statement requeue_running_;
  SQLite::Statement unfinished_contact_;
  SQLite::Statement begin_attempt_;
  SQLite::Statement uncount_attempt_;
  SQLite::Statement set_status_;
  SQLite::Statement set_steps_;
  SQLite::Statement defer_;
  SQLite::Statement merged_;
  SQLite::Statement merged_into_;
};

}  // namespace aibud::storage
