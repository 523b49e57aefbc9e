// Structured logs for every layer (ARCHITECTURE §8 "Logs"): one JSON object per line,
//   {"time":"2025-01-31T12:00:00.123Z","level":"info","msg":"...","tenant":"acme","job":42}
// written through spdlog to stderr unless a test or the runtime picks another sink.
//
//   log::info("job done", {{"tenant", "acme"}, {"job", 42}, {"step", "reply"}});
//
// Known field names are tenant, instance, contact, job, step; any other name is allowed.
// Fields keep their order; a field named time, level or msg is written as "field.<name>".
//
// Secrets never reach a sink. Every line is redacted before it is written:
// - exact values registered with add_secret() and the value of AIBUD_SECRET_KEY;
// - values that look like secrets by shape: `Bearer <x>`, `Authorization: <x>`, and any
//   `name=value`, `name: value` or JSON `"name":"value"` whose name suggests a secret (it
//   is `key` or ends in `key` — apikey, api_key, x-goog-api-key —, or contains token,
//   secret, password, passwd, authorization, credential or cookie), in the message, in
//   field values and inside nested JSON. A JSON field whose name suggests a secret has its
//   string value replaced whole; numbers stay (token counts are not secrets), and an object
//   under the name `key` stays (Evolution's message key is not a secret; its own strings are
//   still redacted).
// All functions are thread-safe.
#pragma once

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"

namespace spdlog::sinks {
class sink;
}

namespace aibud::log {

enum class level { trace, debug, info, warn, error, off };

std::string_view to_string(level l);
// "trace|debug|info|warn|error|off" (case-insensitive); nullopt for anything else.
std::optional<level> parse_level(std::string_view text);

struct field {
  std::string name;
  nlohmann::json value;
};
using fields = std::vector<field>;

// Lines below the level are dropped before any formatting. The default is info.
void set_level(level l);
level current_level();
bool enabled(level l);

void write(level l, std::string_view msg, const fields& f = {});
inline void trace(std::string_view msg, const fields& f = {}) {
  write(level::trace, msg, f);
}
inline void debug(std::string_view msg, const fields& f = {}) {
  write(level::debug, msg, f);
}
inline void info(std::string_view msg, const fields& f = {}) {
  write(level::info, msg, f);
}
inline void warn(std::string_view msg, const fields& f = {}) {
  write(level::warn, msg, f);
}
inline void error(std::string_view msg, const fields& f = {}) {
  write(level::error, msg, f);
}

// Registers an exact secret value to be replaced by "[redacted]" in every later line.
// Values shorter than 4 characters are ignored: replacing them would mangle every line
// while protecting nothing.
void add_secret(std::string_view secret);
// Forgets every registered secret (tests; AIBUD_SECRET_KEY is always redacted).
void clear_secrets();

// The redaction applied to each line, exposed so errors shown elsewhere can use it too.
std::string redact(std::string_view text);
nlohmann::json redact_json(const nlohmann::json& value);

// The rendered line for these inputs, without the trailing newline (already redacted).
std::string format_line(level l, std::string_view msg, const fields& f);

// Where lines go; each call replaces the previous destination.
void log_to_stderr();
// Appends to the file (created 0600 if missing); fails with unavailable when it cannot open.
status log_to_file(const std::string& path);
// The stream must outlive its use as the sink (until the next log_to_* or set_sink).
void log_to_stream(std::ostream& out);
void set_sink(std::shared_ptr<spdlog::sinks::sink> sink);

}  // namespace aibud::log
