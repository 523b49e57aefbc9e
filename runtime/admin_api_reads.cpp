// The admin API's GET routes.
#include "runtime/admin_api_internal.hpp"
#include "runtime/inspect.hpp"
#include "runtime/views.hpp"
#include "storage/contacts_repo.hpp"
#include "storage/instances_repo.hpp"
#include "storage/reader.hpp"
#include "storage/tenants_repo.hpp"

namespace aibud::runtime::admin {
namespace {

result<json> tenant_view(storage::read_context& r, const storage::tenant& t) {
  auto u = inspect::current_usage(r, t);
  if (!u) return u.err();
  return views::tenant(t, *u);
}

// Whether an actor path lies under tenant:<id> (".../tenant:1" or ".../tenant:1/...").
bool in_tenant(const std::string& path, int64_t tenant) {
  std::string segment = "/tenant:" + std::to_string(tenant);
  for (auto at = path.find(segment); at != std::string::npos; at = path.find(segment, at + 1)) {
    auto end = at + segment.size();
    if (end == path.size() || path[end] == '/') return true;
  }
  return false;
}

std::optional<http::response> actors(call& c) {
  std::optional<int64_t> scope = c.who.tenant_id;
  http::responder respond = c.respond;
  c.state->ctl.actors_tree([scope, respond](result<std::vector<actor_entry>> tree) {
    answer(respond, std::move(tree), [scope](const std::vector<actor_entry>& entries) {
      json out = json::array();
      for (const auto& a : entries)
        if (!scope || in_tenant(a.path, *scope)) out.push_back(views::actor(a));
      return out;
    });
  });
  return std::nullopt;
}

std::optional<http::response> jobs(call& c) {
  inspect::jobs_query q;
  q.status = c.req.query_value("status");
  if (q.status && q.status->empty()) q.status.reset();
  q.tenant_id = c.who.tenant_id;
  if (auto limit = c.req.query_value("limit"); limit && !limit->empty()) {
    auto n = to_int(*limit, "limit");
    if (!n) return error_response(n.err());
    q.limit = static_cast<int>(std::min<int64_t>(*n, 1000000));
  }
  if (auto after = c.req.query_value("after"); after && !after->empty()) {
    auto n = to_int(*after, "after");
    if (!n) return error_response(n.err());
    q.after = *n;
  }
  if (auto name = c.req.query_value("instance"); name && !name->empty()) {
    auto i = c.r.instances().find_by_name(*name);
    if (!i) return error_response(i.err());
    if (!c.who.sees(i->tenant_id)) return forbidden("this token is scoped to another tenant");
    q.instance_id = i->id;
  }
  auto page = inspect::jobs(c.r, q);
  if (!page) return error_response(page.err());
  json items = json::array();
  for (const auto& j : page->items) items.push_back(views::job(j));
  return json_ok(
      {{"items", items}, {"next_after", page->next_after ? json(*page->next_after) : json()}});
}

std::optional<http::response> dlq_list(call& c) {
  auto entries = inspect::dead_letters(c.r, c.who.tenant_id);
  if (!entries) return error_response(entries.err());
  json out = json::array();
  for (const auto& d : *entries) out.push_back(views::dead_letter(d));
  return json_ok(out);
}

std::optional<http::response> dlq_show(call& c) {
  storage::dead_letter d;
  if (auto denied = load_dead_letter(c, d)) return denied;
  return json_ok(views::dead_letter_detail(d));
}

std::optional<http::response> tenant_list(call& c) {
  auto all = c.r.tenants().list();
  if (!all) return error_response(all.err());
  json out = json::array();
  for (const auto& t : *all) {
    if (!c.who.sees(t.id)) continue;
    auto view = tenant_view(c.r, t);
    if (!view) return error_response(view.err());
    out.push_back(std::move(*view));
  }
  return json_ok(out);
}

std::optional<http::response> tenant_show(call& c) {
  storage::tenant t;
  if (auto denied = load_tenant(c, t)) return denied;
  auto view = tenant_view(c.r, t);
  if (!view) return error_response(view.err());
  return json_ok(*view);
}

std::optional<http::response> instance_list(call& c) {
  auto all = c.r.instances().list(c.who.tenant_id);
  if (!all) return error_response(all.err());
  json out = json::array();
  for (const auto& i : *all) out.push_back(views::instance(i, c.state->options.public_url));
  return json_ok(out);
}

std::optional<http::response> instance_show(call& c) {
  storage::instance i;
  if (auto denied = load_instance(c, i)) return denied;
  return json_ok(views::instance(i, c.state->options.public_url));
}

std::optional<http::response> contact_list(call& c) {
  storage::instance i;
  if (auto denied = load_instance(c, i)) return denied;
  auto all = c.r.contacts().list(i.id);
  if (!all) return error_response(all.err());
  json out = json::array();
  for (const auto& contact : *all) out.push_back(views::contact(contact, i.name));
  return json_ok(out);
}

std::optional<http::response> contact_show(call& c) {
  storage::instance i;
  if (auto denied = load_instance(c, i)) return denied;
  storage::contact contact;
  if (auto denied = load_contact(c, i, contact)) return denied;
  return json_ok(views::contact(contact, i.name));
}

}  // namespace

void add_read_routes(http::router& routes, const state_ptr& state) {
  auto get = [&](std::string_view pattern, route_fn fn) {
    routes.get(pattern, guarded(state, "viewer", std::move(fn)));
  };
  get("/api/v1/actors", actors);
  get("/api/v1/jobs", jobs);
  get("/api/v1/dlq", dlq_list);
  get("/api/v1/dlq/{id}", dlq_show);
  get("/api/v1/tenants", tenant_list);
  get("/api/v1/tenants/{id}", tenant_show);
  get("/api/v1/instances", instance_list);
  get("/api/v1/instances/{name}", instance_show);
  get("/api/v1/instances/{name}/contacts", contact_list);
  get("/api/v1/instances/{name}/contacts/{jid}", contact_show);
}

}  // namespace aibud::runtime::admin
