// What an HTTP handler sees and answers, with no Boost in sight: the server (server.hpp)
// turns each parsed request into a `request`, hands it to a `handler` with a `responder`, and
// writes the `response` once the responder is called.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aibud::http {

// Orders header names without regard to ASCII case (field names are case-insensitive).
struct case_insensitive_less {
  bool operator()(std::string_view a, std::string_view b) const;
  using is_transparent = void;
};

using header_map = std::map<std::string, std::string, case_insensitive_less>;

struct request {
  std::string method;                         // "GET", "POST", ... as sent
  std::string target;                         // raw request target: path and query
  std::string path;                           // target before '?', not percent-decoded
  std::map<std::string, std::string> query;   // percent-decoded; a repeated key keeps the last
  std::map<std::string, std::string> params;  // captures of the matched route ({name}), decoded
  header_map headers;                         // a repeated field is joined with ", "
  std::string body;                           // raw bytes, exactly as received
  std::string remote;                         // peer "address:port"

  // The value of a header field, looked up without regard to case.
  std::optional<std::string> header(std::string_view name) const;
  std::optional<std::string> query_value(std::string_view key) const;
  std::optional<std::string> param(std::string_view name) const;
};

struct response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra fields (Allow, Retry-After)
};

// Delivers the answer to a request. May be called from any thread, at any later time; only
// the first call counts. Calling it after the connection or the server has gone is harmless.
using responder = std::function<void(response)>;

// Handles one request. It must call (or hand on) the responder exactly once; it may return
// before doing so. It runs on a server thread, so it must not block for long.
using handler = std::function<void(request, responder)>;

// The one error shape of ARCHITECTURE §8: {"error":{"code":"...","message":"..."}}.
response json_error(int status, std::string_view code, std::string_view message);

// A JSON body with status 200 unless told otherwise.
response json_response(std::string body, int status = 200);

// Percent-decodes `text` ('+' stays '+'; query strings decode it to ' ' via parse_query).
// Returns nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view text);

// Splits "a=1&b=x%20y" into decoded pairs; malformed pairs are skipped.
std::map<std::string, std::string> parse_query(std::string_view query);

}  // namespace aibud::http
