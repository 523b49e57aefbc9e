#include "base/log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <spdlog/logger.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <shared_mutex>

namespace aibud::log {
namespace {

constexpr std::string_view redacted = "[redacted]";
constexpr std::size_t min_secret_size = 4;

std::atomic<int> threshold{static_cast<int>(level::info)};

struct secret_registry {
  std::shared_mutex mutex;
  std::vector<std::string> values;  // longest first, so a secret inside another goes last
};
secret_registry& secrets() {
  static secret_registry r;
  return r;
}

struct destination {
  std::mutex mutex;
  std::shared_ptr<spdlog::logger> logger;
};
destination& dest() {
  static destination d;
  return d;
}

std::shared_ptr<spdlog::logger> make_logger(std::shared_ptr<spdlog::sinks::sink> sink) {
  auto logger = std::make_shared<spdlog::logger>("aibud", std::move(sink));
  logger->set_pattern("%v");
  logger->set_level(spdlog::level::trace);
  logger->flush_on(spdlog::level::trace);
  return logger;
}

std::shared_ptr<spdlog::logger> current_logger() {
  auto& d = dest();
  std::lock_guard<std::mutex> lock(d.mutex);
  if (!d.logger) d.logger = make_logger(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  return d.logger;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

bool secret_name(std::string_view name) {
  std::string n = lower(name);
  if (ends_with(n, "key")) return true;
  for (std::string_view word :
       {"token", "secret", "password", "passwd", "authorization", "credential", "cookie"})
    if (n.find(word) != std::string::npos) return true;
  return false;
}

bool auth_scheme(std::string_view name) {
  std::string n = lower(name);
  return n == "bearer" || n == "basic" || n == "digest" || n == "token";
}

bool name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

bool value_end(char c) {
  return std::isspace(static_cast<unsigned char>(c)) || c == '&' || c == ',' || c == ';' ||
         c == '"' || c == '\'' || c == '}' || c == ']' || c == ')' || c == '<' || c == '>' ||
         c == '\\';
}

void replace_all(std::string& text, std::string_view needle) {
  if (needle.empty()) return;
  std::size_t pos = 0;
  while ((pos = text.find(needle, pos)) != std::string::npos) {
    text.replace(pos, needle.size(), redacted);
    pos += redacted.size();
  }
}

// Exact secrets: the registry plus AIBUD_SECRET_KEY, read each time so a key set after
// start-up is covered too.
void redact_exact(std::string& text) {
  if (const char* master = std::getenv("AIBUD_SECRET_KEY");
      master != nullptr && std::string_view(master).size() >= min_secret_size)
    replace_all(text, master);
  auto& r = secrets();
  std::shared_lock<std::shared_mutex> lock(r.mutex);
  for (const auto& s : r.values) replace_all(text, s);
}

// A hand-written scanner rather than std::regex: libstdc++'s regex recurses per character
// and can overflow the stack on a long payload, and logs must never crash the process.
class pattern_scanner {
 public:
  explicit pattern_scanner(std::string_view in) : in_(in) { out_.reserve(in.size()); }

  std::string run() {
    while (i_ < in_.size()) {
      if (name_char(in_[i_]) && (i_ == 0 || !name_char(in_[i_ - 1]))) {
        name();
      } else {
        out_ += in_[i_++];
      }
    }
    return std::move(out_);
  }

 private:
  void name() {
    std::size_t end = i_;
    while (end < in_.size() && name_char(in_[end])) ++end;
    std::string_view word = in_.substr(i_, end - i_);
    out_.append(word);
    i_ = end;
    if (auth_scheme(word) && credential_after_spaces()) return;
    if (secret_name(word)) assignment();
  }

  // `Bearer <credential>`: keeps the scheme, hides what follows it.
  bool credential_after_spaces() {
    std::size_t s = i_;
    while (s < in_.size() && in_[s] == ' ') ++s;
    if (s == i_ || s >= in_.size() || value_end(in_[s])) return false;
    out_.append(in_.substr(i_, s - i_));
    i_ = s;
    bare_value();
    return true;
  }

  // After a secret-looking name: an optional closing quote, `:` or `=`, then the value.
  void assignment() {
    std::size_t k = i_;
    bool quoted = false;
    if (in_.compare(k, 2, "\\\"") == 0) {
      k += 2;
      quoted = true;
    } else if (k < in_.size() && (in_[k] == '"' || in_[k] == '\'')) {
      ++k;
      quoted = true;
    }
    while (k < in_.size() && in_[k] == ' ') ++k;
    if (k >= in_.size() || (in_[k] != ':' && in_[k] != '=')) return;
    ++k;
    while (k < in_.size() && in_[k] == ' ') ++k;
    if (k >= in_.size()) return;
    out_.append(in_.substr(i_, k - i_));
    i_ = k;
    if (in_.compare(i_, 2, "\\\"") == 0) return quoted_value("\\\"");
    if (in_[i_] == '"') return quoted_value("\"");
    if (in_[i_] == '\'') return quoted_value("'");
    if (in_[i_] == '{' || in_[i_] == '[') return;  // structure: its strings are scanned as met
    // In JSON text a bare value is a number, true, false or null: not a secret.
    if (quoted && (std::isdigit(static_cast<unsigned char>(in_[i_])) || in_[i_] == '-' ||
                   in_.compare(i_, 4, "true") == 0 || in_.compare(i_, 5, "false") == 0 ||
                   in_.compare(i_, 4, "null") == 0))
      return;
    std::size_t scheme_end = i_;
    while (scheme_end < in_.size() && name_char(in_[scheme_end])) ++scheme_end;
    if (scheme_end > i_ && auth_scheme(in_.substr(i_, scheme_end - i_))) {
      out_.append(in_.substr(i_, scheme_end - i_));
      i_ = scheme_end;
      if (credential_after_spaces()) return;
    }
    bare_value();
  }

  void quoted_value(std::string_view quote) {
    out_.append(quote);
    i_ += quote.size();
    std::size_t close = i_;
    for (;;) {
      close = in_.find(quote, close);
      if (close == std::string_view::npos) {
        close = in_.size();
        break;
      }
      // A quote escaped by a backslash does not end a plain "..." string.
      if (quote == "\"" && close > i_ && in_[close - 1] == '\\') {
        ++close;
        continue;
      }
      break;
    }
    if (close > i_) out_.append(redacted);
    i_ = close;
  }

  void bare_value() {
    if (in_.compare(i_, redacted.size(), redacted) == 0) {
      out_.append(redacted);
      i_ += redacted.size();
      return;
    }
    std::size_t end = i_;
    while (end < in_.size() && !value_end(in_[end])) ++end;
    if (end > i_) out_.append(redacted);
    i_ = end;
  }

  std::string_view in_;
  std::size_t i_ = 0;
  std::string out_;
};

// Under a secret-looking name every string is hidden, however deeply nested.
void hide_strings(nlohmann::json& value) {
  if (value.is_string()) {
    value = redacted;
  } else if (value.is_structured()) {
    for (auto& item : value) hide_strings(item);
  }
}

nlohmann::json redact_member(std::string_view name, const nlohmann::json& value) {
  if (!secret_name(name)) return redact_json(value);
  // Evolution's message `key` is an object of ids, not a secret; its strings are still
  // checked like any other.
  if (value.is_structured() && lower(name) == "key") return redact_json(value);
  nlohmann::json hidden = value;
  hide_strings(hidden);
  return hidden;
}

std::string iso8601_now() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
  std::time_t seconds = static_cast<std::time_t>(ms.count() / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buf[40];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms.count() % 1000));
  return buf;
}

std::string dump(const nlohmann::json& value) {
  // Invalid UTF-8 (a user's message) is replaced rather than thrown: a log line must not
  // fail.
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string_view to_string(level l) {
  switch (l) {
    case level::trace:
      return "trace";
    case level::debug:
      return "debug";
    case level::info:
      return "info";
    case level::warn:
      return "warn";
    case level::error:
      return "error";
    case level::off:
      return "off";
  }
  return "info";
}

std::optional<level> parse_level(std::string_view text) {
  std::string t = lower(text);
  for (level l : {level::trace, level::debug, level::info, level::warn, level::error, level::off})
    if (t == to_string(l)) return l;
  return std::nullopt;
}

void set_level(level l) {
  threshold.store(static_cast<int>(l));
}

level current_level() {
  return static_cast<level>(threshold.load());
}

bool enabled(level l) {
  return l != level::off && static_cast<int>(l) >= threshold.load();
}

void add_secret(std::string_view secret) {
  if (secret.size() < min_secret_size) return;
  auto& r = secrets();
  std::unique_lock<std::shared_mutex> lock(r.mutex);
  if (std::find(r.values.begin(), r.values.end(), secret) != r.values.end()) return;
  r.values.emplace_back(secret);
  std::stable_sort(r.values.begin(), r.values.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

void clear_secrets() {
  auto& r = secrets();
  std::unique_lock<std::shared_mutex> lock(r.mutex);
  r.values.clear();
}

std::string redact(std::string_view text) {
  std::string exact(text);
  redact_exact(exact);
  return pattern_scanner(exact).run();
}

nlohmann::json redact_json(const nlohmann::json& value) {
  if (value.is_string()) return redact(std::string_view(value.get_ref<const std::string&>()));
  if (value.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& item : value) out.push_back(redact_json(item));
    return out;
  }
  if (value.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& member : value.items())
      out[redact(std::string_view(member.key()))] = redact_member(member.key(), member.value());
    return out;
  }
  return value;
}

std::string format_line(level l, std::string_view msg, const fields& f) {
  std::string line = "{\"time\":\"" + iso8601_now() + "\",\"level\":\"";
  line += to_string(l);
  line += "\",\"msg\":";
  line += dump(redact(msg));
  for (const auto& [name, value] : f) {
    std::string key = redact(std::string_view(name));
    if (key == "time" || key == "level" || key == "msg") key = "field." + key;
    line += ',';
    line += dump(key);
    line += ':';
    line += dump(redact_member(name, value));
  }
  line += '}';
  // A last exact pass over the whole line, should a secret have slipped into a name.
  redact_exact(line);
  return line;
}

void write(level l, std::string_view msg, const fields& f) {
  if (!enabled(l)) return;
  std::string line = format_line(l, msg, f);
  current_logger()->log(spdlog::level::info, spdlog::string_view_t(line.data(), line.size()));
}

void set_sink(std::shared_ptr<spdlog::sinks::sink> sink) {
  auto logger = make_logger(std::move(sink));
  auto& d = dest();
  std::lock_guard<std::mutex> lock(d.mutex);
  d.logger = std::move(logger);
}

void log_to_stderr() {
  set_sink(std::make_shared<spdlog::sinks::stderr_sink_mt>());
}

status log_to_file(const std::string& path) {
  // Created 0600 up front: logs are redacted, yet they still describe customers.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return make_error(errc::unavailable, "cannot open log file " + path);
  ::close(fd);
  try {
    set_sink(std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, false));
  } catch (const spdlog::spdlog_ex& e) {
    return make_error(errc::unavailable, "cannot open log file " + path + ": " + e.what());
  }
  return ok_status();
}

void log_to_stream(std::ostream& out) {
  set_sink(std::make_shared<spdlog::sinks::ostream_sink_mt>(out, true));
}

}  // namespace aibud::log
