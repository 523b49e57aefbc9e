// Migration 3: a job's payload moves to its own table. The payload (the webhook's event, about
// a kilobyte and a half) is written once and read rarely, while the job row is rewritten by
// every step of its run: kept in the row, it made each of those updates rewrite a whole page.
#include "storage/schema.hpp"

namespace aibud::storage::schema {

const char* const v3_up = R"sql(
CREATE TABLE job_payloads (
  job_id INTEGER PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
  payload TEXT NOT NULL
);
INSERT INTO job_payloads (job_id, payload) SELECT id, payload FROM jobs;
ALTER TABLE jobs DROP COLUMN payload;
)sql";

const char* const v3_down = R"sql(
ALTER TABLE jobs ADD COLUMN payload TEXT NOT NULL DEFAULT '';
UPDATE jobs SET payload = coalesce((SELECT payload FROM job_payloads WHERE job_id = jobs.id), '');
DROP TABLE job_payloads;
)sql";

}  // namespace aibud::storage::schema
