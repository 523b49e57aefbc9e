// The rows of the storage layer as plain domain structs (ARCHITECTURE §4). Timestamps are
// milliseconds since the Unix epoch, UTC. JSON columns are carried as text; the layer that
// owns their meaning parses them. Optional columns are std::optional.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace aibud::storage {

struct tenant {
  int64_t id = 0;
  std::string name;
  std::string plan = "standard";
  std::string status = "active";
  int anchor_day = 1;           // 1..28: billing periods start at 00:00 UTC on this day
  std::string language = "en";  // en | pt-BR
  int64_t credits_limit = 0;    // monthly limit, copied into each new period
  std::string settings = "{}";  // JSON object
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

// One tenant's budget in one billing period [period_start, period_end).
struct usage {
  int64_t tenant_id = 0;
  int64_t period_start = 0;
  int64_t period_end = 0;
  int64_t credits_limit = 0;
  int64_t granted = 0;
  int64_t used = 0;
  int64_t reserved = 0;
  std::optional<int64_t> alert_80_at;
  std::optional<int64_t> alert_100_at;
  int64_t grace_notices = 0;

  int64_t left() const { return credits_limit + granted - used - reserved; }
};

// kind: reserve | commit | release | grant. A grant has no job.
struct ledger_entry {
  int64_t id = 0;
  int64_t tenant_id = 0;
  int64_t period_start = 0;
  std::optional<int64_t> job_id;
  std::optional<std::string> step;
  std::string kind;
  int64_t amount = 0;
  int64_t created_at = 0;
};

struct api_token {
  int64_t id = 0;
  std::string token_hash;            // sha256 hex of the token; the token itself is never stored
  std::string role;                  // owner | admin | viewer
  std::optional<int64_t> tenant_id;  // none: every tenant
  int64_t created_at = 0;
  std::optional<int64_t> last_used_at;
  std::optional<int64_t> revoked_at;
};

struct instance {
  int64_t id = 0;
  std::string name;
  int64_t tenant_id = 0;
  std::string kind;  // evolution | sandbox
  std::string evolution_url;
  std::string api_key;         // sealed (crypto::secret_box), or clear in legacy rows
  std::string webhook_secret;  // sealed, or clear in legacy rows
  std::string state = "created";
  std::optional<std::string> qr_code;
  std::optional<std::string> pairing_code;
  std::optional<std::string> owner_jid;
  std::optional<int64_t> state_updated_at;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

// The secret columns of one instance, for re-sealing.
struct instance_secrets {
  int64_t id = 0;
  std::string name;
  std::string api_key;
  std::string webhook_secret;
};

// The paused_until of a pause with no end (`contact pause --for 0`).
inline constexpr int64_t paused_forever = INT64_MAX;

struct contact {
  int64_t id = 0;
  int64_t instance_id = 0;
  std::string jid;  // canonical (phone JID preferred)
  std::string name;
  std::string status = "new";
  std::optional<std::string> status_before_handoff;
  std::optional<int64_t> paused_until;  // none: not paused; paused_forever: until resumed
  std::optional<int64_t> last_activity_at;
  std::string context = "[]";            // JSON array: the history window
  std::optional<std::string> open_poll;  // JSON object
  std::optional<int64_t> grace_period_start;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

struct sent_message {
  int64_t id = 0;
  int64_t instance_id = 0;
  std::optional<int64_t> contact_id;
  std::optional<int64_t> job_id;
  std::optional<std::string> step;
  std::string wa_message_id;  // Evolution's key.id
  std::string content_hash;
  int64_t created_at = 0;
};

struct interaction {
  int64_t id = 0;
  int64_t tenant_id = 0;
  int64_t instance_id = 0;
  std::optional<int64_t> contact_id;
  std::optional<int64_t> job_id;
  std::string direction;  // in | out
  std::string kind;       // text | image | poll | poll_vote | ...
  std::string content;
  std::optional<std::string> agent;
  std::optional<std::string> model;
  int64_t tokens_in = 0;
  int64_t tokens_out = 0;
  int64_t credits = 0;
  std::optional<std::string> wa_message_id;
  int64_t created_at = 0;
};

// Job statuses of ARCHITECTURE §8.
namespace job_status {
inline constexpr const char* pending = "pending";
inline constexpr const char* running = "running";
inline constexpr const char* waiting = "waiting";
inline constexpr const char* done = "done";
inline constexpr const char* skipped = "skipped";
inline constexpr const char* merged = "merged";
inline constexpr const char* out_of_credits = "out_of_credits";
inline constexpr const char* failed = "failed";
}  // namespace job_status

struct job {
  int64_t id = 0;
  int64_t instance_id = 0;
  std::string instance_name;  // joined from instances, for listings
  std::optional<std::string> wa_message_id;
  std::string event;  // messages.upsert, ...
  std::string contact_key;
  std::string sender_jids = "[]";  // JSON array of every JID the event named
  std::string payload;             // the event JSON without `apikey`
  std::string status = job_status::pending;
  int64_t attempts = 0;
  std::optional<int64_t> not_before;
  std::optional<int64_t> message_ts;
  std::string steps = "{}";  // JSON object: step intents and results
  std::optional<int64_t> merged_into;
  std::optional<std::string> last_error;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

struct new_job {
  int64_t instance_id = 0;
  std::optional<std::string> wa_message_id;  // unique per instance when present
  std::string event;
  std::string contact_key;
  std::string sender_jids = "[]";
  std::string payload;
  std::optional<int64_t> message_ts;
  std::optional<int64_t> not_before;
};

struct dead_letter {
  int64_t id = 0;
  int64_t job_id = 0;
  int64_t instance_id = 0;
  std::string instance_name;  // joined from instances, for listings
  std::string contact_key;
  std::string payload;
  std::string steps = "{}";
  std::string error;
  int64_t attempts = 0;
  int64_t failed_at = 0;
};

struct audit_entry {
  int64_t id = 0;
  int64_t at = 0;
  std::string actor;   // "cli", "token:<id>", "system"
  std::string action;  // "tenant.create", "token.revoke", ...
  std::string target;
  std::optional<int64_t> tenant_id;
  std::string details = "{}";  // JSON object; never secrets
};

}  // namespace aibud::storage
