// The admin API's mutating routes: each resolves and scope-checks its target on a reader
// thread, then asks runtime::control, and answers once the change has committed.
#include "base/time.hpp"
#include "runtime/admin_api_internal.hpp"
#include "runtime/config.hpp"
#include "runtime/inspect.hpp"
#include "runtime/views.hpp"
#include "storage/reader.hpp"
#include "storage/tenants_repo.hpp"

namespace aibud::runtime::admin {
namespace {

// Answers a committed tenant change with the tenant as it now is.
reply<unit> show_tenant_after(const state_ptr& state, http::responder respond, int64_t id) {
  return [state, respond, id](result<unit> r) {
    if (!r) return respond(error_response(r.err()));
    then_read(state, respond, [id](storage::read_context& reads) {
      auto t = reads.tenants().get(id);
      if (!t) return error_response(t.err());
      auto u = inspect::current_usage(reads, *t);
      if (!u) return error_response(u.err());
      return json_ok(views::tenant(*t, *u));
    });
  };
}

std::optional<http::response> grant(call& c) {
  storage::tenant t;
  if (auto denied = load_tenant(c, t)) return denied;
  auto body = body_object(c.req);
  if (!body) return error_response(body.err());
  const json& credits = (*body)["credits"];
  if (!credits.is_number_integer() || credits.get<int64_t>() <= 0)
    return error_response({errc::invalid_argument, "credits must be a positive integer"});
  c.state->ctl.grant(t.id, credits.get<int64_t>(), c.who.actor(),
                     show_tenant_after(c.state, c.respond, t.id));
  return std::nullopt;
}

result<tenant_update> tenant_changes(const json& body) {
  tenant_update changes;
  for (const auto& [key, value] : body.items()) {
    if (key == "plan" && value.is_string() && !value.get<std::string>().empty())
      changes.plan = value.get<std::string>();
    else if (key == "language" && value.is_string())
      changes.language = value.get<std::string>();
    else if (key == "credits_limit" && value.is_number_integer() && value.get<int64_t>() >= 0)
      changes.credits_limit = value.get<int64_t>();
    else if (key == "fast_model" && value.is_string())
      changes.models.fast = value.get<std::string>();
    else if (key == "strong_model" && value.is_string())
      changes.models.strong = value.get<std::string>();
    else if (key == "fallback_model" && value.is_string())
      changes.models.fallback = value.get<std::string>();
    else if (key == "plan" || key == "language" || key == "credits_limit" || key == "fast_model" ||
             key == "strong_model" || key == "fallback_model")
      return make_error(errc::invalid_argument, "bad value for " + key);
    else
      return make_error(errc::invalid_argument, "unknown field " + key);
  }
  if (!changes.plan && !changes.language && !changes.credits_limit && changes.models.empty())
    return make_error(errc::invalid_argument,
                      "nothing to change: give plan, credits_limit, language or a model "
                      "(fast_model, strong_model, fallback_model)");
  return changes;
}

std::optional<http::response> update_tenant(call& c) {
  storage::tenant t;
  if (auto denied = load_tenant(c, t)) return denied;
  auto body = body_object(c.req);
  if (!body) return error_response(body.err());
  auto changes = tenant_changes(*body);
  if (!changes) return error_response(changes.err());
  c.state->ctl.update_tenant(t.id, *changes, c.who.actor(),
                             show_tenant_after(c.state, c.respond, t.id));
  return std::nullopt;
}

// "for": a duration ("90s", "30m", "12h", "7d") or a number of seconds; 0 pauses until
// resumed; absent, the configured takeover pause.
result<int64_t> pause_until(const json& body, std::chrono::milliseconds default_pause) {
  std::chrono::milliseconds length = default_pause;
  if (body.contains("for")) {
    const json& value = body["for"];
    if (value.is_number_integer() && value.get<int64_t>() >= 0) {
      length = std::chrono::seconds(value.get<int64_t>());
    } else if (value.is_string()) {
      auto parsed = config::parse_duration(value.get<std::string>());
      if (!parsed) return make_error(errc::invalid_argument, "for: " + parsed.err().message);
      length = *parsed;
    } else {
      return make_error(errc::invalid_argument, "for must be a duration such as \"90s\"");
    }
  }
  if (length.count() == 0) return storage::paused_forever;
  return time::now_ms() + length.count();
}

std::optional<http::response> takeover(call& c, bool pause) {
  storage::instance i;
  if (auto denied = load_instance(c, i)) return denied;
  storage::contact found;
  if (auto denied = load_contact(c, i, found)) return denied;
  contact_ref ref{i.id, i.name, found.id, found.jid, i.tenant_id};
  http::responder respond = c.respond;
  std::string name = i.name;
  auto done = [respond, name](result<storage::contact> r) {
    answer(respond, std::move(r),
           [&](const storage::contact& now) { return views::contact(now, name); });
  };
  if (!pause) {
    c.state->ctl.resume_contact(ref, c.who.actor(), done);
    return std::nullopt;
  }
  auto body = body_object(c.req);
  if (!body) return error_response(body.err());
  auto until = pause_until(*body, c.state->options.default_pause);
  if (!until) return error_response(until.err());
  c.state->ctl.pause_contact(ref, *until, c.who.actor(), done);
  return std::nullopt;
}

// A dead letter named in the path, or all the caller may see.
std::optional<http::response> dlq_target_of(call& c, bool one, dlq_target& target) {
  if (!one) {
    target.tenant_id = c.who.tenant_id;
    return std::nullopt;
  }
  storage::dead_letter d;
  if (auto denied = load_dead_letter(c, d)) return denied;
  target.id = d.id;
  return std::nullopt;
}

std::optional<http::response> replay(call& c, bool one) {
  dlq_target target;
  if (auto denied = dlq_target_of(c, one, target)) return denied;
  http::responder respond = c.respond;
  c.state->ctl.replay(target, c.who.actor(), [respond](result<std::vector<int64_t>> r) {
    answer(respond, std::move(r), [](const std::vector<int64_t>& jobs) {
      return json{{"replayed", jobs.size()}, {"jobs", jobs}};
    });
  });
  return std::nullopt;
}

std::optional<http::response> purge(call& c, bool one) {
  dlq_target target;
  if (auto denied = dlq_target_of(c, one, target)) return denied;
  http::responder respond = c.respond;
  c.state->ctl.purge(target, c.who.actor(), [respond](result<int> r) {
    answer(respond, std::move(r), [](int count) { return json{{"purged", count}}; });
  });
  return std::nullopt;
}

std::optional<http::response> delete_instance(call& c) {
  storage::instance i;
  if (auto denied = load_instance(c, i)) return denied;
  http::responder respond = c.respond;
  std::string name = i.name;
  c.state->ctl.delete_instance(name, c.who.actor(), [respond, name](result<unit> r) {
    answer(respond, std::move(r), [&](unit) { return json{{"deleted", name}}; });
  });
  return std::nullopt;
}

}  // namespace

void add_write_routes(http::router& routes, const state_ptr& state) {
  auto add = [&](const char* method, std::string_view pattern, const char* role, route_fn fn) {
    routes.add(method, pattern, guarded(state, role, std::move(fn)));
  };
  add("POST", "/api/v1/dlq/replay", "admin", [](call& c) { return replay(c, false); });
  add("POST", "/api/v1/dlq/{id}/replay", "admin", [](call& c) { return replay(c, true); });
  add("DELETE", "/api/v1/dlq", "admin", [](call& c) { return purge(c, false); });
  add("DELETE", "/api/v1/dlq/{id}", "admin", [](call& c) { return purge(c, true); });
  add("POST", "/api/v1/tenants/{id}/grant", "admin", grant);
  add("PATCH", "/api/v1/tenants/{id}", "owner", update_tenant);
  add("POST", "/api/v1/instances/{name}/contacts/{jid}/pause", "admin",
      [](call& c) { return takeover(c, true); });
  add("POST", "/api/v1/instances/{name}/contacts/{jid}/resume", "admin",
      [](call& c) { return takeover(c, false); });
  add("DELETE", "/api/v1/instances/{name}", "owner", delete_instance);
}

}  // namespace aibud::runtime::admin
