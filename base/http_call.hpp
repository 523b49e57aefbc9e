// An outgoing HTTP call as plain data, so that adapters which talk to upstreams (Evolution,
// Gemini, OpenAI-compatible servers) build requests and parse replies without knowing how
// they travel. The transport (adapters/http/client: libcurl multi on its own thread) is
// injected; tests inject the same client pointed at fake servers on loopback.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace aibud {

struct http_call {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds timeout{60000};  // the whole call
};

struct http_reply {
  // 0 when no HTTP answer arrived (connection refused, timeout, TLS...): see `transport_error`.
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string transport_error;  // empty when an answer arrived
  bool timed_out = false;

  // The first header with this lower-case name, or "".
  std::string header(const std::string& lower_name) const {
    for (const auto& [name, value] : headers)
      if (name == lower_name) return value;
    return {};
  }
};

// Performs `call` and calls `done` exactly once, on the transport's thread; `done` must not
// block. Never throws.
using http_transport = std::function<void(http_call call, std::function<void(http_reply)> done)>;

}  // namespace aibud
