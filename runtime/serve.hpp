// `aibud serve`: the whole server assembled from configuration — storage writer, webhook
// intake, HTTP server — running until SIGTERM/SIGINT, then shut down gracefully: stop
// accepting, finish in-flight requests, flush the writer.
#pragma once

#include "base/error.hpp"
#include "runtime/config.hpp"

namespace aibud::runtime {

// Blocks until the server stops. Errors: unavailable when the database is held by another
// server, is at the wrong schema, or its secrets cannot be decrypted, or the address cannot
// be bound.
status serve(const config::config& cfg);

}  // namespace aibud::runtime
