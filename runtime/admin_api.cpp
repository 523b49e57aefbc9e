#include "runtime/admin_api.hpp"

#include <cctype>
#include <exception>

#include "runtime/admin_api_internal.hpp"
#include "runtime/inspect.hpp"
#include "storage/failed_jobs_repo.hpp"
#include "storage/instances_repo.hpp"
#include "storage/reader.hpp"
#include "storage/tenants_repo.hpp"

namespace aibud::runtime {
namespace admin {
namespace {

http::response busy() {
  http::response r = http::json_error(503, "unavailable", "the server is busy: try again");
  r.headers.emplace_back("Retry-After", "1");
  return r;
}

http::response internal(const std::string& message) {
  return http::json_error(500, "internal", message);
}

}  // namespace

http::response error_response(const error& e) {
  switch (e.code) {
    case errc::usage:
    case errc::invalid_argument:
      return http::json_error(400, "invalid_argument", e.message);
    case errc::not_found:
      return http::json_error(404, "not_found", e.message);
    case errc::conflict:
      return http::json_error(409, "conflict", e.message);
    case errc::unavailable: {
      http::response r = http::json_error(503, "unavailable", e.message);
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
    case errc::internal:
      break;
  }
  return internal(e.message);
}

http::response forbidden(std::string_view message) {
  return http::json_error(403, "forbidden", message);
}

http::response json_ok(const json& body, int status) {
  return http::json_response(body.dump(), status);
}

result<json> body_object(const http::request& req) {
  bool blank = true;
  for (char c : req.body)
    if (!std::isspace(static_cast<unsigned char>(c))) blank = false;
  if (blank) return json::object();
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return make_error(errc::invalid_argument, "the body must be a JSON object");
  return body;
}

result<int64_t> to_int(const std::string& text, std::string_view what) {
  bool digits = !text.empty() && text.size() <= 18;
  for (char c : text)
    if (!std::isdigit(static_cast<unsigned char>(c))) digits = false;
  if (!digits)
    return make_error(errc::invalid_argument,
                      std::string(what) + " must be a non-negative integer, not '" + text + "'");
  return static_cast<int64_t>(std::stoll(text));
}

std::optional<http::response> load_tenant(call& c, storage::tenant& out) {
  auto t = c.r.tenants().find(c.req.param("id").value_or(""));
  if (!t) return error_response(t.err());
  if (!c.who.sees(t->id)) return forbidden("this token is scoped to another tenant");
  out = std::move(*t);
  return std::nullopt;
}

std::optional<http::response> load_instance(call& c, storage::instance& out) {
  auto i = c.r.instances().find_by_name(c.req.param("name").value_or(""));
  if (!i) return error_response(i.err());
  if (!c.who.sees(i->tenant_id)) return forbidden("this token is scoped to another tenant");
  out = std::move(*i);
  return std::nullopt;
}

std::optional<http::response> load_contact(call& c, const storage::instance& in,
                                           storage::contact& out) {
  auto found = inspect::find_contact(c.r, in.id, c.req.param("jid").value_or(""));
  if (!found) return error_response(found.err());
  out = std::move(*found);
  return std::nullopt;
}

std::optional<http::response> load_dead_letter(call& c, storage::dead_letter& out) {
  auto id = to_int(c.req.param("id").value_or(""), "the dead letter id");
  if (!id) return error_response(id.err());
  auto d = c.r.failed_jobs().get(*id);
  if (!d) return error_response(d.err());
  // A dead letter whose instance is gone belongs to no tenant: only unscoped tokens see it.
  auto tenant = inspect::tenant_of_instance(c.r, d->instance_id);
  if (!tenant && tenant.err().code != errc::not_found) return error_response(tenant.err());
  if (tenant ? !c.who.sees(*tenant) : c.who.tenant_id.has_value())
    return forbidden("this token is scoped to another tenant");
  out = std::move(*d);
  return std::nullopt;
}

http::handler guarded(state_ptr state, std::string role, route_fn fn) {
  return [state, role, fn](http::request req, http::responder respond) {
    auto read = [state, role, fn, req = std::move(req), respond](storage::read_context& r) {
      // Whatever goes wrong, the request gets exactly one answer.
      try {
        auto who = authenticate(r, req.header("Authorization"));
        if (!who) {
          if (who.err().code == errc::not_found)
            return respond(http::json_error(401, "unauthorized", who.err().message));
          return respond(error_response(who.err()));
        }
        if (!who->has_role(role))
          return respond(forbidden("this needs a token with the " + role + " role"));
        call c{r, *who, req, respond, state};
        if (auto answer = fn(c)) respond(std::move(*answer));
      } catch (const std::exception& e) {
        respond(internal(e.what()));
      }
    };
    if (!state->reader.try_submit(std::move(read))) respond(busy());
  };
}

void then_read(const state_ptr& state, http::responder respond,
               std::function<http::response(storage::read_context&)> fn) {
  auto read = [respond, fn = std::move(fn)](storage::read_context& r) {
    try {
      respond(fn(r));
    } catch (const std::exception& e) {
      respond(internal(e.what()));
    }
  };
  if (!state->reader.try_submit(read)) respond(busy());
}

}  // namespace admin

void add_admin_routes(http::router& routes, storage::reader& reader, control& ctl,
                      const admin_api_options& options) {
  auto state = std::make_shared<const admin::api_state>(admin::api_state{reader, ctl, options});
  admin::add_write_routes(routes, state);
  admin::add_read_routes(routes, state);
}

}  // namespace aibud::runtime
