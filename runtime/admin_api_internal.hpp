// Plumbing shared by the admin API's route files; not part of the runtime API.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "adapters/http/request.hpp"
#include "adapters/http/router.hpp"
#include "base/error.hpp"
#include "runtime/admin_api.hpp"
#include "runtime/admin_auth.hpp"
#include "runtime/control.hpp"
#include "storage/records.hpp"

namespace aibud::storage {
class read_context;
}

namespace aibud::runtime::admin {

using json = nlohmann::ordered_json;

struct api_state {
  storage::reader& reader;
  control& ctl;
  admin_api_options options;
};
using state_ptr = std::shared_ptr<const api_state>;

// What a route does once its caller is authenticated with the role it needs, on a reader
// thread. It answers by returning a response, or returns nothing after handing `respond`
// on (a mutation answers after its commit).
struct call {
  storage::read_context& r;
  const principal& who;
  const http::request& req;
  const http::responder& respond;
  const state_ptr& state;
};
using route_fn = std::function<std::optional<http::response>(call&)>;

// The handler of a route needing `role`: reads and authenticates off the HTTP thread, then
// runs `fn`; a full reader queue answers 503 unavailable with Retry-After.
http::handler guarded(state_ptr state, std::string role, route_fn fn);

// An error value as the API answers it (errc → status).
http::response error_response(const error& e);
http::response forbidden(std::string_view message);
http::response json_ok(const json& body, int status = 200);

// Answers `r`'s value through `to_json`, or its error.
template <class T, class ToJson>
void answer(const http::responder& respond, result<T> r, ToJson to_json) {
  if (!r) return respond(error_response(r.err()));
  respond(json_ok(to_json(r.value())));
}

// The request body as a JSON object ("" is {}). Errors: invalid_argument.
result<json> body_object(const http::request& req);
// A path or query integer. Errors: invalid_argument naming `what`.
result<int64_t> to_int(const std::string& text, std::string_view what);

// Objects named in the path that the caller may see. Each fills `out` and returns nothing,
// or returns the answer to give instead: 400/404 for a bad or unknown name, 403 forbidden
// for another tenant's object.
std::optional<http::response> load_tenant(call& c, storage::tenant& out);      // {id}
std::optional<http::response> load_instance(call& c, storage::instance& out);  // {name}
std::optional<http::response> load_contact(call& c, const storage::instance& in,
                                           storage::contact& out);                   // {jid}
std::optional<http::response> load_dead_letter(call& c, storage::dead_letter& out);  // {id}

// Runs `fn` again on a reader thread (e.g. to show what a committed change left behind).
void then_read(const state_ptr& state, http::responder respond,
               std::function<http::response(storage::read_context&)> fn);

void add_read_routes(http::router& routes, const state_ptr& state);
void add_write_routes(http::router& routes, const state_ptr& state);

}  // namespace aibud::runtime::admin
