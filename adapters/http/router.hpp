// Maps a request's method and path to a handler. Patterns are literal segments and `{name}`
// captures of one non-empty segment ("/webhook/evolution/{instance}/{event}"); a capture is
// percent-decoded into request::params. No match for the path → 404 `not_found`; a path that
// matches only under other methods → 405 `method_not_allowed` with Allow.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "adapters/http/request.hpp"

namespace aibud::http {

class router {
 public:
  // Routes are tried in the order they were added; the first match wins.
  void add(std::string method, std::string_view pattern, handler on_request);
  void get(std::string_view pattern, handler h) { add("GET", pattern, std::move(h)); }
  void post(std::string_view pattern, handler h) { add("POST", pattern, std::move(h)); }

  // Dispatches one request (answers 404/405 itself).
  void operator()(request req, responder respond) const;

  // A handler for server that dispatches through this router.
  // REQUIRES: the router outlives the server and gets no new routes once it serves.
  handler as_handler() const;

 private:
  struct route {
    std::string method;
    std::vector<std::string> segments;  // "{name}" marks a capture
    handler on_request;
  };
  static bool match(const route& r, const std::vector<std::string_view>& path,
                    std::map<std::string, std::string>& params);

  std::vector<route> routes_;
};

}  // namespace aibud::http
