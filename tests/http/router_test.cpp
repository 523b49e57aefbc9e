#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "tests/http/serving.hpp"
#include "tests/support/http_client.hpp"

using namespace aibud::http;
using aibud::http::testing::serving;
namespace t = aibud::testing;

namespace {

const std::string host = "127.0.0.1";

// Answers with what the router captured, so the test sees which route ran.
handler describe(std::string route) {
  return [route](request req, responder respond) {
    nlohmann::json out = {{"route", route}, {"params", req.params}, {"query", req.query}};
    respond(json_response(out.dump()));
  };
}

nlohmann::json body_of(const t::http_response& res) {
  return nlohmann::json::parse(res.body, nullptr, false);
}

void add_routes(router& routes) {
  routes.get("/healthz", describe("healthz"));
  routes.get("/readyz", describe("readyz"));
  routes.post("/webhook/evolution/{instance}", describe("webhook"));
  routes.post("/webhook/evolution/{instance}/{event}", describe("webhook_by_event"));
  routes.get("/api/v1/dlq/{id}", describe("dlq_show"));
  routes.add("DELETE", "/api/v1/dlq/{id}", describe("dlq_purge"));
}

}  // namespace

TEST_CASE("requests reach the route their method and path name") {
  serving s;
  add_routes(s.routes);
  s.start();

  auto health = t::get(host, s.port(), "/healthz");
  CHECK(health.status == 200);
  CHECK(body_of(health)["route"] == "healthz");
  CHECK(body_of(t::get(host, s.port(), "/readyz"))["route"] == "readyz");
}

TEST_CASE("webhook routes capture the instance and the webhookByEvents suffix") {
  serving s;
  add_routes(s.routes);
  s.start();

  auto plain = body_of(t::post(host, s.port(), "/webhook/evolution/shop-1?token=abc", "{}"));
  CHECK(plain["route"] == "webhook");
  CHECK(plain["params"]["instance"] == "shop-1");
  CHECK(plain["query"]["token"] == "abc");

  auto by_event =
      body_of(t::post(host, s.port(), "/webhook/evolution/shop%201/messages-upsert", "{}"));
  CHECK(by_event["route"] == "webhook_by_event");
  CHECK(by_event["params"]["instance"] == "shop 1");
  CHECK(by_event["params"]["event"] == "messages-upsert");
}

TEST_CASE("an unknown path is answered 404 not_found in the error shape") {
  serving s;
  add_routes(s.routes);
  s.start();

  for (std::string target : {"/nope", "/healthz/", "/webhook/evolution", "/webhook/evolution//x",
                             "/webhook/evolution/a/b/c"}) {
    auto res = target.rfind("/webhook", 0) == 0 ? t::post(host, s.port(), target, "{}")
                                                : t::get(host, s.port(), target);
    CAPTURE(target);
    CHECK(res.status == 404);
    CHECK(body_of(res)["error"]["code"] == "not_found");
    CHECK(body_of(res)["error"]["message"].is_string());
  }
}

TEST_CASE("a known path under another method is answered 405 with Allow") {
  serving s;
  add_routes(s.routes);
  s.start();

  auto res = t::get(host, s.port(), "/webhook/evolution/shop-1");
  CHECK(res.status == 405);
  CHECK(body_of(res)["error"]["code"] == "method_not_allowed");
  CHECK(res.header("Allow") == "POST");

  auto dlq = t::post(host, s.port(), "/api/v1/dlq/4", "");
  CHECK(dlq.status == 405);
  CHECK(dlq.header("Allow") == "GET, DELETE");
}

TEST_CASE("json_error builds the one error shape and escapes its message") {
  auto res = json_error(503, "overloaded", "quote \" and newline \n");
  CHECK(res.status == 503);
  CHECK(res.content_type == "application/json");
  auto body = nlohmann::json::parse(res.body);
  CHECK(body["error"]["code"] == "overloaded");
  CHECK(body["error"]["message"] == "quote \" and newline \n");
  CHECK(body.size() == 1);
}

TEST_CASE("query strings are percent-decoded") {
  auto q = parse_query("token=a%2Bb&x=1+2&bad=%zz&=empty&flag");
  CHECK(q["token"] == "a+b");
  CHECK(q["x"] == "1 2");
  CHECK(q.count("bad") == 0);
  CHECK(q["flag"] == "");
  CHECK(q.size() == 3);
}
