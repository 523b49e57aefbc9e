#include "adapters/http/webhook_auth.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "base/crypto.hpp"

using namespace aibud::http;
namespace crypto = aibud::crypto;
using std::chrono::minutes;
using std::chrono::seconds;
using clock_type = std::chrono::system_clock;

namespace {

const std::string secret = "s3cr3t-webhook-value-0123456789";
const clock_type::time_point now = clock_type::time_point(seconds(1'750'000'000));

long long unix_seconds(clock_type::time_point t) {
  return std::chrono::duration_cast<seconds>(t.time_since_epoch()).count();
}

std::string jwt(const nlohmann::json& header, const nlohmann::json& payload,
                const std::string& key) {
  std::string signing_input =
      crypto::base64url(header.dump()) + "." + crypto::base64url(payload.dump());
  return signing_input + "." + crypto::base64url(crypto::hmac_sha256(key, signing_input));
}

// Evolution's token: iat, exp = iat + 600, app, action (reference §1.4).
std::string evolution_jwt(clock_type::time_point issued, const std::string& key = secret) {
  auto iat = unix_seconds(issued);
  return jwt({{"alg", "HS256"}, {"typ", "JWT"}},
             {{"iat", iat}, {"exp", iat + 600}, {"app", "evolution"}, {"action", "webhook"}}, key);
}

request with_header(const std::string& name, const std::string& value, std::string body = "{}") {
  request req;
  req.method = "POST";
  req.headers[name] = value;
  req.body = std::move(body);
  return req;
}

webhook_auth_result check(const request& req) {
  return authenticate_webhook(req, secret, now);
}

}  // namespace

TEST_CASE("the secret is accepted in each plain form") {
  CHECK(check(with_header("Authorization", "Bearer " + secret)).method == "bearer");
  CHECK(check(with_header("authorization", "bearer " + secret)).ok);
  CHECK(check(with_header("X-Aibud-Secret", secret)).method == "header");
  CHECK(check(with_header("x-aibud-secret", secret)).ok);

  request query;
  query.query["token"] = secret;
  CHECK(check(query).method == "query");
}

TEST_CASE("a wrong secret is rejected in each plain form, without echoing anything") {
  std::string wrong = secret + "x";
  for (auto req : {with_header("Authorization", "Bearer " + wrong),
                   with_header("X-Aibud-Secret", wrong), with_header("X-Aibud-Secret", "")}) {
    auto result = check(req);
    CHECK_FALSE(result.ok);
    CHECK(result.reason.find(secret) == std::string::npos);
    CHECK(result.reason.find(wrong) == std::string::npos);
  }
  request query;
  query.query["token"] = secret.substr(1);
  CHECK_FALSE(check(query).ok);
  CHECK(check(request{}).reason == "no credentials");
}

TEST_CASE("an empty secret authenticates nothing") {
  auto req = with_header("X-Aibud-Secret", "");
  CHECK_FALSE(authenticate_webhook(req, "", now).ok);
}

TEST_CASE("an HS256 JWT signed with the secret is accepted") {
  auto result = check(with_header("Authorization", "Bearer " + evolution_jwt(now - seconds(5))));
  CHECK(result.ok);
  CHECK(result.method == "jwt");
}

TEST_CASE("a JWT signed with another key is rejected") {
  auto result = check(with_header("Authorization", "Bearer " + evolution_jwt(now, "other-key")));
  CHECK_FALSE(result.ok);
  CHECK(result.reason == "jwt: bad signature");
}

TEST_CASE("a JWT whose payload was altered after signing is rejected") {
  auto token = evolution_jwt(now);
  auto first = token.find('.');
  auto second = token.find('.', first + 1);
  auto forged = token.substr(0, first + 1) +
                crypto::base64url(R"({"exp":99999999999,"app":"evolution"})") +
                token.substr(second);
  CHECK(check(with_header("Authorization", "Bearer " + forged)).reason == "jwt: bad signature");
}

TEST_CASE("a JWT with alg none is rejected") {
  auto iat = unix_seconds(now);
  nlohmann::json payload = {{"iat", iat}, {"exp", iat + 600}};
  auto unsigned_token = crypto::base64url(R"({"alg":"none","typ":"JWT"})") + "." +
                        crypto::base64url(payload.dump()) + ".";
  auto result = check(with_header("Authorization", "Bearer " + unsigned_token));
  CHECK_FALSE(result.ok);
  CHECK(result.reason == "jwt: alg must be HS256");
  // Even with a valid HS256 signature attached, the header decides.
  auto signed_none = jwt({{"alg", "none"}}, payload, secret);
  CHECK(check(with_header("Authorization", "Bearer " + signed_none)).reason ==
        "jwt: alg must be HS256");
}

TEST_CASE("a JWT with alg HS512 is rejected") {
  auto iat = unix_seconds(now);
  auto token = jwt({{"alg", "HS512"}, {"typ", "JWT"}}, {{"iat", iat}, {"exp", iat + 600}}, secret);
  auto result = check(with_header("Authorization", "Bearer " + token));
  CHECK_FALSE(result.ok);
  CHECK(result.reason == "jwt: alg must be HS256");
}

TEST_CASE("a JWT expired by 29 minutes is accepted and by 31 minutes rejected") {
  auto token_for_exp = [](clock_type::time_point exp) {
    return jwt({{"alg", "HS256"}}, {{"exp", unix_seconds(exp)}}, secret);
  };
  CHECK(check(with_header("Authorization", "Bearer " + token_for_exp(now - minutes(29)))).ok);
  auto late = check(with_header("Authorization", "Bearer " + token_for_exp(now - minutes(31))));
  CHECK_FALSE(late.ok);
  CHECK(late.reason == "jwt: expired");
  CHECK(check(with_header("Authorization", "Bearer " + evolution_jwt(now - minutes(39)))).ok);
  CHECK_FALSE(check(with_header("Authorization", "Bearer " + evolution_jwt(now - minutes(41)))).ok);
}

TEST_CASE("a JWT without exp is accepted when its signature holds") {
  auto token = jwt({{"alg", "HS256"}}, {{"app", "evolution"}}, secret);
  CHECK(check(with_header("Authorization", "Bearer " + token)).ok);
}

TEST_CASE("malformed JWTs are rejected with a reason") {
  auto good = evolution_jwt(now);
  auto first = good.find('.');
  auto second = good.find('.', first + 1);
  auto header = good.substr(0, first);
  auto payload = good.substr(first + 1, second - first - 1);
  auto signature = good.substr(second + 1);
  struct bad_case {
    std::string token;
    std::string reason;
  };
  std::vector<bad_case> cases = {
      {"a.b.c.d", "jwt: not three segments"},
      {"!!!." + payload + "." + signature, "jwt: malformed header"},
      {crypto::base64url("not json") + "." + payload + "." + signature, "jwt: malformed header"},
      {crypto::base64url("[1]") + "." + payload + "." + signature, "jwt: malformed header"},
      {header + "." + payload + ".%%%", "jwt: malformed signature"},
      {header + "." + payload + "." + signature + "==", "jwt: malformed signature"},
      {jwt({{"alg", "HS256"}}, {{"exp", "tomorrow"}}, secret), "jwt: exp is not a number"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.token);
    auto result = check(with_header("Authorization", "Bearer " + c.token));
    CHECK_FALSE(result.ok);
    CHECK(result.reason == c.reason);
  }
  // A payload that is not an object, correctly signed.
  std::string input = header + "." + crypto::base64url("\"text\"");
  auto odd = input + "." + crypto::base64url(crypto::hmac_sha256(secret, input));
  CHECK(check(with_header("Authorization", "Bearer " + odd)).reason == "jwt: malformed payload");
}

TEST_CASE("an HMAC-SHA256 signature of the raw body is accepted when right") {
  std::string body = R"({"event":"messages.upsert","instance":"shop"})";
  auto right = "sha256=" + crypto::hex(crypto::hmac_sha256(secret, body));
  auto result = check(with_header("X-Aibud-Signature", right, body));
  CHECK(result.ok);
  CHECK(result.method == "signature");
}

TEST_CASE("an HMAC signature that is wrong, of another body or malformed is rejected") {
  std::string body = R"({"event":"messages.upsert"})";
  auto other_body = "sha256=" + crypto::hex(crypto::hmac_sha256(secret, body + " "));
  auto other_key = "sha256=" + crypto::hex(crypto::hmac_sha256("other", body));
  CHECK(check(with_header("X-Aibud-Signature", other_body, body)).reason ==
        "x-aibud-signature: bad signature");
  CHECK(check(with_header("X-Aibud-Signature", other_key, body)).reason ==
        "x-aibud-signature: bad signature");
  CHECK(check(with_header("X-Aibud-Signature", "sha1=00", body)).reason ==
        "x-aibud-signature: not sha256=<hex>");
  CHECK(check(with_header("X-Aibud-Signature", "sha256=zz", body)).reason ==
        "x-aibud-signature: not sha256=<hex>");
}

TEST_CASE("one right form is enough when another form is wrong") {
  auto req = with_header("Authorization", "Bearer wrong");
  req.headers["X-Aibud-Secret"] = secret;
  CHECK(check(req).ok);
}
