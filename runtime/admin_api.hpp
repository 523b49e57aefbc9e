// The admin API of ARCHITECTURE §8 under /api/v1: actors, jobs, dead letters, tenants,
// instances and their contacts. Every request is authenticated by its bearer token (401
// unauthorized when missing or unknown, 403 forbidden without the role or tenant scope) and
// read on storage::reader threads, never on the HTTP threads; mutations go through
// runtime::control, which writes each change with its audit entry (actor "token:<id>").
//
// Answers: JSON objects and arrays with the field names of runtime/views.hpp; errors are
// {"error":{"code","message"}}: 400 invalid_argument, 404 not_found, 409 conflict, 503
// unavailable with Retry-After (a full reader or writer queue), 500 internal.
// GET /api/v1/jobs is paged: {"items":[job...],"next_after":<id>|null}; pass next_after back
// as ?after= for the next page (limit 1-1000, default 100).
#pragma once

#include <chrono>
#include <string>

namespace aibud::http {
class router;
}
namespace aibud::storage {
class reader;
}

namespace aibud::runtime {

class control;

struct admin_api_options {
  std::string public_url;                                     // base of instances' webhook_url
  std::chrono::milliseconds default_pause{12 * 3600 * 1000};  // pause without "for"
};

// Adds every /api/v1 route to `routes`.
// REQUIRES: `reader` and `ctl` outlive the router's use (the server).
void add_admin_routes(http::router& routes, storage::reader& reader, control& ctl,
                      const admin_api_options& options);

}  // namespace aibud::runtime
