#include "runtime/views.hpp"

#include "base/time.hpp"

namespace aibud::views {

json time_or_null(const std::optional<int64_t>& ms) {
  if (!ms) return nullptr;
  return time::to_iso8601(*ms);
}

namespace {
// A row written before settings were validated still shows, as an empty object.
json settings_of(const storage::tenant& t) {
  auto parsed = json::parse(t.settings, nullptr, false);
  return parsed.is_object() ? parsed : json::object();
}
}  // namespace

json tenant(const storage::tenant& t, const storage::usage& u) {
  return json{{"id", t.id},
              {"name", t.name},
              {"plan", t.plan},
              {"status", t.status},
              {"anchor_day", t.anchor_day},
              {"language", t.language},
              {"settings", settings_of(t)},
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

namespace aibud::views {
namespace {

// A stored JSON column as JSON; text that does not parse is shown as it is.
json parsed(const std::string& text) {
  json value = json::parse(text, nullptr, false);
  if (value.is_discarded()) return text;
  return value;
}

}  // namespace

json job(const storage::job& j) {
  return json{{"id", j.id},
              {"instance", j.instance_name},
              {"contact", j.contact_key},
              {"status", j.status},
              {"attempts", j.attempts},
              {"created_at", time::to_iso8601(j.created_at)},
              {"updated_at", time::to_iso8601(j.updated_at)},
              {"last_error", j.last_error ? json(*j.last_error) : json()},
              {"event", j.event},
              {"not_before", time_or_null(j.not_before)}};
}

json dead_letter(const storage::dead_letter& d) {
  return json{{"id", d.id},
              {"job_id", d.job_id},
              {"instance", d.instance_name},
              {"contact", d.contact_key},
              {"error", d.error},
              {"attempts", d.attempts},
              {"failed_at", time::to_iso8601(d.failed_at)}};
}

json dead_letter_detail(const storage::dead_letter& d) {
  json out = dead_letter(d);
  out["payload"] = parsed(d.payload);
  out["steps"] = parsed(d.steps);
  return out;
}

json contact(const storage::contact& c, const std::string& instance_name) {
  bool forever = c.paused_until && *c.paused_until == storage::paused_forever;
  bool paused = c.paused_until && *c.paused_until > time::now_ms();
  return json{
      {"id", c.id},
      {"instance", instance_name},
      {"jid", c.jid},
      {"name", c.name},
      {"status", c.status},
      {"status_before_handoff", c.status_before_handoff ? json(*c.status_before_handoff) : json()},
      {"paused", paused},
      {"paused_until", forever || !paused ? json() : time_or_null(c.paused_until)},
      {"last_activity_at", time_or_null(c.last_activity_at)},
      {"created_at", time::to_iso8601(c.created_at)},
      {"updated_at", time::to_iso8601(c.updated_at)}};
}

json actor(const runtime::actor_entry& a) {
  return json{{"path", a.path},
              {"kind", a.kind},
              {"state", a.state},
              {"mailbox", a.mailbox},
              {"job", a.job ? json(*a.job) : json()},
              {"restarts", a.restarts},
              {"last_activity", time_or_null(a.last_activity)}};
}

}  // namespace aibud::views
