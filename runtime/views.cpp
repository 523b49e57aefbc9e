#include "runtime/views.hpp"

#include "base/time.hpp"

namespace aibud::views {

json time_or_null(const std::optional<int64_t>& ms) {
  if (!ms) return nullptr;
  return time::to_iso8601(*ms);
}

json tenant(const storage::tenant& t, const storage::usage& u) {
  return json{{"id", t.id},
              {"name", t.name},
              {"plan", t.plan},
              {"status", t.status},
              {"anchor_day", t.anchor_day},
              {"language", t.language},
              {"credits_limit", u.credits_limit},
              {"credits_granted", u.granted},
              {"credits_used", u.used},
              {"credits_reserved", u.reserved},
              {"credits_left", u.left()},
              {"period_start", time::to_iso8601(u.period_start)},
              {"period_end", time::to_iso8601(u.period_end)},
              {"created_at", time::to_iso8601(t.created_at)}};
}

std::string webhook_url(const std::string& public_url, const std::string& instance_name) {
  std::string base = public_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/webhook/evolution/" + instance_name;
}

json instance(const storage::instance& i, const std::string& public_url) {
  return json{{"id", i.id},
              {"name", i.name},
              {"tenant_id", i.tenant_id},
              {"kind", i.kind},
              {"evolution_url", i.evolution_url.empty() ? json() : json(i.evolution_url)},
              {"state", i.state},
              {"webhook_url", webhook_url(public_url, i.name)},
              {"state_updated_at", time_or_null(i.state_updated_at)},
              {"created_at", time::to_iso8601(i.created_at)}};
}

json token(const storage::api_token& t) {
  return json{{"id", t.id},
              {"role", t.role},
              {"tenant_id", t.tenant_id ? json(*t.tenant_id) : json()},
              {"created_at", time::to_iso8601(t.created_at)},
              {"last_used_at", time_or_null(t.last_used_at)},
              {"revoked_at", time_or_null(t.revoked_at)}};
}

}  // namespace aibud::views
