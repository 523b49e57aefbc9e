// Migration 1: every table of ARCHITECTURE §4. Timestamps are INTEGER ms UTC; JSON columns
// are TEXT. Migration 2: the indexes the repositories' queries need.
#include "storage/schema.hpp"

namespace aibud::storage::schema {

const char* const v1_up = R"sql(
CREATE TABLE tenants (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE CHECK (length(name) > 0),
  plan TEXT NOT NULL DEFAULT 'standard',
  status TEXT NOT NULL DEFAULT 'active',
  anchor_day INTEGER NOT NULL CHECK (anchor_day BETWEEN 1 AND 28),
  language TEXT NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'pt-BR')),
  credits_limit INTEGER NOT NULL DEFAULT 0 CHECK (credits_limit >= 0),
  settings TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE api_tokens (
  id INTEGER PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'viewer')),
  tenant_id INTEGER REFERENCES tenants (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at INTEGER
);

CREATE TABLE subscription_usage (
  tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  period_start INTEGER NOT NULL,
  period_end INTEGER NOT NULL,
  credits_limit INTEGER NOT NULL DEFAULT 0,
  granted INTEGER NOT NULL DEFAULT 0,
  used INTEGER NOT NULL DEFAULT 0,
  reserved INTEGER NOT NULL DEFAULT 0 CHECK (reserved >= 0),
  alert_80_at INTEGER,
  alert_100_at INTEGER,
  grace_notices INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, period_start)
) WITHOUT ROWID;

CREATE TABLE credit_ledger (
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

CREATE TABLE instances (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE CHECK (length(name) > 0),
  tenant_id INTEGER NOT NULL REFERENCES tenants (id),
  kind TEXT NOT NULL CHECK (kind IN ('evolution', 'sandbox')),
  evolution_url TEXT NOT NULL DEFAULT '',
  api_key TEXT NOT NULL DEFAULT '',
  webhook_secret TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL DEFAULT 'created',
  qr_code TEXT,
  pairing_code TEXT,
  owner_jid TEXT,
  state_updated_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE contacts (
  id INTEGER PRIMARY KEY,
  instance_id INTEGER NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
  jid TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'new',
  status_before_handoff TEXT,
  paused_until INTEGER,
  last_activity_at INTEGER,
  context TEXT NOT NULL DEFAULT '[]',
  open_poll TEXT,
  grace_period_start INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (instance_id, jid)
);

CREATE TABLE contact_aliases (
  instance_id INTEGER NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
  jid TEXT NOT NULL,
  contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  PRIMARY KEY (instance_id, jid)
) WITHOUT ROWID;

CREATE TABLE sent_messages (
  id INTEGER PRIMARY KEY,
  instance_id INTEGER NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
  contact_id INTEGER,
  job_id INTEGER,
  step TEXT,
  wa_message_id TEXT NOT NULL,
  content_hash TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  UNIQUE (instance_id, wa_message_id)
);

CREATE TABLE interactions (
  id INTEGER PRIMARY KEY,
  tenant_id INTEGER NOT NULL,
  instance_id INTEGER NOT NULL,
  contact_id INTEGER,
  job_id INTEGER,
  direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
  kind TEXT NOT NULL DEFAULT 'text',
  content TEXT NOT NULL DEFAULT '',
  agent TEXT,
  model TEXT,
  tokens_in INTEGER NOT NULL DEFAULT 0,
  tokens_out INTEGER NOT NULL DEFAULT 0,
  credits INTEGER NOT NULL DEFAULT 0,
  wa_message_id TEXT,
  created_at INTEGER NOT NULL
);

CREATE TABLE jobs (
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

CREATE TABLE failed_jobs (
  id INTEGER PRIMARY KEY,
  job_id INTEGER NOT NULL UNIQUE,
  instance_id INTEGER NOT NULL,
  contact_key TEXT NOT NULL DEFAULT '',
  payload TEXT NOT NULL,
  steps TEXT NOT NULL DEFAULT '{}',
  error TEXT NOT NULL DEFAULT '',
  attempts INTEGER NOT NULL DEFAULT 0,
  failed_at INTEGER NOT NULL
);

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL DEFAULT '',
  tenant_id INTEGER,
  details TEXT NOT NULL DEFAULT '{}'
);
)sql";

// Children before parents: with foreign_keys on, dropping a parent deletes its rows first.
const char* const v1_down = R"sql(
DROP TABLE audit_log;
DROP TABLE failed_jobs;
DROP TABLE jobs;
DROP TABLE interactions;
DROP TABLE sent_messages;
DROP TABLE contact_aliases;
DROP TABLE contacts;
DROP TABLE instances;
DROP TABLE credit_ledger;
DROP TABLE subscription_usage;
DROP TABLE api_tokens;
DROP TABLE tenants;
)sql";

const char* const v2_up = R"sql(
CREATE INDEX jobs_status_not_before ON jobs (status, not_before);
CREATE INDEX jobs_contact ON jobs (instance_id, contact_key, id);
CREATE INDEX instances_tenant ON instances (tenant_id);
CREATE INDEX contact_aliases_contact ON contact_aliases (contact_id);
CREATE INDEX credit_ledger_tenant ON credit_ledger (tenant_id, period_start);
CREATE INDEX sent_messages_job ON sent_messages (job_id);
CREATE INDEX sent_messages_contact ON sent_messages (instance_id, contact_id, created_at);
CREATE INDEX interactions_contact ON interactions (contact_id, id);
CREATE INDEX interactions_tenant ON interactions (tenant_id, created_at);
CREATE INDEX failed_jobs_failed_at ON failed_jobs (failed_at);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX api_tokens_tenant ON api_tokens (tenant_id);
)sql";

const char* const v2_down = R"sql(
DROP INDEX api_tokens_tenant;
DROP INDEX audit_log_at;
DROP INDEX failed_jobs_failed_at;
DROP INDEX interactions_tenant;
DROP INDEX interactions_contact;
DROP INDEX sent_messages_contact;
DROP INDEX sent_messages_job;
DROP INDEX credit_ledger_tenant;
DROP INDEX contact_aliases_contact;
DROP INDEX instances_tenant;
DROP INDEX jobs_contact;
DROP INDEX jobs_status_not_before;
)sql";

}  // namespace aibud::storage::schema
