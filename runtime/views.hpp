// The JSON shapes of ARCHITECTURE §8 (CLI --json and the admin API share them). Field names
// are a contract: add fields, never rename one.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "runtime/control.hpp"
#include "storage/records.hpp"

namespace aibud::views {

using json = nlohmann::ordered_json;

// id, name, plan, status, anchor_day, language, credits_limit, credits_granted, credits_used,
// credits_reserved, credits_left, period_start, period_end, created_at.
json tenant(const storage::tenant& t, const storage::usage& u);

// id, name, tenant_id, kind, evolution_url, state, webhook_url, created_at (no secrets).
json instance(const storage::instance& i, const std::string& public_url);

// id, role, tenant_id, created_at, last_used_at, revoked_at (never the token or its hash).
json token(const storage::api_token& t);

// id, instance, contact, status, attempts, created_at, updated_at, last_error, event,
// not_before.
json job(const storage::job& j);

// id, job_id, instance, contact, error, attempts, failed_at.
json dead_letter(const storage::dead_letter& d);
// dead_letter plus the stored event (`payload`, without `apikey`) and `steps`.
json dead_letter_detail(const storage::dead_letter& d);

// id, instance, jid, name, status, status_before_handoff, paused, paused_until (null when
// not paused or paused until resumed), last_activity_at, created_at, updated_at.
json contact(const storage::contact& c, const std::string& instance_name);

// path, kind, state, mailbox, job, restarts, last_activity.
json actor(const runtime::actor_entry& a);

// The URL Evolution posts an instance's events to.
std::string webhook_url(const std::string& public_url, const std::string& instance_name);

// An ISO-8601 UTC time, or null.
json time_or_null(const std::optional<int64_t>& ms);

}  // namespace aibud::views
