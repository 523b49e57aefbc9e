// What `aibud instance connect` needs from the REST client: the server's version from GET /,
// and the webhook registration that version calls for.
#include <doctest/doctest.h>

#include <mutex>
#include <optional>

#include "adapters/evolution/rest_client.hpp"
#include "adapters/http/client.hpp"
#include "tests/support/fake_evolution.hpp"
#include "tests/support/process.hpp"

namespace evo = aibud::evolution;
using aibud::testing::fake_evolution;
using aibud::testing::wait_until;
using json = nlohmann::json;

namespace {

evo::endpoint endpoint_of(const fake_evolution& fake, std::string key) {
  evo::endpoint ep;
  ep.base_url = fake.base_url();
  ep.api_key = std::move(key);
  return ep;
}

template <class T, class Start>
evo::call_result<T> call(Start start) {
  std::mutex mutex;
  std::optional<evo::call_result<T>> out;
  start([&](evo::call_result<T> r) {
    std::lock_guard<std::mutex> lock(mutex);
    out = std::move(r);
  });
  REQUIRE(wait_until([&] {
    std::lock_guard<std::mutex> lock(mutex);
    return out.has_value();
  }));
  std::lock_guard<std::mutex> lock(mutex);
  return std::move(*out);
}

}  // namespace

TEST_CASE("versions compare by number, with a v prefix, a suffix or missing parts") {
  CHECK(evo::version_at_least("2.3.0", 2, 3, 0));
  CHECK(evo::version_at_least("2.3.7", 2, 3, 0));
  CHECK(evo::version_at_least("v2.10.1", 2, 3, 0));
  CHECK(evo::version_at_least("2.4.0-rc2", 2, 3, 0));
  CHECK(evo::version_at_least("3", 2, 3, 0));
  CHECK(evo::version_at_least("2.4", 2, 3, 0));
  CHECK_FALSE(evo::version_at_least("2.2.3", 2, 3, 0));
  CHECK_FALSE(evo::version_at_least("2.3", 2, 3, 1));
  CHECK_FALSE(evo::version_at_least("1.8.2", 2, 3, 0));
  CHECK_FALSE(evo::version_at_least("", 2, 3, 0));
  CHECK_FALSE(evo::version_at_least("latest", 0, 0, 0));
}

TEST_CASE(
    "the banner of GET / gives the version; a body that is not an object is an upstream "
    "fault") {
  auto info = evo::parse_server_info(
      R"({"status":200,"message":"Welcome to the Evolution API, it is working!",
          "version":"2.3.5","clientName":"evolution_exchange"})");
  REQUIRE(info.ok());
  CHECK(info->version == "2.3.5");
  CHECK(info->client_name == "evolution_exchange");
  CHECK(evo::parse_server_info(R"({"status":200})")->version.empty());
  CHECK(evo::parse_server_info("[]").err().code == aibud::errc::unavailable);
  CHECK(evo::parse_server_info("<html>").err().code == aibud::errc::unavailable);

  evo::endpoint ep;
  ep.base_url = "http://evo.test:8080/";
  ep.api_key = "k";
  auto call = evo::server_info_call(ep);
  CHECK(call.method == "GET");
  CHECK(call.url == "http://evo.test:8080/");
}

TEST_CASE("the webhook carries jwt_key from 2.3.0, X-Aibud-Secret before, both when unknown") {
  auto headers_of = [](const evo::webhook_settings& s) {
    json h = json::object();
    for (const auto& [name, value] : s.headers) h[name] = value;
    return h;
  };
  const std::string url = "https://bot.example.com/webhook/evolution/main";
  auto modern = evo::aibud_webhook_for(url, "s3cr3t", "2.3.0");
  CHECK(headers_of(modern) == json{{"jwt_key", "s3cr3t"}});
  CHECK(modern.url == url);
  CHECK(headers_of(evo::aibud_webhook_for(url, "s3cr3t", "2.2.3")) ==
        json{{"X-Aibud-Secret", "s3cr3t"}});
  CHECK(headers_of(evo::aibud_webhook_for(url, "s3cr3t", "")) ==
        json{{"X-Aibud-Secret", "s3cr3t"}, {"jwt_key", "s3cr3t"}});

  evo::endpoint ep;
  ep.base_url = "http://evo.test:8080";
  ep.api_key = "k";
  json body = json::parse(evo::set_webhook_call(ep, "main", modern).body)["webhook"];
  CHECK(body["url"] == url);
  CHECK(body["enabled"] == true);
  CHECK(body["byEvents"] == false);
  CHECK(body["events"] == json{"MESSAGES_UPSERT", "CONNECTION_UPDATE", "QRCODE_UPDATED"});
  CHECK(body["headers"] == json{{"jwt_key", "s3cr3t"}});
}

TEST_CASE("the client reads the fake's version, without a key") {
  fake_evolution::options opts;
  opts.version = "2.2.3";
  fake_evolution fake(opts);
  aibud::http::client client;
  evo::evolution_client evolution(client.as_transport(), endpoint_of(fake, ""));
  auto r = call<evo::server_info>([&](auto done) { evolution.server_info_of(done); });
  REQUIRE(r.ok());
  CHECK(r.value.version == "2.2.3");
  CHECK(fake.requests_to("/").at(0).target == "/");
}

TEST_CASE("connect with a number answers a pairing code") {
  fake_evolution fake;
  fake.set_state("acme-bot", "close");
  aibud::http::client client;
  evo::evolution_client evolution(client.as_transport(), endpoint_of(fake, "test-global-key"));
  auto r = call<evo::connect_answer>(
      [&](auto done) { evolution.connect("acme-bot", "5511900000000", done); });
  REQUIRE(r.ok());
  CHECK(r.value.pairing_code == "WZYEH1YY");
  CHECK_FALSE(r.value.code.empty());
  CHECK(fake.requests_to("/instance/connect").at(0).target ==
        "/instance/connect/acme-bot?number=5511900000000");
}
