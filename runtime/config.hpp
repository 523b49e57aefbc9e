// The configuration of ARCHITECTURE §8 "Configuration": one JSON file, the environment and
// command-line flags over built-in defaults, with precedence flag > environment > file >
// default. Every key is one row of a registry (config.cpp): its path, type, validation and
// description; the default is the member initializer below. Adding a key is one member here
// and one row there.
//
// Key paths are snake_case and dotted (`jobs.max_attempts`); the file may nest them
// ({"jobs": {"max_attempts": 5}}) or spell them dotted at the top level. Each key's
// environment name is `AIBUD_` + the path upper-cased with `.` → `_`
// (`ai.gemini.base_url` ↔ `AIBUD_AI_GEMINI_BASE_URL`); the short aliases AIBUD_GEMINI_API_KEY,
// AIBUD_GEMINI_BASE_URL, AIBUD_OPENAI_BASE_URL and AIBUD_OPENAI_API_KEY are read too, and the
// full name wins when both are set. (AIBUD_LISTEN, AIBUD_DB, AIBUD_LOG_LEVEL and
// AIBUD_PUBLIC_URL are already the full names of their keys.)
//
// Errors stop start-up: an unknown key in the file, a value of the wrong JSON type, or a bad
// value from any source fails with invalid_argument and a message that starts with the key
// path, e.g. `jobs.max_attempts: expected a whole number >= 1, got "x" (from
// AIBUD_JOBS_MAX_ATTEMPTS)`. Values of secret keys are never repeated in errors.
// An AIBUD_* environment variable that names no key is ignored, not an error: other tools
// share the prefix (AIBUD_SERVER and AIBUD_TOKEN for the CLI, AIBUD_SECRET_KEY for the
// sealed secrets, AIBUD_TEST_* for tests), and a shell exporting one must not stop a server.
//
// No CAF, Beast or JSON type appears here, so any layer's code above runtime can read it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.hpp"

namespace aibud::config {

using std::chrono::milliseconds;

// Plain fields; member names are the key paths. Default-constructed, it holds the defaults.
struct config {
  std::string listen = "127.0.0.1:8787";  // HOST:PORT of the HTTP server
  std::string db = "./aibud.db";
  std::string public_url;  // "" means http://<listen>; see public_base_url()
  std::string log_level = "info";

  struct storage_keys {
    std::string sync = "FULL";  // SQLite synchronous: OFF|NORMAL|FULL|EXTRA
    milliseconds busy_timeout{5000};
  } storage;

  struct http_keys {
    std::int64_t body_limit = 16 * 1024 * 1024;  // bytes
    milliseconds header_timeout{10000};
    milliseconds body_timeout{30000};
    std::int64_t max_connections = 4096;
    std::int64_t threads = 2;
  } http;

  struct actors_keys {
    // CAF scheduler workers; 0 = half the cores this process may run on (its CPU affinity, which
    // a container's cpuset narrows), at least one. The actors share the machine
    // with the storage writer, the HTTP I/O threads and the HTTP client's thread: on a 2-core
    // VPS a second worker only adds wake-ups (bench/e2e: one worker answered 8 % more
    // messages per second, with 6 % less CPU per message).
    std::int64_t threads = 0;
  } actors;

  struct writer_keys {
    std::int64_t queue_limit = 10000;
    std::int64_t max_batch = 256;
  } writer;

  struct ai_keys {
    std::string provider;  // "" means auto; see ai_provider()
    struct gemini_keys {
      std::string api_key;
      std::string base_url = "https://generativelanguage.googleapis.com";
      std::string fast_model = "gemini-3.8-flash";
      std::string strong_model = "gemini-3.1-pro-preview";
      std::string fallback_model = "gemini-3.6-flash";
    } gemini;
    struct openai_keys {
      std::string base_url;
      std::string api_key;
      std::string model;
    } openai;
    std::int64_t max_concurrency = 8;
    milliseconds timeout{60000};
  } ai;

  struct jobs_keys {
    std::int64_t max_attempts = 5;
    milliseconds retry_base{2000};
    milliseconds retry_max{5 * 60 * 1000};
    milliseconds max_wait{24 * 3600 * 1000};
    milliseconds max_message_age{15 * 60 * 1000};
  } jobs;

  struct contacts_keys {
    milliseconds idle_timeout{10 * 60 * 1000};
  } contacts;

  struct takeover_keys {
    milliseconds pause{12 * 3600 * 1000};
  } takeover;

  struct credits_keys {
    std::int64_t text_reply = 1;
    std::int64_t poll = 1;
    std::int64_t valuation = 5;
  } credits;

  struct merge_keys {
    milliseconds quiet_period{3000};
    milliseconds max_wait{15000};
    milliseconds photo_window{10000};  // a burst of photos is valued once
  } merge;

  // Reply shaping: long replies split on paragraph breaks; optionally a "composing" presence
  // before each text, held per_char × characters within [min, max].
  struct reply_keys {
    std::int64_t max_length = 1000;  // bytes per message; 0 = never split
    std::string typing = "off";      // on | off
    milliseconds typing_per_char{40};
    milliseconds typing_min{800};
    milliseconds typing_max{6000};
  } reply;

  struct breaker_keys {
    std::int64_t failures = 5;
    milliseconds cooldown{30000};
  } breaker;

  // `public_url` without a trailing '/', or "http://" + listen when it is empty.
  std::string public_base_url() const;
  // The provider in effect: ai.provider when set, else gemini when a Gemini key is set, else
  // openai when an OpenAI base URL and model are set, else offline.
  std::string ai_provider() const;
};

// Where values come from. `env` and `flags` hold text; flags are keyed by key path.
struct sources {
  std::optional<std::string> file_path;     // --config FILE: must exist
  std::string default_file = "aibud.json";  // read only when present and file_path is unset
  std::map<std::string, std::string> env;
  std::map<std::string, std::string> flags;  // key path → value, e.g. {"listen", "0.0.0.0:80"}
};

result<config> load(const sources& from);

// The process environment's AIBUD_* variables.
std::map<std::string, std::string> environment();

// The non-empty secret values of a config (API keys), to be registered for log redaction.
std::vector<std::string> secrets(const config& cfg);

// One row per key, for `--help` texts and docs.
struct key_info {
  std::string path;
  std::string env;
  std::string type;  // "string", "integer", "duration", or the choices "a|b|c"
  std::string default_value;
  std::string description;
  bool secret = false;
};
std::vector<key_info> keys();
// Each key's value as text in registry order; a set secret shows as "[redacted]".
std::vector<std::pair<std::string, std::string>> values(const config& cfg);

std::string env_name(std::string_view path);

// "250ms", "90s", "30m", "12h", "7d", combinations such as "1h30m", or a bare whole number
// of seconds ("0" is zero). Fails with invalid_argument; the message names no key.
result<milliseconds> parse_duration(std::string_view text);
// The shortest exact spelling parse_duration reads back: "90s", "12h", "250ms".
std::string format_duration(milliseconds d);

struct host_port {
  std::string host;  // without brackets for IPv6
  std::uint16_t port = 0;
};
// "HOST:PORT" with HOST a name, an IPv4 address or a bracketed IPv6 address and PORT 0-65535
// (0 asks the system for a free port).
result<host_port> parse_host_port(std::string_view text);

}  // namespace aibud::config
