// Process-wide logging set up from the configuration (ARCHITECTURE §8 "Logs").
#pragma once

#include <map>
#include <string>

#include "runtime/config.hpp"

namespace aibud::runtime {

// Sends JSON lines to stderr at the configured log_level and registers for redaction every
// secret the process knows: the config's API keys and, from `env`, AIBUD_SECRET_KEY and
// AIBUD_TOKEN. Call once at start-up, before anything logs.
void setup_logging(const config::config& cfg,
                   const std::map<std::string, std::string>& env = config::environment());

}  // namespace aibud::runtime
