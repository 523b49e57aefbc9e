#include "runtime/config.hpp"

#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <limits>
#include <sstream>

extern char** environ;

namespace aibud::config {
namespace {

using nlohmann::json;

constexpr std::int64_t no_max = std::numeric_limits<std::int64_t>::max();

using text_ref = std::string& (*)(config&);
using integer_ref = std::int64_t& (*)(config&);
using duration_ref = milliseconds& (*)(config&);
// Checks a text value and may normalise it in place; on failure returns what was expected.
using text_check = std::optional<std::string> (*)(std::string& value);

enum class kind { text, choice, integer, duration };

struct key_spec {
  std::string_view path;
  kind type = kind::text;
  text_ref text = nullptr;
  integer_ref integer = nullptr;
  duration_ref duration = nullptr;
  text_check check = nullptr;          // text
  std::string_view choices;            // choice: "a|b|c", matched case-insensitively
  std::int64_t min = 0, max = no_max;  // integer; duration in ms
  std::string_view description;
  bool secret = false;
};

key_spec text_key(std::string_view path, text_ref f, text_check check, std::string_view what) {
  key_spec k;
  k.path = path, k.type = kind::text, k.text = f, k.check = check, k.description = what;
  return k;
}
key_spec secret_key(std::string_view path, text_ref f, std::string_view what) {
  key_spec k = text_key(path, f, nullptr, what);
  k.secret = true;
  return k;
}
key_spec choice_key(std::string_view path, text_ref f, std::string_view choices,
                    std::string_view what) {
  key_spec k = text_key(path, f, nullptr, what);
  k.type = kind::choice, k.choices = choices;
  return k;
}
key_spec integer_key(std::string_view path, integer_ref f, std::int64_t min, std::int64_t max,
                     std::string_view what) {
  key_spec k;
  k.path = path, k.type = kind::integer, k.integer = f, k.min = min, k.max = max;
  k.description = what;
  return k;
}
key_spec duration_key(std::string_view path, duration_ref f, milliseconds min,
                      std::string_view what) {
  key_spec k;
  k.path = path, k.type = kind::duration, k.duration = f, k.min = min.count();
  k.description = what;
  return k;
}

std::optional<std::string> check_listen(std::string& v) {
  if (parse_host_port(v).ok()) return std::nullopt;
  return "HOST:PORT such as 127.0.0.1:8787";
}
std::optional<std::string> check_not_empty(std::string& v) {
  if (!v.empty()) return std::nullopt;
  return "a non-empty string";
}
bool is_http_url(const std::string& v) {
  auto rest = [&](std::string_view scheme) {
    return v.compare(0, scheme.size(), scheme) == 0 && v.size() > scheme.size();
  };
  bool spaces = std::any_of(v.begin(), v.end(), [](char c) {
    return std::isspace(static_cast<unsigned char>(c)) ||
           std::iscntrl(static_cast<unsigned char>(c));
  });
  return !spaces && (rest("http://") || rest("https://"));
}
std::optional<std::string> check_url(std::string& v) {
  while (v.size() > 1 && v.back() == '/') v.pop_back();
  if (is_http_url(v)) return std::nullopt;
  return "an http:// or https:// URL";
}
std::optional<std::string> check_optional_url(std::string& v) {
  if (v.empty()) return std::nullopt;
  if (check_url(v)) return "\"\" or an http:// or https:// URL";
  return std::nullopt;
}
std::optional<std::string> check_provider(std::string& v) {
  std::string lower = v;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "auto") lower.clear();
  if (lower.empty() || lower == "offline" || lower == "gemini" || lower == "openai") {
    v = lower;
    return std::nullopt;
  }
  return "one of auto|offline|gemini|openai (\"\" is auto)";
}

// The member path doubles as the key path, so a row cannot name one and bind another.
#define AIBUD_KEY(member)            \
#member, [](config & c) -> auto& { \
    return c.member;                 \
  }

const std::vector<key_spec>& registry() {
  static const std::vector<key_spec> rows = {
      text_key(AIBUD_KEY(listen), check_listen, "HOST:PORT the HTTP server listens on"),
      text_key(AIBUD_KEY(db), check_not_empty, "path of the SQLite database file"),
      text_key(AIBUD_KEY(public_url), check_optional_url,
               "base of webhook URLs given to Evolution; \"\" means http://<listen>"),
      choice_key(AIBUD_KEY(log_level), "trace|debug|info|warn|error", "lowest level logged"),
      choice_key(AIBUD_KEY(storage.sync), "OFF|NORMAL|FULL|EXTRA", "SQLite synchronous mode"),
      duration_key(AIBUD_KEY(storage.busy_timeout), milliseconds(0), "SQLite busy timeout"),
      integer_key(AIBUD_KEY(http.body_limit), 1, std::int64_t(1) << 30,
                  "largest request body in bytes"),
      duration_key(AIBUD_KEY(http.header_timeout), milliseconds(1),
                   "time allowed to read request headers"),
      duration_key(AIBUD_KEY(http.body_timeout), milliseconds(1),
                   "time allowed to read a request body"),
      integer_key(AIBUD_KEY(http.max_connections), 1, 1000000, "open connections at most"),
      integer_key(AIBUD_KEY(http.threads), 1, 256, "HTTP I/O threads"),
      integer_key(AIBUD_KEY(actors.threads), 0, 256,
                  "actor scheduler threads; 0: half the cores, at least one"),
      integer_key(AIBUD_KEY(writer.queue_limit), 1, no_max,
                  "writes queued for the storage writer before intake answers 503"),
      integer_key(AIBUD_KEY(writer.max_batch), 1, 100000, "writes per group commit at most"),
      text_key(AIBUD_KEY(ai.provider), check_provider,
               "offline|gemini|openai; \"\" (auto): gemini with a Gemini key, openai with an "
               "OpenAI base_url and model, else offline"),
      secret_key(AIBUD_KEY(ai.gemini.api_key), "Gemini API key"),
      text_key(AIBUD_KEY(ai.gemini.base_url), check_url, "Gemini API base URL"),
      text_key(AIBUD_KEY(ai.gemini.fast_model), check_not_empty, "default Gemini model"),
      text_key(AIBUD_KEY(ai.gemini.strong_model), check_not_empty,
               "Gemini model for vision and long contexts"),
      text_key(AIBUD_KEY(ai.gemini.fallback_model), check_not_empty,
               "Gemini model used when the chosen one is overloaded"),
      text_key(AIBUD_KEY(ai.openai.base_url), check_optional_url, "OpenAI-compatible API base URL"),
      secret_key(AIBUD_KEY(ai.openai.api_key), "OpenAI-compatible API key"),
      text_key(AIBUD_KEY(ai.openai.model), nullptr, "OpenAI-compatible model name"),
      integer_key(AIBUD_KEY(ai.max_concurrency), 1, 10000, "AI requests in flight at most"),
      duration_key(AIBUD_KEY(ai.timeout), milliseconds(1), "timeout of one AI request"),
      integer_key(AIBUD_KEY(jobs.max_attempts), 1, no_max,
                  "attempts before a job goes to the dead letter queue"),
      duration_key(AIBUD_KEY(jobs.retry_base), milliseconds(1), "first retry delay"),
      duration_key(AIBUD_KEY(jobs.retry_max), milliseconds(1), "longest retry delay"),
      duration_key(AIBUD_KEY(jobs.max_wait), milliseconds(0),
                   "how long a waiting job may wait before it fails"),
      duration_key(AIBUD_KEY(jobs.max_message_age), milliseconds(0),
                   "messages older than this are recorded but not answered"),
      duration_key(AIBUD_KEY(contacts.idle_timeout), milliseconds(1),
                   "idle time before a contact actor is passivated"),
      duration_key(AIBUD_KEY(takeover.pause), milliseconds(0),
                   "how long a human takeover pauses the agent"),
      integer_key(AIBUD_KEY(credits.text_reply), 0, no_max, "credits charged per text reply"),
      integer_key(AIBUD_KEY(credits.poll), 0, no_max, "credits charged per poll sent"),
      integer_key(AIBUD_KEY(credits.valuation), 0, no_max,
                  "credits charged per property valuation"),
      duration_key(AIBUD_KEY(merge.quiet_period), milliseconds(0),
                   "quiet time that ends a burst of messages (0: no merging)"),
      duration_key(AIBUD_KEY(merge.max_wait), milliseconds(0),
                   "longest a burst is held before it is answered"),
      duration_key(AIBUD_KEY(merge.photo_window), milliseconds(0),
                   "quiet time that ends a burst of photos, valued once (0: each alone)"),
      integer_key(AIBUD_KEY(reply.max_length), 0, 65536,
                  "longest text message in bytes; longer replies are split (0: never)"),
      choice_key(AIBUD_KEY(reply.typing), "on|off",
                 "show \"typing...\" (sendPresence) for a human-like time before each text"),
      duration_key(AIBUD_KEY(reply.typing_per_char), milliseconds(0),
                   "typing time per character of the text"),
      duration_key(AIBUD_KEY(reply.typing_min), milliseconds(0), "shortest typing time"),
      duration_key(AIBUD_KEY(reply.typing_max), milliseconds(0), "longest typing time"),
      integer_key(AIBUD_KEY(breaker.failures), 1, no_max,
                  "consecutive upstream failures that open the circuit breaker"),
      duration_key(AIBUD_KEY(breaker.cooldown), milliseconds(0),
                   "how long an open breaker waits before a trial request"),
  };
  return rows;
}

#undef AIBUD_KEY

// Short environment names kept for convenience (ARCHITECTURE §8).
const std::vector<std::pair<std::string_view, std::string_view>>& aliases() {
  static const std::vector<std::pair<std::string_view, std::string_view>> rows = {
      {"AIBUD_GEMINI_API_KEY", "ai.gemini.api_key"},
      {"AIBUD_GEMINI_BASE_URL", "ai.gemini.base_url"},
      {"AIBUD_OPENAI_BASE_URL", "ai.openai.base_url"},
      {"AIBUD_OPENAI_API_KEY", "ai.openai.api_key"},
  };
  return rows;
}

const key_spec* find_key(std::string_view path) {
  for (const auto& k : registry())
    if (k.path == path) return &k;
  return nullptr;
}

bool is_key_prefix(std::string_view prefix) {
  for (const auto& k : registry())
    if (k.path.size() > prefix.size() && k.path.compare(0, prefix.size(), prefix) == 0 &&
        k.path[prefix.size()] == '.')
      return true;
  return false;
}

std::string shown(std::string_view value) {
  constexpr std::size_t longest = 60;
  std::string v(value.substr(0, longest));
  json j = v;
  std::string out = j.dump(-1, ' ', false, json::error_handler_t::replace);
  if (value.size() > longest) out.insert(out.size() - 1, "...");
  return out;
}

error bad_value(const key_spec& k, std::string_view expected, std::string_view got,
                std::string_view origin) {
  std::string msg = std::string(k.path) + ": expected " + std::string(expected);
  if (!k.secret) msg += ", got " + std::string(got);
  msg += " (" + std::string(origin) + ")";
  return make_error(errc::invalid_argument, std::move(msg));
}

std::string integer_expectation(const key_spec& k) {
  if (k.max == no_max) return "a whole number >= " + std::to_string(k.min);
  return "a whole number from " + std::to_string(k.min) + " to " + std::to_string(k.max);
}

std::string duration_expectation(const key_spec& k) {
  std::string out = "a duration such as 250ms, 90s, 30m, 12h or 7d";
  if (k.min > 0) out += " of at least " + format_duration(milliseconds(k.min));
  return out;
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
  std::int64_t v = 0;
  if (text.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

// Sets one key from its text form, the way every source spells values in the end.
status assign(const key_spec& k, std::string text, std::string_view origin, config& cfg) {
  switch (k.type) {
    case kind::text: {
      if (k.check) {
        if (auto expected = k.check(text)) return bad_value(k, *expected, shown(text), origin);
      }
      k.text(cfg) = std::move(text);
      return ok_status();
    }
    case kind::choice: {
      std::string_view choices = k.choices;
      while (!choices.empty()) {
        std::string_view choice = choices.substr(0, choices.find('|'));
        bool same = choice.size() == text.size() &&
                    std::equal(choice.begin(), choice.end(), text.begin(), [](char a, char b) {
                      return std::tolower(static_cast<unsigned char>(a)) ==
                             std::tolower(static_cast<unsigned char>(b));
                    });
        if (same) {
          k.text(cfg) = std::string(choice);
          return ok_status();
        }
        choices.remove_prefix(std::min(choices.size(), choice.size() + 1));
      }
      return bad_value(k, "one of " + std::string(k.choices), shown(text), origin);
    }
    case kind::integer: {
      auto v = parse_integer(text);
      if (!v || *v < k.min || *v > k.max)
        return bad_value(k, integer_expectation(k), shown(text), origin);
      k.integer(cfg) = *v;
      return ok_status();
    }
    case kind::duration: {
      auto d = parse_duration(text);
      if (!d.ok() || d->count() < k.min)
        return bad_value(k, duration_expectation(k), shown(text), origin);
      k.duration(cfg) = *d;
      return ok_status();
    }
  }
  return make_error(errc::internal, std::string(k.path) + ": unknown key type");
}

std::string json_type(const json& v) {
  if (v.is_string()) return "a string";
  if (v.is_boolean()) return "a boolean";
  if (v.is_number()) return "a number";
  if (v.is_null()) return "null";
  if (v.is_array()) return "an array";
  return "an object";
}

// A file value: checks its JSON type, then goes through the same text path as env and flags.
status assign_json(const key_spec& k, const json& v, std::string_view origin, config& cfg) {
  std::string got =
      k.secret ? json_type(v) : v.dump(-1, ' ', false, json::error_handler_t::replace);
  if (got.size() > 64) got = got.substr(0, 60) + "...";
  switch (k.type) {
    case kind::text:
    case kind::choice:
      if (!v.is_string())
        return bad_value(k,
                         k.type == kind::choice ? "one of " + std::string(k.choices) : "a string",
                         got, origin);
      return assign(k, v.get<std::string>(), origin, cfg);
    case kind::integer:
      if (!v.is_number_integer()) return bad_value(k, integer_expectation(k), got, origin);
      return assign(k, v.dump(), origin, cfg);
    case kind::duration:
      if (v.is_string()) return assign(k, v.get<std::string>(), origin, cfg);
      if (v.is_number_integer()) return assign(k, v.dump(), origin, cfg);
      return bad_value(k, duration_expectation(k) + " or whole seconds", got, origin);
  }
  return make_error(errc::internal, std::string(k.path) + ": unknown key type");
}

status read_object(const json& object, const std::string& prefix, std::string_view origin,
                   config& cfg) {
  for (const auto& member : object.items()) {
    std::string path = prefix.empty() ? member.key() : prefix + "." + member.key();
    if (const key_spec* k = find_key(path)) {
      if (auto s = assign_json(*k, member.value(), origin, cfg); !s.ok()) return s;
    } else if (member.value().is_object() && is_key_prefix(path)) {
      if (auto s = read_object(member.value(), path, origin, cfg); !s.ok()) return s;
    } else {
      return make_error(errc::invalid_argument,
                        path + ": unknown configuration key (" + std::string(origin) + ")");
    }
  }
  return ok_status();
}

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

status read_file(const std::string& path, config& cfg) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(errc::invalid_argument, "config file " + path + ": cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  json doc = json::parse(text.str(), nullptr, false);
  if (doc.is_discarded())
    return make_error(errc::invalid_argument, "config file " + path + ": not valid JSON");
  if (!doc.is_object())
    return make_error(errc::invalid_argument, "config file " + path + ": expected a JSON object");
  return read_object(doc, "", "in " + path, cfg);
}

status read_env(const std::map<std::string, std::string>& env, config& cfg) {
  // Aliases first, so the full name wins when both are set.
  for (const auto& [name, path] : aliases()) {
    auto it = env.find(std::string(name));
    if (it == env.end()) continue;
    if (auto s = assign(*find_key(path), it->second, "from " + it->first, cfg); !s.ok()) return s;
  }
  for (const auto& k : registry()) {
    std::string name = env_name(k.path);
    auto it = env.find(name);
    if (it == env.end()) continue;
    if (auto s = assign(k, it->second, "from " + name, cfg); !s.ok()) return s;
  }
  return ok_status();
}

status read_flags(const std::map<std::string, std::string>& flags, config& cfg) {
  for (const auto& [path, value] : flags) {
    const key_spec* k = find_key(path);
    if (!k)
      return make_error(errc::invalid_argument,
                        path + ": unknown configuration key (from the command line)");
    if (auto s = assign(*k, value, "from the command line", cfg); !s.ok()) return s;
  }
  return ok_status();
}

// Rules that involve more than one key, checked once every source has been applied.
status check_together(const config& cfg) {
  if (cfg.ai.provider == "gemini" && cfg.ai.gemini.api_key.empty())
    return make_error(errc::invalid_argument,
                      "ai.provider: gemini needs ai.gemini.api_key (AIBUD_GEMINI_API_KEY)");
  if (cfg.ai.provider == "openai" &&
      (cfg.ai.openai.base_url.empty() || cfg.ai.openai.model.empty()))
    return make_error(errc::invalid_argument,
                      "ai.provider: openai needs ai.openai.base_url and ai.openai.model");
  if (cfg.jobs.retry_max < cfg.jobs.retry_base)
    return make_error(errc::invalid_argument,
                      "jobs.retry_max: must not be shorter than jobs.retry_base");
  if (cfg.reply.typing_max > std::chrono::seconds(30))
    return make_error(errc::invalid_argument,
                      "reply.typing_max: at most 30s (the contact waits while it types)");
  if (cfg.reply.max_length > 0 && cfg.reply.max_length < 100)
    return make_error(errc::invalid_argument,
                      "reply.max_length: 0 (never split) or at least 100 bytes");
  if (cfg.reply.typing_max < cfg.reply.typing_min)
    return make_error(errc::invalid_argument,
                      "reply.typing_max: must not be shorter than reply.typing_min");
  if (cfg.merge.max_wait < cfg.merge.quiet_period)
    return make_error(errc::invalid_argument,
                      "merge.max_wait: must not be shorter than merge.quiet_period");
  return ok_status();
}

std::string text_of(const key_spec& k, config& cfg, bool hide_secrets) {
  switch (k.type) {
    case kind::text:
    case kind::choice: {
      const std::string& v = k.text(cfg);
      return hide_secrets && k.secret && !v.empty() ? "[redacted]" : v;
    }
    case kind::integer:
      return std::to_string(k.integer(cfg));
    case kind::duration:
      return format_duration(k.duration(cfg));
  }
  return "";
}

}  // namespace

std::string config::public_base_url() const {
  std::string url = public_url.empty() ? "http://" + listen : public_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

std::string config::ai_provider() const {
  if (!ai.provider.empty()) return ai.provider;
  if (!ai.gemini.api_key.empty()) return "gemini";
  if (!ai.openai.base_url.empty() && !ai.openai.model.empty()) return "openai";
  return "offline";
}

result<config> load(const sources& from) {
  config cfg;
  if (from.file_path) {
    if (!file_exists(*from.file_path))
      return make_error(errc::invalid_argument,
                        "config file " + *from.file_path + ": no such file");
    if (auto s = read_file(*from.file_path, cfg); !s.ok()) return s.err();
  } else if (!from.default_file.empty() && file_exists(from.default_file)) {
    if (auto s = read_file(from.default_file, cfg); !s.ok()) return s.err();
  }
  if (auto s = read_env(from.env, cfg); !s.ok()) return s.err();
  if (auto s = read_flags(from.flags, cfg); !s.ok()) return s.err();
  if (auto s = check_together(cfg); !s.ok()) return s.err();
  return cfg;
}

std::map<std::string, std::string> environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    if (entry.compare(0, 6, "AIBUD_") != 0) continue;
    auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
  }
  return env;
}

std::vector<std::string> secrets(const config& cfg) {
  std::vector<std::string> out;
  config copy = cfg;
  for (const auto& k : registry())
    if (k.secret && !k.text(copy).empty()) out.push_back(k.text(copy));
  return out;
}

std::vector<key_info> keys() {
  std::vector<key_info> out;
  config defaults;
  for (const auto& k : registry()) {
    key_info info;
    info.path = std::string(k.path);
    info.env = env_name(k.path);
    switch (k.type) {
      case kind::text:
        info.type = "string";
        break;
      case kind::choice:
        info.type = std::string(k.choices);
        break;
      case kind::integer:
        info.type = "integer";
        break;
      case kind::duration:
        info.type = "duration";
        break;
    }
    info.default_value = text_of(k, defaults, true);
    info.description = std::string(k.description);
    info.secret = k.secret;
    out.push_back(std::move(info));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> values(const config& cfg) {
  std::vector<std::pair<std::string, std::string>> out;
  config copy = cfg;
  for (const auto& k : registry()) out.emplace_back(std::string(k.path), text_of(k, copy, true));
  return out;
}

std::string env_name(std::string_view path) {
  std::string name = "AIBUD_";
  for (char c : path)
    name += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

result<milliseconds> parse_duration(std::string_view text) {
  auto bad = [&] {
    return make_error(errc::invalid_argument,
                      "invalid duration " + shown(text) +
                          ": expected e.g. 250ms, 90s, 30m, 12h, 7d or whole seconds");
  };
  if (text.empty()) return bad();
  // Far beyond any sensible setting, and far from overflowing milliseconds.
  constexpr std::int64_t limit = std::int64_t(100) * 365 * 24 * 3600 * 1000;
  if (std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    auto seconds = parse_integer(text);
    if (!seconds || *seconds > limit / 1000) return bad();
    return milliseconds(*seconds * 1000);
  }
  std::int64_t total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    auto amount = parse_integer(text.substr(start, i - start));
    if (!amount || *amount > limit) return bad();
    std::size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    std::int64_t scale = 0;
    if (unit == "ms")
      scale = 1;
    else if (unit == "s")
      scale = 1000;
    else if (unit == "m")
      scale = 60 * 1000;
    else if (unit == "h")
      scale = 3600 * 1000;
    else if (unit == "d")
      scale = 24 * 3600 * 1000;
    else
      return bad();
    if (*amount > (limit - total) / scale) return bad();
    total += *amount * scale;
  }
  return milliseconds(total);
}

std::string format_duration(milliseconds d) {
  std::int64_t ms = d.count();
  if (ms == 0) return "0s";
  for (auto [unit, scale] : {std::pair<const char*, std::int64_t>{"d", 24 * 3600 * 1000},
                             {"h", 3600 * 1000},
                             {"m", 60 * 1000},
                             {"s", 1000}})
    if (ms % scale == 0) return std::to_string(ms / scale) + unit;
  return std::to_string(ms) + "ms";
}

result<host_port> parse_host_port(std::string_view text) {
  auto bad = [&] {
    return make_error(errc::invalid_argument,
                      "invalid address " + shown(text) + ": expected HOST:PORT");
  };
  host_port out;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return bad();
    out.host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
    bool ipv6 = !out.host.empty() && std::all_of(out.host.begin(), out.host.end(), [](char c) {
      return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
    });
    if (!ipv6) return bad();
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad();
    out.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
    bool name = !out.host.empty() && std::all_of(out.host.begin(), out.host.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
    });
    if (!name) return bad();
  }
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return bad();
  auto number = parse_integer(port);
  if (!number || *number > 65535) return bad();
  out.port = static_cast<std::uint16_t>(*number);
  return out;
}

}  // namespace aibud::config
