// Model choice by complexity, per tenant, with its fallbacks; and the provider limits a
// router relies on (calls in flight, timeouts), against a fake Gemini on loopback.
#include <doctest/doctest.h>

#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "adapters/ai/gemini_provider.hpp"
#include "adapters/ai/model_router.hpp"
#include "adapters/ai/offline_warning.hpp"
#include "adapters/http/client.hpp"
#include "tests/ai/ai_testing.hpp"
#include "tests/support/fake_upstream.hpp"
#include "tests/support/process.hpp"

using namespace aibud::ai;
using aibud::errc;
using aibud::ai::testing::user_says;
using aibud::testing::wait_until;
using json = nlohmann::json;
using std::chrono::milliseconds;
namespace http = aibud::http;

namespace {

const char* const gemini_ok = R"({
  "candidates": [ { "content": { "role": "model", "parts": [ { "text": "Olá!" } ] },
    "finishReason": "STOP", "index": 0 } ],
  "usageMetadata": { "promptTokenCount": 4, "candidatesTokenCount": 2, "totalTokenCount": 6 } })";

const char* const gemini_404 = R"({"error":{"code":404,"status":"NOT_FOUND",
  "message":"models/gemini-3.1-pro-preview is not found for API version v1beta"}})";

const char* const gemini_503 = R"({"error":{"code":503,"status":"UNAVAILABLE",
  "message":"The model is overloaded. Please try again later."}})";

using fake_gemini = aibud::testing::fake_upstream;
using aibud::testing::reply;

std::string path_for(const std::string& model) {
  return "/v1beta/models/" + model + ":generateContent";
}

// Answers 404 for models not in `known`, 503 for those in `down`, else the answer.
fake_gemini::answer_fn models(std::vector<std::string> known, std::vector<std::string> down = {}) {
  return [known, down](const http::request& req) {
    for (const auto& m : down)
      if (req.target == path_for(m)) return reply(503, gemini_503);
    for (const auto& m : known)
      if (req.target == path_for(m)) return reply(200, gemini_ok);
    return reply(404, gemini_404);
  };
}

gemini::settings settings_for(const fake_gemini& upstream) {
  gemini::settings config;
  config.base_url = upstream.base_url();
  config.api_key = "test-gemini-key";
  config.model = "provider-default";
  config.fallback_model = "provider-fallback";
  config.timeout = milliseconds(10000);
  return config;
}

// Starts a request; the answer lands in the returned slot.
struct pending {
  std::mutex mutex;
  std::optional<ai_response> answer;

  bool done() {
    std::lock_guard<std::mutex> lock(mutex);
    return answer.has_value();
  }
};

std::shared_ptr<pending> start(provider& model, ai_request request) {
  auto slot = std::make_shared<pending>();
  model.generate(std::move(request), [slot](ai_response r) {
    std::lock_guard<std::mutex> lock(slot->mutex);
    slot->answer = std::move(r);
  });
  return slot;
}

ai_response ask(provider& model, ai_request request) {
  auto slot = start(model, std::move(request));
  if (!wait_until([&] { return slot->done(); })) throw std::runtime_error("no answer");
  return *slot->answer;
}

ai_request photo_request() {
  ai_request request = user_says("Quanto vale este apartamento?", task_kind::vision);
  request.images.push_back({"image/jpeg", std::string("\xff\xd8\xff\xe0", 4), ""});
  return request;
}

}  // namespace

TEST_CASE("short text goes to the fast model, images and long contexts to the strong one") {
  model_set models;
  CHECK(pick(models, traits_of(user_says("Oi, tudo bem?"))) == "gemini-3.8-flash");
  CHECK(pick(models, traits_of(photo_request())) == "gemini-3.1-pro-preview");

  // An image in an earlier turn counts too.
  ai_request earlier = user_says("e agora?");
  earlier.history.insert(earlier.history.begin(),
                         turn{role::user, "foto", {image{"image/png", "png-bytes", ""}}});
  CHECK(traits_of(earlier).has_images);

  routing_policy policy;
  policy.long_context_chars = 100;
  ai_request long_talk = user_says(std::string(60, 'a'));
  long_talk.system_prompt = std::string(39, 'b');
  CHECK(traits_of(long_talk).context_chars == 99);
  CHECK(pick(models, traits_of(long_talk), policy) == models.fast);
  long_talk.history.push_back({role::model, "x", {}});
  CHECK(pick(models, traits_of(long_talk), policy) == models.strong);
}

TEST_CASE("route sets the model and the fallback, and keeps a model a retry already chose") {
  model_set models{"fast-m", "strong-m", "fallback-m"};
  ai_request text = user_says("hi");
  route(text, models);
  CHECK(text.model == "fast-m");
  CHECK(text.fallback_model == "fallback-m");

  ai_request retry = photo_request();
  retry.model = "fallback-m";
  route(retry, models);
  CHECK(retry.model == "fallback-m");
}

TEST_CASE("a tenant's settings override its models, nested or dotted") {
  model_set defaults;
  auto same = models_for(defaults, "{}");
  REQUIRE(same.ok());
  CHECK(same->fast == defaults.fast);
  CHECK(same->fallback == defaults.fallback);
  CHECK(models_for(defaults, "")->strong == defaults.strong);

  auto nested = models_for(defaults, R"({"ai":{"fast_model":"my-flash","fallback_model":""},
                                        "language":"pt-BR"})");
  REQUIRE(nested.ok());
  CHECK(nested->fast == "my-flash");
  CHECK(nested->strong == defaults.strong);
  CHECK(nested->fallback.empty());

  auto dotted = models_for(defaults, R"({"ai.strong_model":"my-pro"})");
  REQUIRE(dotted.ok());
  CHECK(dotted->strong == "my-pro");
}

TEST_CASE("tenant settings that are not an object or name no model are refused by key") {
  model_set defaults;
  for (const char* bad : {"[1]", "not json", R"({"ai":{"fast_model":""}})",
                          R"({"ai":{"strong_model":7}})", R"({"ai.fallback_model":null})"}) {
    auto r = models_for(defaults, bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().code == errc::invalid_argument);
    CHECK(r.err().message.rfind("tenant settings", 0) == 0);
  }
  CHECK(
      models_for(defaults, R"({"ai":{"strong_model":7}})").err().message.find("ai.strong_model") !=
      std::string::npos);
}

TEST_CASE(
    "a missing model switches to the fallback at once, a 5xx after the first model's "
    "retries") {
  model_set models{"fast-m", "strong-m", "fallback-m"};
  routing_policy policy;
  policy.attempts_before_fallback = 2;

  CHECK(next_model(models, "strong-m", error_kind::not_found, 1, policy) == "fallback-m");
  CHECK(next_model(models, "strong-m", error_kind::retryable, 1, policy) == "strong-m");
  CHECK(next_model(models, "strong-m", error_kind::retryable, 2, policy) == "fallback-m");
  CHECK(next_model(models, "strong-m", error_kind::transport, 2, policy) == "fallback-m");
  // Waiting is the cure for these, not another model.
  for (auto kind : {error_kind::rate_limited, error_kind::daily_quota, error_kind::invalid_request,
                    error_kind::unauthorized, error_kind::invalid_output})
    CHECK(next_model(models, "strong-m", kind, 9, policy) == "strong-m");
  // Nowhere to go.
  CHECK(next_model(models, "fallback-m", error_kind::not_found, 1, policy) == "fallback-m");
  model_set no_fallback{"fast-m", "strong-m", ""};
  CHECK(next_model(no_fallback, "fast-m", error_kind::retryable, 5, policy) == "fast-m");
}

TEST_CASE("a routed request whose model is not found is answered by the tenant's fallback") {
  fake_gemini upstream(models({"tenant-fallback"}));
  aibud::http::client client;
  gemini_provider gemini(settings_for(upstream), client.as_transport());

  auto tenant = models_for(model_set{}, R"({"ai":{"fallback_model":"tenant-fallback"}})");
  REQUIRE(tenant.ok());
  ai_request request = photo_request();
  route(request, *tenant);
  auto answer = ask(gemini, request);

  CHECK(answer.status == outcome::ok);
  CHECK(answer.model == "tenant-fallback");
  CHECK(upstream.targets() ==
        std::vector<std::string>{path_for("gemini-3.1-pro-preview"), path_for("tenant-fallback")});
}

TEST_CASE("retries after a 503 move to the fallback model once the first model's are spent") {
  fake_gemini upstream(models({"fallback-m"}, {"fast-m"}));
  aibud::http::client client;
  gemini_provider gemini(settings_for(upstream), client.as_transport());
  model_set models{"fast-m", "strong-m", "fallback-m"};
  routing_policy policy;
  policy.attempts_before_fallback = 2;

  // What the job runner does between attempts.
  ai_request request = user_says("Quero alugar");
  route(request, models, policy);
  ai_response answer;
  for (std::int64_t attempt = 1; attempt <= 5; ++attempt) {
    answer = ask(gemini, request);
    if (answer.status == outcome::ok) break;
    CHECK(answer.failure == error_kind::retryable);
    request.model = next_model(request, answer.failure, attempt, policy);
  }
  CHECK(answer.status == outcome::ok);
  CHECK(upstream.targets() ==
        std::vector<std::string>{path_for("fast-m"), path_for("fast-m"), path_for("fallback-m")});
}

TEST_CASE("a provider keeps at most max_in_flight calls open and starts the others in order") {
  fake_gemini upstream(models({"provider-default"}));
  upstream.hold(true);
  aibud::http::client client;
  auto config = settings_for(upstream);
  config.max_in_flight = 2;
  gemini_provider gemini(config, client.as_transport());

  std::vector<std::shared_ptr<pending>> calls;
  for (int i = 0; i < 5; ++i) calls.push_back(start(gemini, user_says("m" + std::to_string(i))));
  REQUIRE(wait_until([&] { return upstream.held_count() == 2; }));
  CHECK(gemini.in_flight() == 2);
  CHECK(gemini.waiting() == 3);

  upstream.release_one();
  // The first two started together and reach the fake in either order: one of them is answered,
  // and its slot goes to the third call.
  REQUIRE(wait_until(
      [&] { return (calls[0]->done() || calls[1]->done()) && upstream.held_count() == 2; }));
  CHECK(gemini.waiting() == 2);
  CHECK(upstream.requests().size() == 3);

  upstream.hold(false);
  upstream.release_all();
  REQUIRE(wait_until([&] {
    for (auto& c : calls)
      if (!c->done()) return false;
    return true;
  }));
  CHECK(gemini.in_flight() == 0);
  auto seen = upstream.requests();
  REQUIRE(seen.size() == 5);
  // Waiting calls start in the order they were made, as slots free up; calls that start
  // together (two slots freed at once) race to the server over their own connections.
  auto said = [&seen](std::size_t i) -> std::string {
    return json::parse(seen[i].body)["contents"][0]["parts"][0]["text"].get<std::string>();
  };
  CHECK(std::set<std::string>{said(0), said(1)} == std::set<std::string>{"m0", "m1"});
  CHECK(said(2) == "m2");
  CHECK(std::set<std::string>{said(3), said(4)} == std::set<std::string>{"m3", "m4"});
}

TEST_CASE(
    "a call that outlasts the total timeout fails as a transport failure and frees its "
    "slot") {
  fake_gemini upstream(models({"provider-default"}));
  upstream.hold(true);
  aibud::http::client client;
  auto config = settings_for(upstream);
  config.timeout = milliseconds(300);
  config.max_in_flight = 1;
  gemini_provider gemini(config, client.as_transport());

  auto answer = ask(gemini, user_says("hi"));
  CHECK(answer.status == outcome::error);
  CHECK(answer.failure == error_kind::transport);
  CHECK(answer.error_message == "timed out");
  CHECK(gemini.in_flight() == 0);
}

TEST_CASE("serve's offline warning is given only for real instances answered by offline") {
  CHECK_FALSE(offline_warning("offline", {}).has_value());
  CHECK_FALSE(offline_warning("gemini", {"main"}).has_value());
  auto one = offline_warning("offline", {"main"});
  REQUIRE(one.has_value());
  CHECK(one->find("main") != std::string::npos);
  CHECK(one->find("AIBUD_GEMINI_API_KEY") != std::string::npos);
  auto many = offline_warning("offline", {"a", "b", "c", "d", "e", "f", "g"});
  REQUIRE(many.has_value());
  CHECK(many->find("e and 2 more") != std::string::npos);
  CHECK(many->find(", f") == std::string::npos);
}

TEST_CASE("with_models writes a tenant's overrides that models_for then reads") {
  model_set defaults;
  model_overrides set;
  set.strong = "my-pro";
  set.fallback = "my-fallback";
  auto written = with_models(R"({"language":"pt-BR","ai.strong_model":"old-pro"})", set);
  REQUIRE(written.ok());
  auto read = models_for(defaults, *written);
  REQUIRE(read.ok());
  CHECK(read->strong == "my-pro");  // the dotted spelling was replaced, not left to win
  CHECK(read->fallback == "my-fallback");
  CHECK(read->fast == defaults.fast);
  CHECK(nlohmann::json::parse(*written)["language"] == "pt-BR");

  model_overrides clear;
  clear.strong = "";
  auto cleared = with_models(*written, clear);
  REQUIRE(cleared.ok());
  CHECK(models_for(defaults, *cleared)->strong == defaults.strong);
  CHECK(models_for(defaults, *cleared)->fallback == "my-fallback");
  CHECK_FALSE(with_models("[1]", set).ok());
}
