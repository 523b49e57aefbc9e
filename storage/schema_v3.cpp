// Migration 3: the two tables every message writes several times, rebuilt for that.
// - A job's payload moves to its own table. The payload (the webhook's event, about a kilobyte
//   and a half) is written once and read rarely, while the job row is rewritten by every step
//   of its run: kept in the row, it made each of those updates rewrite a whole page.
// - The CHECKs on jobs.status and credit_ledger.kind compare with OR instead of an IN list:
//   SQLite evaluates a constant IN list of more than two values by building an ephemeral table,
//   anew for each statement that runs the check (three per message on jobs, two on the ledger).
// SQLite cannot change a CHECK in place, so both tables are copied into new ones (rows keep
// their ids). Nothing references jobs or credit_ledger by foreign key, so dropping the old
// tables deletes nothing else; job_payloads is created on the new jobs table before the old one
// goes, and the rename carries its reference along.
#include "storage/schema.hpp"

namespace aibud::storage::schema {

const char* const v3_up = R"sql(
CREATE TABLE jobs_v3 (
  id INTEGER PRIMARY KEY,
  instance_id INTEGER NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
  wa_message_id TEXT,
  event TEXT NOT NULL,
  contact_key TEXT NOT NULL DEFAULT '',
  sender_jids TEXT NOT NULL DEFAULT '[]',
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status = 'pending' OR status = 'running' OR
    status = 'waiting' OR status = 'done' OR status = 'skipped' OR status = 'merged' OR
    status = 'out_of_credits' OR status = 'failed'),
  attempts INTEGER NOT NULL DEFAULT 0,
  not_before INTEGER,
  message_ts INTEGER,
  steps TEXT NOT NULL DEFAULT '{}',
  merged_into INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (instance_id, wa_message_id)
);
INSERT INTO jobs_v3 (id, instance_id, wa_message_id, event, contact_key, sender_jids, status,
  attempts, not_before, message_ts, steps, merged_into, last_error, created_at, updated_at)
SELECT id, instance_id, wa_message_id, event, contact_key, sender_jids, status, attempts,
  not_before, message_ts, steps, merged_into, last_error, created_at, updated_at FROM jobs;
CREATE TABLE job_payloads (
  job_id INTEGER PRIMARY KEY REFERENCES jobs_v3 (id) ON DELETE CASCADE,
  payload TEXT NOT NULL
);
INSERT INTO job_payloads (job_id, payload) SELECT id, payload FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_v3 RENAME TO jobs;
CREATE INDEX jobs_status_not_before ON jobs (status, not_before);
CREATE INDEX jobs_contact ON jobs (instance_id, contact_key, id);

CREATE TABLE credit_ledger_v3 (
  id INTEGER PRIMARY KEY,
  tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  period_start INTEGER NOT NULL,
  job_id INTEGER,
  step TEXT,
  kind TEXT NOT NULL CHECK (kind = 'reserve' OR kind = 'commit' OR kind = 'release' OR
    kind = 'grant'),
  amount INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (job_id, step, kind)
);
INSERT INTO credit_ledger_v3 (id, tenant_id, period_start, job_id, step, kind, amount,
  created_at)
SELECT id, tenant_id, period_start, job_id, step, kind, amount, created_at FROM credit_ledger;
DROP TABLE credit_ledger;
ALTER TABLE credit_ledger_v3 RENAME TO credit_ledger;
CREATE INDEX credit_ledger_tenant ON credit_ledger (tenant_id, period_start);
)sql";

// Back to migration 2's tables: the payload into its column again, the IN-list CHECKs.
const char* const v3_down = R"sql(
CREATE TABLE jobs_v2 (
  id INTEGER PRIMARY KEY,
  instance_id INTEGER NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
  wa_message_id TEXT,
  event TEXT NOT NULL,
  contact_key TEXT NOT NULL DEFAULT '',
  sender_jids TEXT NOT NULL DEFAULT '[]',
  payload TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'waiting',
    'done', 'skipped', 'merged', 'out_of_credits', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  not_before INTEGER,
  message_ts INTEGER,
  steps TEXT NOT NULL DEFAULT '{}',
  merged_into INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (instance_id, wa_message_id)
);
INSERT INTO jobs_v2 (id, instance_id, wa_message_id, event, contact_key, sender_jids, payload,
  status, attempts, not_before, message_ts, steps, merged_into, last_error, created_at,
  updated_at)
SELECT j.id, j.instance_id, j.wa_message_id, j.event, j.contact_key, j.sender_jids,
  coalesce(p.payload, ''), j.status, j.attempts, j.not_before, j.message_ts, j.steps,
  j.merged_into, j.last_error, j.created_at, j.updated_at
FROM jobs j LEFT JOIN job_payloads p ON p.job_id = j.id;
DROP TABLE job_payloads;
DROP TABLE jobs;
ALTER TABLE jobs_v2 RENAME TO jobs;
CREATE INDEX jobs_status_not_before ON jobs (status, not_before);
CREATE INDEX jobs_contact ON jobs (instance_id, contact_key, id);

CREATE TABLE credit_ledger_v2 (
  id INTEGER PRIMARY KEY,
  tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  period_start INTEGER NOT NULL,
  job_id INTEGER,
  step TEXT,
  kind TEXT NOT NULL CHECK (kind IN ('reserve', 'commit', 'release', 'grant')),
  amount INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (job_id, step, kind)
);
INSERT INTO credit_ledger_v2 (id, tenant_id, period_start, job_id, step, kind, amount,
  created_at)
SELECT id, tenant_id, period_start, job_id, step, kind, amount, created_at FROM credit_ledger;
DROP TABLE credit_ledger;
ALTER TABLE credit_ledger_v2 RENAME TO credit_ledger;
CREATE INDEX credit_ledger_tenant ON credit_ledger (tenant_id, period_start);
)sql";

}  // namespace aibud::storage::schema
