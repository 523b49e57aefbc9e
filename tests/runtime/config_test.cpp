#include "runtime/config.hpp"

#include <doctest/doctest.h>

#include <sstream>

#include "base/log.hpp"
#include "runtime/logging.hpp"
#include "tests/support/temp_dir.hpp"

using namespace aibud;
using namespace std::chrono_literals;
using config::sources;

namespace {

// A source set that never touches the cwd: the default file lives in a fresh temp dir.
struct fixture {
  testing::temp_dir dir;
  sources src;
  fixture() { src.default_file = dir.file("aibud.json"); }

  void file(const std::string& json) { testing::write_file(src.default_file, json); }

  config::config load_ok() {
    auto cfg = config::load(src);
    REQUIRE_MESSAGE(cfg.ok(), (cfg.ok() ? "" : cfg.err().message));
    return *cfg;
  }

  // The error message; fails the test when loading succeeds or the code is not
  // invalid_argument.
  std::string load_error() {
    auto cfg = config::load(src);
    REQUIRE_FALSE(cfg.ok());
    CHECK(cfg.err().code == errc::invalid_argument);
    return cfg.err().message;
  }
};

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

TEST_CASE("with no file, environment or flags every key has its default") {
  fixture f;
  auto cfg = f.load_ok();
  CHECK(cfg.listen == "127.0.0.1:8787");
  CHECK(cfg.db == "./aibud.db");
  CHECK(cfg.public_url == "");
  CHECK(cfg.public_base_url() == "http://127.0.0.1:8787");
  CHECK(cfg.log_level == "info");
  CHECK(cfg.storage.sync == "FULL");
  CHECK(cfg.storage.busy_timeout == 5s);
  CHECK(cfg.http.body_limit == 16 * 1024 * 1024);
  CHECK(cfg.http.header_timeout == 10s);
  CHECK(cfg.http.body_timeout == 30s);
  CHECK(cfg.http.max_connections == 4096);
  CHECK(cfg.http.threads == 2);
  CHECK(cfg.actors.threads == 0);
  CHECK(cfg.writer.queue_limit == 10000);
  CHECK(cfg.writer.max_batch == 256);
  CHECK(cfg.ai.provider == "");
  CHECK(cfg.ai_provider() == "offline");
  CHECK(cfg.ai.gemini.base_url == "https://generativelanguage.googleapis.com");
  CHECK(cfg.ai.gemini.fast_model == "gemini-3.8-flash");
  CHECK(cfg.ai.gemini.strong_model == "gemini-3.1-pro-preview");
  CHECK(cfg.ai.gemini.fallback_model == "gemini-3.6-flash");
  CHECK(cfg.ai.openai.base_url == "");
  CHECK(cfg.ai.max_concurrency == 8);
  CHECK(cfg.ai.timeout == 60s);
  CHECK(cfg.jobs.max_attempts == 5);
  CHECK(cfg.jobs.retry_base == 2s);
  CHECK(cfg.jobs.retry_max == 5min);
  CHECK(cfg.jobs.max_wait == 24h);
  CHECK(cfg.jobs.max_message_age == 15min);
  CHECK(cfg.contacts.idle_timeout == 10min);
  CHECK(cfg.takeover.pause == 12h);
  CHECK(cfg.credits.text_reply == 1);
  CHECK(cfg.credits.poll == 1);
  CHECK(cfg.credits.valuation == 5);
  CHECK(cfg.merge.quiet_period == 3s);
  CHECK(cfg.merge.max_wait == 15s);
  CHECK(cfg.breaker.failures == 5);
  CHECK(cfg.breaker.cooldown == 30s);
  CHECK(config::secrets(cfg).empty());
}

TEST_CASE("every registered key has an environment name and a readable default") {
  auto keys = config::keys();
  CHECK(keys.size() >= 38);
  for (const auto& k : keys) {
    CHECK(k.env == config::env_name(k.path));
    CHECK_FALSE(k.description.empty());
  }
  CHECK(config::env_name("ai.gemini.base_url") == "AIBUD_AI_GEMINI_BASE_URL");
  auto values = config::values(config::config{});
  REQUIRE(values.size() == keys.size());
  CHECK(values[0] == std::pair<std::string, std::string>("listen", "127.0.0.1:8787"));
}

TEST_CASE("values in the default file are read, nested or dotted") {
  fixture f;
  f.file(R"({
    "listen": "0.0.0.0:9000",
    "log_level": "debug",
    "storage": {"sync": "normal", "busy_timeout": "250ms"},
    "http": {"body_limit": 1048576, "threads": 4},
    "ai": {"gemini": {"api_key": "file-gemini-key", "fast_model": "m-fast"}},
    "jobs.max_attempts": 9,
    "jobs": {"retry_base": 3},
    "takeover": {"pause": "7d"}
  })");
  auto cfg = f.load_ok();
  CHECK(cfg.listen == "0.0.0.0:9000");
  CHECK(cfg.log_level == "debug");
  CHECK(cfg.storage.sync == "NORMAL");
  CHECK(cfg.storage.busy_timeout == 250ms);
  CHECK(cfg.http.body_limit == 1048576);
  CHECK(cfg.http.threads == 4);
  CHECK(cfg.ai.gemini.api_key == "file-gemini-key");
  CHECK(cfg.ai.gemini.fast_model == "m-fast");
  CHECK(cfg.ai_provider() == "gemini");
  CHECK(cfg.jobs.max_attempts == 9);
  CHECK(cfg.jobs.retry_base == 3s);
  CHECK(cfg.takeover.pause == 24h * 7);
  CHECK(config::secrets(cfg) == std::vector<std::string>{"file-gemini-key"});
}

TEST_CASE("an explicitly named config file is read instead of the default one") {
  fixture f;
  f.file(R"({"db": "default.db"})");
  std::string named = f.dir.file("named.json");
  testing::write_file(named, R"({"db": "named.db"})");
  f.src.file_path = named;
  CHECK(f.load_ok().db == "named.db");
}

TEST_CASE("a missing explicitly named config file is an error naming it") {
  fixture f;
  f.src.file_path = f.dir.file("nope.json");
  std::string msg = f.load_error();
  CHECK(msg.find("nope.json") != std::string::npos);
}

TEST_CASE("a missing default config file is not an error") {
  fixture f;
  CHECK(f.load_ok().db == "./aibud.db");
}

TEST_CASE("a config file that is not a JSON object is an error naming the file") {
  fixture f;
  f.file("{ not json");
  CHECK(f.load_error().find("aibud.json") != std::string::npos);
  f.file("[1, 2]");
  CHECK(f.load_error().find("aibud.json") != std::string::npos);
}

TEST_CASE("the environment overrides the file") {
  fixture f;
  f.file(R"({"db": "file.db", "jobs": {"max_attempts": 3}, "ai": {"timeout": "5s"}})");
  f.src.env = {{"AIBUD_DB", "env.db"},
               {"AIBUD_JOBS_MAX_ATTEMPTS", "7"},
               {"AIBUD_AI_GEMINI_BASE_URL", "http://127.0.0.1:9999/"}};
  auto cfg = f.load_ok();
  CHECK(cfg.db == "env.db");
  CHECK(cfg.jobs.max_attempts == 7);
  CHECK(cfg.ai.timeout == 5s);
  CHECK(cfg.ai.gemini.base_url == "http://127.0.0.1:9999");
}

TEST_CASE("a flag overrides the environment") {
  fixture f;
  f.file(R"({"listen": "127.0.0.1:1000"})");
  f.src.env = {{"AIBUD_LISTEN", "127.0.0.1:2000"}, {"AIBUD_MERGE_QUIET_PERIOD", "1s"}};
  f.src.flags = {{"listen", "127.0.0.1:3000"}};
  auto cfg = f.load_ok();
  CHECK(cfg.listen == "127.0.0.1:3000");
  CHECK(cfg.merge.quiet_period == 1s);
  CHECK(cfg.public_base_url() == "http://127.0.0.1:3000");
}

TEST_CASE("each short environment alias sets its key") {
  fixture f;
  f.src.env = {{"AIBUD_LISTEN", "[::1]:8080"},
               {"AIBUD_DB", "/tmp/x.db"},
               {"AIBUD_LOG_LEVEL", "WARN"},
               {"AIBUD_GEMINI_API_KEY", "alias-gemini-key"},
               {"AIBUD_GEMINI_BASE_URL", "http://localhost:1"},
               {"AIBUD_OPENAI_BASE_URL", "http://localhost:2/v1"},
               {"AIBUD_OPENAI_API_KEY", "alias-openai-key"},
               {"AIBUD_PUBLIC_URL", "https://bot.example.com/"}};
  auto cfg = f.load_ok();
  CHECK(cfg.listen == "[::1]:8080");
  CHECK(cfg.db == "/tmp/x.db");
  CHECK(cfg.log_level == "warn");
  CHECK(cfg.ai.gemini.api_key == "alias-gemini-key");
  CHECK(cfg.ai.gemini.base_url == "http://localhost:1");
  CHECK(cfg.ai.openai.base_url == "http://localhost:2/v1");
  CHECK(cfg.ai.openai.api_key == "alias-openai-key");
  CHECK(cfg.public_url == "https://bot.example.com");
  CHECK(cfg.public_base_url() == "https://bot.example.com");
  auto secrets = config::secrets(cfg);
  CHECK(secrets.size() == 2);
}

TEST_CASE("the full environment name wins over its short alias") {
  fixture f;
  f.src.env = {{"AIBUD_GEMINI_API_KEY", "short"}, {"AIBUD_AI_GEMINI_API_KEY", "full"}};
  CHECK(f.load_ok().ai.gemini.api_key == "full");
}

TEST_CASE("environment variables that are not keys are not errors") {
  fixture f;
  f.src.env = {{"AIBUD_SERVER", "http://127.0.0.1:8787"},
               {"AIBUD_TOKEN", "tok"},
               {"AIBUD_SECRET_KEY", "0123456789abcdef0123456789abcdef"},
               {"AIBUD_TEST_X", "1"},
               {"AIBUD_SOMETHING_ELSE", "x"}};
  CHECK(f.load_ok().listen == "127.0.0.1:8787");
}

TEST_CASE("ai.provider auto picks gemini, then openai, then offline") {
  config::config cfg;
  CHECK(cfg.ai_provider() == "offline");
  cfg.ai.openai.base_url = "http://localhost:1/v1";
  CHECK(cfg.ai_provider() == "offline");
  cfg.ai.openai.model = "llama";
  CHECK(cfg.ai_provider() == "openai");
  cfg.ai.gemini.api_key = "k";
  CHECK(cfg.ai_provider() == "gemini");
  cfg.ai.provider = "offline";
  CHECK(cfg.ai_provider() == "offline");

  fixture f;
  f.src.env = {{"AIBUD_AI_PROVIDER", "auto"}};
  CHECK(f.load_ok().ai.provider == "");
}

TEST_CASE("an unknown key in the file stops start-up naming the key") {
  fixture f;
  f.file(R"({"jobs": {"max_atempts": 3}})");
  std::string msg = f.load_error();
  CHECK(starts_with(msg, "jobs.max_atempts: unknown configuration key"));
  CHECK(msg.find("aibud.json") != std::string::npos);

  f.file(R"({"listen_addr": "x"})");
  CHECK(starts_with(f.load_error(), "listen_addr: unknown configuration key"));
  f.file(R"({"listen": {"host": "x"}})");
  CHECK(starts_with(f.load_error(), "listen: expected a string"));
}

TEST_CASE("a value of the wrong type in the file stops start-up naming the key") {
  fixture f;
  f.file(R"({"jobs": {"max_attempts": "x"}})");
  CHECK(starts_with(f.load_error(), "jobs.max_attempts: expected a whole number >= 1, got \"x\""));
  f.file(R"({"http": {"threads": 2.5}})");
  CHECK(starts_with(f.load_error(), "http.threads: expected a whole number from 1 to 256"));
  f.file(R"({"db": 5})");
  CHECK(starts_with(f.load_error(), "db: expected a string, got 5"));
  f.file(R"({"ai": {"timeout": true}})");
  CHECK(starts_with(f.load_error(), "ai.timeout: expected a duration"));
}

TEST_CASE("a bad value from the environment names the key and the variable") {
  fixture f;
  f.src.env = {{"AIBUD_JOBS_MAX_ATTEMPTS", "x"}};
  std::string msg = f.load_error();
  CHECK(starts_with(msg, "jobs.max_attempts: expected a whole number >= 1, got \"x\""));
  CHECK(msg.find("AIBUD_JOBS_MAX_ATTEMPTS") != std::string::npos);

  f.src.env = {{"AIBUD_GEMINI_BASE_URL", "ftp://x"}};
  msg = f.load_error();
  CHECK(starts_with(msg, "ai.gemini.base_url: expected an http:// or https:// URL"));
  CHECK(msg.find("AIBUD_GEMINI_BASE_URL") != std::string::npos);
}

TEST_CASE("a bad enum value names the key and the choices") {
  fixture f;
  f.src.env = {{"AIBUD_LOG_LEVEL", "loud"}};
  CHECK(starts_with(f.load_error(),
                    "log_level: expected one of trace|debug|info|warn|error, got \"loud\""));
  f.src.env = {{"AIBUD_STORAGE_SYNC", "sometimes"}};
  CHECK(starts_with(f.load_error(), "storage.sync: expected one of OFF|NORMAL|FULL|EXTRA"));
  f.src.env = {{"AIBUD_AI_PROVIDER", "claude"}};
  CHECK(starts_with(f.load_error(), "ai.provider: expected one of auto|offline|gemini|openai"));
}

TEST_CASE("reply shaping keys are checked: typing is on or off, and max not below min") {
  fixture f;
  f.src.env = {{"AIBUD_REPLY_TYPING", "maybe"}};
  CHECK(starts_with(f.load_error(), "reply.typing: expected one of on|off"));
  f.src.env = {{"AIBUD_REPLY_TYPING_MIN", "5s"}, {"AIBUD_REPLY_TYPING_MAX", "1s"}};
  CHECK(starts_with(f.load_error(), "reply.typing_max: must not be shorter than reply.typing_min"));
  f.src.env = {{"AIBUD_REPLY_MAX_LENGTH", "-1"}};
  CHECK(starts_with(f.load_error(), "reply.max_length"));
  f.src.env = {{"AIBUD_REPLY_MAX_LENGTH", "1"}};
  CHECK(starts_with(f.load_error(), "reply.max_length: 0 (never split) or at least 100 bytes"));
  f.src.env = {{"AIBUD_REPLY_TYPING_MAX", "10m"}};
  CHECK(starts_with(f.load_error(), "reply.typing_max: at most 30s"));
}

TEST_CASE("a bad duration names the key") {
  fixture f;
  for (const char* bad : {"5x", "s", "-5s", "1.5s", "", "10 s", "99999999999999d"}) {
    f.src.env = {{"AIBUD_JOBS_RETRY_BASE", bad}};
    CHECK_MESSAGE(starts_with(f.load_error(), "jobs.retry_base: expected a duration"), bad);
  }
  f.src.env = {{"AIBUD_HTTP_BODY_TIMEOUT", "0"}};
  CHECK(starts_with(f.load_error(), "http.body_timeout: expected a duration"));
}

TEST_CASE("a bad listen address names the key") {
  fixture f;
  for (const char* bad : {"8787", "127.0.0.1", "127.0.0.1:", ":8787", "127.0.0.1:65536",
                          "host:port", "::1:80", "[::1]8080", "a b:80"}) {
    f.src.flags = {{"listen", bad}};
    CHECK_MESSAGE(starts_with(f.load_error(), "listen: expected HOST:PORT"), bad);
  }
}

TEST_CASE("a number out of range names the key") {
  fixture f;
  f.src.env = {{"AIBUD_JOBS_MAX_ATTEMPTS", "0"}};
  CHECK(starts_with(f.load_error(), "jobs.max_attempts: expected a whole number >= 1, got \"0\""));
  f.src.env = {{"AIBUD_HTTP_THREADS", "1000"}};
  CHECK(starts_with(f.load_error(), "http.threads: expected a whole number from 1 to 256"));
  f.src.env = {{"AIBUD_CREDITS_POLL", "-1"}};
  CHECK(starts_with(f.load_error(), "credits.poll: expected a whole number >= 0"));
  f.src.env = {{"AIBUD_ACTORS_THREADS", "-1"}};
  CHECK(starts_with(f.load_error(), "actors.threads: expected a whole number from 0 to 256"));
  f.src.env = {{"AIBUD_ACTORS_THREADS", "3"}};
  CHECK(f.load_ok().actors.threads == 3);
  f.src.env = {{"AIBUD_WRITER_QUEUE_LIMIT", "99999999999999999999"}};
  CHECK(starts_with(f.load_error(), "writer.queue_limit: expected a whole number >= 1"));
}

TEST_CASE("an unknown flag key is an error naming it") {
  fixture f;
  f.src.flags = {{"no.such.key", "1"}};
  CHECK(starts_with(f.load_error(), "no.such.key: unknown configuration key"));
}

TEST_CASE("a secret value is never repeated in an error") {
  fixture f;
  f.file(R"({"ai": {"openai": {"api_key": ["sk-very-secret-value"]}}})");
  std::string msg = f.load_error();
  CHECK(starts_with(msg, "ai.openai.api_key: expected a string"));
  CHECK(msg.find("sk-very-secret-value") == std::string::npos);
}

TEST_CASE("a provider named without its credentials stops start-up") {
  fixture f;
  f.src.env = {{"AIBUD_AI_PROVIDER", "gemini"}};
  CHECK(starts_with(f.load_error(), "ai.provider: gemini needs ai.gemini.api_key"));
  f.src.env = {{"AIBUD_AI_PROVIDER", "openai"}, {"AIBUD_OPENAI_BASE_URL", "http://x/v1"}};
  CHECK(starts_with(f.load_error(), "ai.provider: openai needs"));
  f.src.env["AIBUD_AI_OPENAI_MODEL"] = "m";
  CHECK(f.load_ok().ai_provider() == "openai");
}

TEST_CASE("parse_duration reads units, combinations and bare seconds") {
  CHECK(*config::parse_duration("250ms") == 250ms);
  CHECK(*config::parse_duration("90s") == 90s);
  CHECK(*config::parse_duration("30m") == 30min);
  CHECK(*config::parse_duration("12h") == 12h);
  CHECK(*config::parse_duration("7d") == 168h);
  CHECK(*config::parse_duration("1h30m") == 90min);
  CHECK(*config::parse_duration("120") == 120s);
  CHECK(*config::parse_duration("0") == 0ms);
  CHECK(config::parse_duration("abc").err().code == errc::invalid_argument);
  CHECK_FALSE(config::parse_duration("5w").ok());
  CHECK_FALSE(config::parse_duration("m").ok());
}

TEST_CASE("format_duration writes what parse_duration reads back") {
  CHECK(config::format_duration(90s) == "90s");
  CHECK(config::format_duration(12h) == "12h");
  CHECK(config::format_duration(168h) == "7d");
  CHECK(config::format_duration(250ms) == "250ms");
  CHECK(config::format_duration(0ms) == "0s");
  for (std::chrono::milliseconds d : {1ms, 1500ms, 61000ms, 90000000ms})
    CHECK(*config::parse_duration(config::format_duration(d)) == d);
}

TEST_CASE("parse_host_port splits names, IPv4 and bracketed IPv6") {
  auto a = config::parse_host_port("127.0.0.1:8787");
  REQUIRE(a.ok());
  CHECK(a->host == "127.0.0.1");
  CHECK(a->port == 8787);
  auto b = config::parse_host_port("[::1]:0");
  REQUIRE(b.ok());
  CHECK(b->host == "::1");
  CHECK(b->port == 0);
  CHECK(config::parse_host_port("localhost:80")->host == "localhost");
}

TEST_CASE("values shows each key with secrets redacted") {
  config::config cfg;
  cfg.ai.gemini.api_key = "shown-nowhere";
  bool found = false;
  for (const auto& [path, value] : config::values(cfg)) {
    CHECK(value.find("shown-nowhere") == std::string::npos);
    if (path == "ai.gemini.api_key") found = value == "[redacted]";
    if (path == "jobs.max_wait") CHECK(value == "1d");
  }
  CHECK(found);
}

TEST_CASE("setup_logging applies the level and redacts every known secret") {
  fixture f;
  f.src.env = {{"AIBUD_LOG_LEVEL", "warn"},
               {"AIBUD_GEMINI_API_KEY", "gemini-key-abc123"},
               {"AIBUD_OPENAI_API_KEY", "openai-key-def456"},
               {"AIBUD_TOKEN", "admin-token-ghi789"},
               {"AIBUD_SECRET_KEY", "master-secret-0123456789-0123456789"}};
  auto cfg = f.load_ok();
  runtime::setup_logging(cfg, f.src.env);
  std::ostringstream out;
  log::log_to_stream(out);
  log::info("dropped below warn");
  log::warn("keys gemini-key-abc123 openai-key-def456 admin-token-ghi789",
            {{"master", "master-secret-0123456789-0123456789"}});
  log::log_to_stderr();
  log::set_level(log::level::info);
  log::clear_secrets();
  std::string text = out.str();
  CHECK(text.find("dropped") == std::string::npos);
  CHECK(text.find("keys") != std::string::npos);
  for (const char* s : {"gemini-key", "openai-key", "admin-token", "master-secret"})
    CHECK_MESSAGE(text.find(s) == std::string::npos, s);
}
