// The CLI's side of the admin API (ARCHITECTURE §2, §8). While a server holds the database,
// commands that change actor-owned state (and `actors`) ask it instead of writing the file.
// Its URL comes from --server, AIBUD_SERVER or the configured listen address; its token
// from AIBUD_TOKEN only, never argv.
//
// Errors the server answers come back with their own code (400 invalid_argument, 404
// not_found, 409 conflict, 503 unavailable, 500 internal); a refused token (401, 403) is
// invalid_argument "server refused the token: ..." (exit 2); a server that cannot be reached
// is unavailable.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/error.hpp"

namespace aibud::cli {

class context;
using json = nlohmann::ordered_json;

class api_client {
 public:
  api_client(std::string base_url, std::string token);

  // One request; `body` is sent as JSON when given. Answers the response's JSON.
  result<json> call(const std::string& method, const std::string& path,
                    const std::optional<json>& body = std::nullopt) const;

  const std::string& base_url() const { return base_url_; }

 private:
  std::string base_url_;
  std::string token_;
};

// A path segment percent-encoded (JIDs, names).
std::string path_segment(std::string_view text);

// The client for the server holding the database, or nothing when no server runs (the
// command then writes the database itself). Fails with invalid_argument when a server runs
// but AIBUD_TOKEN is not set.
std::optional<api_client> server_for(context& ctx);

// The client for a running server: the one --server or AIBUD_SERVER names, else the one
// holding the database. Fails with unavailable "no server is running" when there is none.
api_client require_server(context& ctx);

// Returns the value or fails the command with its error.
json must_call(const api_client& api, const std::string& method, const std::string& path,
               const std::optional<json>& body = std::nullopt);

}  // namespace aibud::cli
