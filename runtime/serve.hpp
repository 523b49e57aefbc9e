// `aibud serve`: the whole server assembled from configuration — storage writer, webhook
// intake, HTTP server — running until SIGTERM/SIGINT, then shut down gracefully: stop
// accepting, finish in-flight requests, flush the writer.
#pragma once

#include <cstdint>
#include <functional>

#include "base/error.hpp"
#include "runtime/config.hpp"

namespace aibud::runtime {

// Blocks until the server stops. Errors: unavailable when the database is held by another
// server, is at the wrong schema, or its secrets cannot be decrypted, or the address cannot
// be bound.
struct serve_hooks {
  // Called once the server listens, with its port and a function that stops it as SIGTERM
  // would (for `aibud demo`, which runs the server in its own process and drives it).
  std::function<void(uint16_t port, std::function<void()> stop)> on_listening;
};

status serve(const config::config& cfg, const serve_hooks& hooks = {});

}  // namespace aibud::runtime
