#include "base/log.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/support/temp_dir.hpp"

using namespace aibud;
using nlohmann::json;

namespace {

// Captures every line written while it lives; restores stderr and the info level after.
class captured_log {
 public:
  captured_log() {
    log::log_to_stream(out_);
    log::set_level(log::level::trace);
    log::clear_secrets();
  }
  ~captured_log() {
    log::log_to_stderr();
    log::set_level(log::level::info);
    log::clear_secrets();
  }

  std::string text() const { return out_.str(); }

  // Every line parsed; a line that is not one JSON object fails the test.
  std::vector<json> lines() const {
    std::vector<json> parsed;
    std::istringstream in(out_.str());
    for (std::string line; std::getline(in, line);) {
      json j = json::parse(line, nullptr, false);
      REQUIRE_MESSAGE(j.is_object(), line);
      parsed.push_back(std::move(j));
    }
    return parsed;
  }

 private:
  std::ostringstream out_;
};

}  // namespace

TEST_CASE("each log line is one JSON object with time, level, msg and the fields in order") {
  captured_log cap;
  log::info("job finished", {{"tenant", "acme"},
                             {"instance", "sales"},
                             {"contact", "5511999990000@s.whatsapp.net"},
                             {"job", 42},
                             {"step", "reply"},
                             {"extra", json{{"ms", 12}}}});
  log::error("second");
  auto lines = cap.lines();
  REQUIRE(lines.size() == 2);
  const json& j = lines[0];
  CHECK(j["level"] == "info");
  CHECK(j["msg"] == "job finished");
  CHECK(j["tenant"] == "acme");
  CHECK(j["instance"] == "sales");
  CHECK(j["contact"] == "5511999990000@s.whatsapp.net");
  CHECK(j["job"] == 42);
  CHECK(j["step"] == "reply");
  CHECK(j["extra"]["ms"] == 12);
  CHECK(std::regex_match(j["time"].get<std::string>(),
                         std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
  CHECK(lines[1]["level"] == "error");
  std::string first = cap.text().substr(0, cap.text().find('\n'));
  std::size_t t = first.find("\"time\""), l = first.find("\"level\""), m = first.find("\"msg\""),
              te = first.find("\"tenant\""), jb = first.find("\"job\""),
              st = first.find("\"step\"");
  CHECK(t < l);
  CHECK(l < m);
  CHECK(m < te);
  CHECK(te < jb);
  CHECK(jb < st);
}

TEST_CASE("a field named like a line key does not replace it") {
  captured_log cap;
  log::info("real", {{"msg", "fake"}, {"level", "fake"}});
  auto lines = cap.lines();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0]["msg"] == "real");
  CHECK(lines[0]["level"] == "info");
  CHECK(lines[0]["field.msg"] == "fake");
}

TEST_CASE("lines below the level are dropped") {
  captured_log cap;
  log::set_level(log::level::warn);
  log::trace("t");
  log::debug("d");
  log::info("i");
  log::warn("w");
  log::error("e");
  auto lines = cap.lines();
  REQUIRE(lines.size() == 2);
  CHECK(lines[0]["msg"] == "w");
  CHECK(lines[1]["msg"] == "e");
  CHECK_FALSE(log::enabled(log::level::info));
  CHECK(log::enabled(log::level::error));

  log::set_level(log::level::off);
  log::error("nothing");
  CHECK(cap.lines().size() == 2);
}

TEST_CASE("parse_level accepts the five level names") {
  CHECK(log::parse_level("trace") == log::level::trace);
  CHECK(log::parse_level("DEBUG") == log::level::debug);
  CHECK(log::parse_level("info") == log::level::info);
  CHECK(log::parse_level("warn") == log::level::warn);
  CHECK(log::parse_level("error") == log::level::error);
  CHECK_FALSE(log::parse_level("verbose").has_value());
  CHECK_FALSE(log::parse_level("").has_value());
}

TEST_CASE("registered secrets never appear in a line, wherever they are") {
  captured_log cap;
  const std::string secret = "s3cr3t-VALUE-9f8e7d";
  log::add_secret(secret);
  log::info("calling with " + secret + " now",
            {{"tenant", "acme-" + secret},
             {"nested", json{{"deep", json::array({"x", "pre" + secret + "post"})}}},
             {secret, "as a name"}});
  std::string out = cap.text();
  CHECK(out.find(secret) == std::string::npos);
  CHECK(out.find("s3cr3t") == std::string::npos);
  auto lines = cap.lines();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0]["msg"] == "calling with [redacted] now");
  CHECK(lines[0]["tenant"] == "acme-[redacted]");
  CHECK(lines[0]["nested"]["deep"][1] == "pre[redacted]post");
}

TEST_CASE("a secret inside a longer registered secret is redacted whole") {
  captured_log cap;
  log::add_secret("abcd");
  log::add_secret("abcdefgh-long");
  log::info("value abcdefgh-long and abcd");
  auto lines = cap.lines();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0]["msg"] == "value [redacted] and [redacted]");
}

TEST_CASE("secrets shaped like credentials are redacted without registration") {
  captured_log cap;
  const std::vector<std::string> secrets = {
      "BEARERVAL1", "AUTHVAL2", "JSONAPIKEY3", "QUERYTOKEN4", "GOOGKEY5",  "FIELDSECRET6",
      "QUERYKEY7",  "NESTED8",  "ESCAPED9",    "PASSWORD10",  "BASICVAL11"};
  log::info("request Authorization: Bearer BEARERVAL1 sent");
  log::info("header", {{"raw", "authorization=AUTHVAL2"}});
  log::info(R"(body {"apikey":"JSONAPIKEY3","number":"5511"})");
  log::info("GET /webhook/evolution/sales?token=QUERYTOKEN4&x=1");
  log::warn("upstream", {{"headers", "x-goog-api-key: GOOGKEY5"}});
  log::info("config",
            {{"webhook_secret", "FIELDSECRET6"}, {"url", "/v1beta/models?key=QUERYKEY7"}});
  log::info("payload", {{"body", json{{"data", json{{"api_key", "NESTED8"}}}}}});
  log::info("double encoded", {{"raw", R"({\"apikey\":\"ESCAPED9\"})"}});
  log::info("login password = PASSWORD10");
  log::info("proxy", {{"Authorization", "Basic BASICVAL11"}});
  std::string out = cap.text();
  for (const auto& s : secrets) CHECK_MESSAGE(out.find(s) == std::string::npos, s);
  auto lines = cap.lines();
  REQUIRE(lines.size() == 10);
  CHECK(lines[0]["msg"] == "request Authorization: Bearer [redacted] sent");
  CHECK(lines[2]["msg"] == R"(body {"apikey":"[redacted]","number":"5511"})");
  CHECK(lines[3]["msg"] == "GET /webhook/evolution/sales?token=[redacted]&x=1");
  CHECK(lines[5]["webhook_secret"] == "[redacted]");
  CHECK(lines[6]["body"]["data"]["api_key"] == "[redacted]");
}

TEST_CASE("the AIBUD_SECRET_KEY value is redacted without registration") {
  captured_log cap;
  const char* previous = std::getenv("AIBUD_SECRET_KEY");
  std::string saved = previous ? previous : "";
  ::setenv("AIBUD_SECRET_KEY", "master-key-0123456789-0123456789-abc", 1);
  log::info("boot with master-key-0123456789-0123456789-abc");
  if (previous)
    ::setenv("AIBUD_SECRET_KEY", saved.c_str(), 1);
  else
    ::unsetenv("AIBUD_SECRET_KEY");
  CHECK(cap.text().find("master-key-0123456789") == std::string::npos);
  CHECK(cap.lines().at(0)["msg"] == "boot with [redacted]");
}

TEST_CASE("redaction keeps what is not secret: counts, ids and the message key") {
  captured_log cap;
  json envelope = {{"key", {{"remoteJid", "5511999990000@s.whatsapp.net"}, {"id", "3EB0ABC"}}},
                   {"usage", {{"promptTokenCount", 12}}},
                   {"apikey", "EVOKEY"}};
  log::info("event", {{"payload", envelope}});
  log::info(R"(usage {"totalTokenCount":37})");
  auto lines = cap.lines();
  REQUIRE(lines.size() == 2);
  CHECK(lines[0]["payload"]["key"]["remoteJid"] == "5511999990000@s.whatsapp.net");
  CHECK(lines[0]["payload"]["usage"]["promptTokenCount"] == 12);
  CHECK(lines[0]["payload"]["apikey"] == "[redacted]");
  CHECK(lines[1]["msg"] == R"(usage {"totalTokenCount":37})");
}

TEST_CASE("redacting an already redacted text changes nothing") {
  std::string once = log::redact("token=abc Bearer xyz {\"secret\":\"s\"}");
  CHECK(once == "token=[redacted] Bearer [redacted] {\"secret\":\"[redacted]\"}");
  CHECK(log::redact(once) == once);
}

TEST_CASE("invalid UTF-8 in a message still yields a valid line") {
  captured_log cap;
  log::info(std::string("bad \xff\xfe bytes"), {{"text", std::string("\xc3\x28")}});
  auto lines = cap.lines();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0]["msg"].get<std::string>().find("bytes") != std::string::npos);
}

TEST_CASE("lines written from several threads stay whole") {
  captured_log cap;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([t] {
      for (int i = 0; i < 200; ++i) log::info("parallel", {{"thread", t}, {"i", i}});
    });
  for (auto& th : threads) th.join();
  CHECK(cap.lines().size() == 800);
}

TEST_CASE("log_to_file appends lines to a file only its owner can read") {
  testing::temp_dir dir;
  std::string path = dir.file("aibud.log");
  REQUIRE(log::log_to_file(path).ok());
  log::info("to the file", {{"job", 7}});
  log::log_to_stderr();
  std::string content = testing::read_file(path);
  json j = json::parse(content.substr(0, content.find('\n')));
  CHECK(j["msg"] == "to the file");
  CHECK(j["job"] == 7);
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(log::log_to_file(dir.file("missing/dir/x.log")).err().code == errc::unavailable);
}
