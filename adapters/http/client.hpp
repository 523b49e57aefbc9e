// Outgoing HTTP for every upstream (Evolution, Gemini, OpenAI-compatible servers): one thread
// running a libcurl multi handle, many transfers at once, each call's reply delivered to its
// callback on that thread (the runtime turns it into an actor message). libcurl stays in the
// .cpp file.
//
// Nothing here logs a request's headers, body or URL: they carry API keys.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "base/http_call.hpp"

namespace aibud::http {
namespace detail {
class client_core;
}

struct client_options {
  // More calls to one host wait in line for a connection (their timeout runs meanwhile); a
  // host that answers over HTTP/2 carries up to 100 calls on each. At least 1.
  long max_host_connections = 8;
  long max_total_connections = 64;                    // the same, across hosts (HTTP/1 connections)
  std::size_t max_response_bytes = 64 * 1024 * 1024;  // larger bodies fail the call
  std::string user_agent = "aibud/0.1";
};

class client {
 public:
  // Starts the thread.
  explicit client(client_options options = {});
  // stop(). REQUIRES: not called from a `done` callback (the thread cannot join itself).
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  // Queues `call` and returns at once; thread-safe. `done` is called exactly once, on the
  // client's thread, with the answer (any status) or a transport error (status 0:
  // connection refused, DNS, TLS, `timed_out` past call.connect_timeout or call.timeout,
  // "cancelled" when stop() cuts it off). Once the client is stopped, `done` is called at once
  // on the calling thread with "cancelled". `done` must not block; what it throws is dropped.
  // A body with no Content-Type header goes out as application/json.
  void perform(http_call call, std::function<void(http_reply)> done);

  // Cancels queued and in-flight calls (their `done` gets "cancelled") and joins the thread.
  // Idempotent. From a `done` callback it only asks the thread to end.
  void stop();

  // `perform` as an injectable transport. The transport stays valid after the client is gone
  // (calls through it are then cancelled at once).
  http_transport as_transport() const;

  // Calls accepted and not yet completed.
  std::size_t in_flight() const;

 private:
  std::shared_ptr<detail::client_core> core_;
};

}  // namespace aibud::http
