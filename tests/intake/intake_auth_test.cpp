// The five forms of the instance secret (ARCHITECTURE §8, webhook route) against the real
// server, and what its logs never contain.
#include <doctest/doctest.h>

#include <sstream>

#include "base/crypto.hpp"
#include "tests/intake/intake_support.hpp"

using aibud::testing::has_status;
using aibud::testing::http_headers;
using aibud::testing::intake_server;
using aibud::testing::is_error;
using aibud::testing::make_jwt;
using aibud::testing::server_env;
using aibud::testing::text_message;
using aibud::testing::unix_now;
using nlohmann::json;

namespace {

http_headers bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

std::string signature_of(const std::string& key, const std::string& body) {
  return "sha256=" + aibud::crypto::hex(aibud::crypto::hmac_sha256(key, body));
}

json claims_expiring_at(std::int64_t exp) {
  return {{"iat", exp - 3600}, {"exp", exp}, {"app", "evolution"}};
}

}  // namespace

TEST_CASE("each of the five secret forms is accepted") {
  intake_server s;
  s.start();
  const std::string path = intake_server::webhook_path();
  const std::string& secret = s.secret();

  auto by_bearer = s.post_with(path, text_message("AUTH-BEARER"), bearer(secret));
  CHECK(has_status(by_bearer, "accepted"));

  auto by_header = s.post_with(path, text_message("AUTH-HEADER"), {{"X-Aibud-Secret", secret}});
  CHECK(has_status(by_header, "accepted"));

  auto jwt = make_jwt(claims_expiring_at(unix_now() + 600), secret);
  auto by_jwt = s.post_with(path, text_message("AUTH-JWT"), bearer(jwt));
  CHECK(has_status(by_jwt, "accepted"));

  auto by_query = s.post_with(path + "?token=" + secret, text_message("AUTH-QUERY"), {});
  CHECK(has_status(by_query, "accepted"));

  std::string signed_body = text_message("AUTH-SIGNATURE");
  auto by_signature =
      s.post_with(path, signed_body, {{"X-Aibud-Signature", signature_of(secret, signed_body)}});
  CHECK(has_status(by_signature, "accepted"));

  CHECK(s.job_count() == 5);
}

TEST_CASE("wrong secrets, forged or alg-none JWTs and a signature of another body are 401") {
  intake_server s;
  s.start();
  const std::string path = intake_server::webhook_path();
  const std::string& secret = s.secret();
  const json claims = claims_expiring_at(unix_now() + 600);
  std::string body = text_message("AUTH-REFUSED");

  std::vector<std::pair<std::string, http_headers>> attempts{
      {"wrong bearer", bearer(secret + "x")},
      {"wrong header", {{"X-Aibud-Secret", secret.substr(1)}}},
      {"jwt signed with another key", bearer(make_jwt(claims, secret + "x"))},
      {"jwt alg none", bearer(make_jwt(claims, secret, "none"))},
      {"jwt alg HS512 label", bearer(make_jwt(claims, secret, "HS512"))},
      {"signature of another body", {{"X-Aibud-Signature", signature_of(secret, body + " ")}}},
  };
  for (const auto& [what, headers] : attempts) {
    CAPTURE(what);
    CHECK(is_error(s.post_with(path, body, headers), 401, "unauthorized"));
  }
  CHECK(is_error(s.post_with(path + "?token=" + secret + "x", body, {}), 401, "unauthorized"));
  CHECK(s.job_count() == 0);
}

TEST_CASE("a JWT is accepted up to 30 minutes past its exp and refused after") {
  intake_server s;
  s.start();
  const std::string path = intake_server::webhook_path();
  auto late_29 = make_jwt(claims_expiring_at(unix_now() - 29 * 60), s.secret());
  CHECK(has_status(s.post_with(path, text_message("JWT-29"), bearer(late_29)), "accepted"));
  auto late_31 = make_jwt(claims_expiring_at(unix_now() - 31 * 60), s.secret());
  CHECK(is_error(s.post_with(path, text_message("JWT-31"), bearer(late_31)), 401, "unauthorized"));
  CHECK(s.job_count() == 1);
}

TEST_CASE("the server's log lines are JSON and never hold a secret, right or wrong") {
  intake_server s(server_env{{"AIBUD_LOG_LEVEL", "debug"}});
  s.start();
  const std::string path = intake_server::webhook_path();
  const std::string& secret = s.secret();
  std::string jwt = make_jwt(claims_expiring_at(unix_now() + 600), secret);
  std::string forged = make_jwt(claims_expiring_at(unix_now() + 600), "guessed-key");
  std::string wrong = "WRONG" + secret.substr(5);
  std::string body = text_message("LOGS-1");

  std::vector<std::pair<std::string, http_headers>> posts{
      {path, bearer(wrong)},
      {path, {{"X-Aibud-Secret", wrong}}},
      {path + "?token=" + wrong, {}},
      {path, {{"X-Aibud-Signature", signature_of(wrong, body)}}},
      {path, bearer(forged)},
      {path, bearer(secret)},
      {path, {{"X-Aibud-Secret", secret}}},
      {path + "?token=" + secret, {}},
      {path, {{"X-Aibud-Signature", signature_of(secret, body)}}},
      {path, bearer(jwt)},
  };
  int answered = 0;
  for (const auto& [target, headers] : posts) {
    auto r = s.post_with(target, body, headers);
    if (r.status == 200 || r.status == 401) ++answered;
  }
  CHECK(answered == static_cast<int>(posts.size()));
  REQUIRE(s.terminate() == 0);

  std::string log = s.log();
  CHECK(log.find("webhook refused") != std::string::npos);  // the refusals were logged
  for (const std::string& credential : {secret, wrong, jwt, forged}) {
    CHECK_MESSAGE(log.find(credential) == std::string::npos, "a credential is in the log");
  }
  std::istringstream lines(log);
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    ++count;
    auto parsed = json::parse(line, nullptr, false);
    CHECK_MESSAGE(parsed.is_object(), "log line " << count << " is not a JSON object");
    if (parsed.is_object()) CHECK(parsed.contains("msg"));
  }
  CHECK(count >= 7);  // listening, five refusals, stopped
}
