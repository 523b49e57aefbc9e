// The JSON shapes of ARCHITECTURE §8 (CLI --json and the admin API share them). Field names
// are a contract: add fields, never rename one.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

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

// The URL Evolution posts an instance's events to.
std::string webhook_url(const std::string& public_url, const std::string& instance_name);

// An ISO-8601 UTC time, or null.
json time_or_null(const std::optional<int64_t>& ms);

}  // namespace aibud::views
