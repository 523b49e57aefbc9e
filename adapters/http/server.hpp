// The HTTP/1.1 server: keep-alive, pipelining (replies in request order), per-message limits,
// a connection cap and graceful shutdown. It knows nothing of routes: every request goes to
// one `handler` (usually a router, router.hpp). Boost stays in the .cpp files.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "adapters/http/request.hpp"
#include "base/error.hpp"

namespace aibud::http {
namespace detail {
class server_core;
}

struct server_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8787;  // 0: an ephemeral port, see server::port()
  unsigned threads = 1;
  std::size_t body_limit = 16 * 1024 * 1024;  // larger bodies are answered 413 and closed
  std::size_t header_limit = 8 * 1024;        // larger headers are answered 431 and closed
  // From the start of a request (or of waiting for the next one on a kept-alive connection)
  // until its header is complete; then from there until its body is complete. Neither runs
  // while the client waits for one of our replies.
  std::chrono::milliseconds header_timeout{30000};
  std::chrono::milliseconds body_timeout{60000};
  std::chrono::milliseconds write_timeout{30000};  // a client that does not read its reply
  std::size_t max_connections = 4096;
  // How long stop() lets in-flight requests finish before cutting every connection.
  std::chrono::milliseconds shutdown_grace{10000};
  bool handle_signals = false;  // SIGINT/SIGTERM start a graceful stop
};

class server {
 public:
  // REQUIRES: `on_request` stays callable until the server is destroyed.
  server(server_options options, handler on_request);
  ~server();  // stops (gracefully) if still running
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Raises RLIMIT_NOFILE to fit max_connections, binds, listens and starts the threads.
  // Fails with unavailable when the address cannot be bound. Call once.
  status start();

  // The bound port (the real one when options.port was 0). Valid after start().
  std::uint16_t port() const;

  // Stops accepting, lets in-flight requests finish (up to shutdown_grace), closes idle
  // connections and returns once every server thread has ended. Safe to call from any thread
  // but a server thread (a handler), more than once, and after a signal already stopped it.
  void stop();

  // Starts the same graceful stop without waiting; safe from any thread, handlers included.
  void request_stop();

  // Blocks until the server has stopped (by stop(), request_stop() or a signal).
  void wait();

  // Connections open now (accepted and not yet closed), overload rejections included.
  std::size_t connections() const;

 private:
  std::unique_ptr<detail::server_core> core_;
};

// Raises the soft RLIMIT_NOFILE to at least `wanted` descriptors, capped at the hard limit.
// Returns the soft limit in force afterwards (which may be below `wanted`).
result<std::size_t> raise_fd_limit(std::size_t wanted);

}  // namespace aibud::http
