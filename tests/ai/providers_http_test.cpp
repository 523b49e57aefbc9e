// The Gemini and OpenAI providers over the real HTTP client, against fake upstreams on
// loopback that speak the wire formats of the reference.
#include <doctest/doctest.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "adapters/ai/gemini_provider.hpp"
#include "adapters/ai/openai_provider.hpp"
#include "adapters/http/client.hpp"
#include "adapters/http/router.hpp"
#include "tests/ai/ai_testing.hpp"
#include "tests/support/fake_upstream.hpp"
#include "tests/support/process.hpp"

using namespace aibud::ai;
using aibud::ai::testing::user_says;
using json = nlohmann::json;
using std::chrono::milliseconds;
namespace http = aibud::http;

namespace {

using aibud::testing::fake_upstream;
using aibud::testing::reply;

// Sends one request and waits for its answer.
ai_response ask(provider& model, ai_request request) {
  auto mutex = std::make_shared<std::mutex>();
  auto answer = std::make_shared<std::optional<ai_response>>();
  model.generate(std::move(request), [mutex, answer](ai_response r) {
    std::lock_guard<std::mutex> lock(*mutex);
    *answer = std::move(r);
  });
  bool answered = aibud::testing::wait_until([&] {
    std::lock_guard<std::mutex> lock(*mutex);
    return answer->has_value();
  });
  if (!answered) throw std::runtime_error("no answer from the provider");
  std::lock_guard<std::mutex> lock(*mutex);
  return std::move(**answer);
}

const char* const gemini_answer = R"({
  "candidates": [ { "content": { "role": "model", "parts": [
      { "text": "{\"intent\":\"sell\",\"reply\":\"Vamos vender!\"}" } ] },
    "finishReason": "STOP", "index": 0 } ],
  "usageMetadata": { "promptTokenCount": 40, "candidatesTokenCount": 12, "thoughtsTokenCount": 30,
    "totalTokenCount": 82 },
  "modelVersion": "gemini-3.8-flash-001" })";

const char* const gemini_429 = R"({ "error": { "code": 429, "status": "RESOURCE_EXHAUSTED",
    "message": "You exceeded your current quota, please check your plan and billing details.",
    "details": [
      { "@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [ {
          "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
          "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier" } ] },
      { "@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "37s" } ] } })";

const json intent_schema = json::parse(R"({"type":"object",
  "properties":{"intent":{"type":"string"},"reply":{"type":"string"}},
  "required":["intent","reply"]})");

gemini::settings gemini_settings(const fake_upstream& upstream) {
  gemini::settings config;
  config.base_url = upstream.base_url();
  config.api_key = "test-gemini-key";
  config.model = "gemini-3.8-flash";
  config.timeout = milliseconds(10000);
  return config;
}

openai::settings openai_settings(const fake_upstream& upstream) {
  openai::settings config;
  config.base_url = upstream.base_url() + "/v1";
  config.api_key = "sk-local";
  config.model = "llama3.2";
  config.timeout = milliseconds(10000);
  return config;
}

}  // namespace

TEST_CASE("the Gemini provider posts generateContent with its key and reads the answer") {
  fake_upstream upstream([](const http::request&) { return reply(200, gemini_answer); });
  http::client client;
  gemini_provider gemini(gemini_settings(upstream), client.as_transport());
  CHECK(gemini.name() == "gemini");

  ai_request request = user_says("Quero vender meu apartamento", task_kind::classify);
  request.system_prompt = "Classify the lead.";
  request.json_schema = intent_schema;
  auto answer = ask(gemini, request);

  REQUIRE(answer.status == outcome::ok);
  REQUIRE(answer.structured);
  CHECK((*answer.structured)["intent"] == "sell");
  CHECK(answer.model == "gemini-3.8-flash-001");
  CHECK(answer.usage.thinking == 30);
  CHECK(answer.http_status == 200);

  auto seen = upstream.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].method == "POST");
  CHECK(seen[0].target == "/v1beta/models/gemini-3.8-flash:generateContent");
  CHECK(seen[0].header("x-goog-api-key") == "test-gemini-key");
  json body = json::parse(seen[0].body);
  CHECK(body["systemInstruction"]["parts"][0]["text"] == "Classify the lead.");
  CHECK(body["contents"][0]["parts"][0]["text"] == "Quero vender meu apartamento");
  CHECK(body["generationConfig"]["responseJsonSchema"] == intent_schema);
}

TEST_CASE("the Gemini provider reports 429 with retryDelay, 503, 400 and a safety block") {
  std::atomic<int> status{0};
  fake_upstream upstream([&status](const http::request&) {
    switch (status) {
      case 429:
        return reply(429, gemini_429);
      case 503:
        return reply(503, R"({"error":{"code":503,"status":"UNAVAILABLE",
                              "message":"The model is overloaded. Please try again later."}})");
      case 400:
        return reply(400, R"({"error":{"code":400,"status":"INVALID_ARGUMENT",
                              "message":"Invalid JSON payload received."}})");
      default:
        return reply(200, R"({"promptFeedback":{"blockReason":"SAFETY","safetyRatings":[
                              {"category":"HARM_CATEGORY_HARASSMENT","probability":"HIGH"}]},
                              "usageMetadata":{"promptTokenCount":9,"totalTokenCount":9},
                              "modelVersion":"gemini-3.8-flash"})");
    }
  });
  http::client client;
  gemini_provider gemini(gemini_settings(upstream), client.as_transport());

  status = 429;
  auto limited = ask(gemini, user_says("hi"));
  CHECK(limited.status == outcome::error);
  CHECK(limited.failure == error_kind::rate_limited);
  CHECK(limited.retry_after == milliseconds(37000));

  status = 503;
  auto overloaded = ask(gemini, user_says("hi"));
  CHECK(overloaded.failure == error_kind::retryable);
  CHECK(overloaded.http_status == 503);
  CHECK(overloaded.error_message.find("overloaded") != std::string::npos);

  status = 400;
  auto invalid = ask(gemini, user_says("hi"));
  CHECK(invalid.failure == error_kind::invalid_request);
  CHECK(is_retryable(invalid.failure) == false);

  status = 200;
  auto blocked = ask(gemini, user_says("something nasty"));
  CHECK(blocked.status == outcome::blocked);
  CHECK(blocked.block_reason == "SAFETY");
  CHECK(blocked.usage.input == 9);
  CHECK(upstream.requests().size() == 4);
}

TEST_CASE("the Gemini provider asks the fallback model once when the model is not found") {
  fake_upstream upstream([](const http::request& req) {
    if (req.target.find("/models/gemini-3.6-flash:") != std::string::npos)
      return reply(200, gemini_answer);
    return reply(404, R"({"error":{"code":404,"status":"NOT_FOUND",
                          "message":"models/gemini-9 is not found for API version v1beta"}})");
  });
  http::client client;
  auto config = gemini_settings(upstream);
  config.model = "gemini-9";
  config.fallback_model = "gemini-3.6-flash";
  gemini_provider gemini(config, client.as_transport());

  auto answer = ask(gemini, user_says("hi"));
  CHECK(answer.status == outcome::ok);
  auto seen = upstream.requests();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].target == "/v1beta/models/gemini-9:generateContent");
  CHECK(seen[1].target == "/v1beta/models/gemini-3.6-flash:generateContent");

  // Without a fallback the runtime hears not_found.
  config.fallback_model.clear();
  gemini_provider no_fallback(config, client.as_transport());
  CHECK(ask(no_fallback, user_says("hi")).failure == error_kind::not_found);
}

TEST_CASE("the Gemini provider sends images inline and reports a transport failure") {
  fake_upstream upstream([](const http::request&) { return reply(200, gemini_answer); });
  http::client client;
  gemini_provider gemini(gemini_settings(upstream), client.as_transport());
  ai_request photo = user_says("Quanto vale?", task_kind::vision);
  photo.images.push_back({"image/jpeg", std::string("\xff\xd8\xff\xe0", 4), ""});
  CHECK(ask(gemini, photo).status == outcome::ok);
  json body = json::parse(upstream.requests().at(0).body);
  CHECK(body["contents"][0]["parts"][0]["inlineData"] ==
        json{{"mimeType", "image/jpeg"}, {"data", "/9j/4A=="}});

  // Nothing listens on the port of a server that has gone.
  std::string gone_url;
  {
    fake_upstream gone([](const http::request&) { return reply(200, "{}"); });
    gone_url = gone.base_url();
  }
  auto config = gemini_settings(upstream);
  config.base_url = gone_url;
  config.connect_timeout = milliseconds(2000);
  gemini_provider unreachable(config, client.as_transport());
  auto failed = ask(unreachable, user_says("hi"));
  CHECK(failed.status == outcome::error);
  CHECK(failed.failure == error_kind::transport);
  CHECK(failed.http_status == 0);
}

TEST_CASE("the OpenAI provider posts chat completions with a Bearer key and reads the answer") {
  fake_upstream upstream([](const http::request&) {
    return reply(200, R"({"id":"chatcmpl-1","object":"chat.completion","model":"llama3.2:3b",
      "choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant",
        "content":"{\"intent\":\"buy\",\"reply\":\"Let's find you a home.\"}"}}],
      "usage":{"prompt_tokens":31,"completion_tokens":14,"total_tokens":45}})");
  });
  http::client client;
  openai_provider local(openai_settings(upstream), client.as_transport());
  CHECK(local.name() == "openai");

  ai_request request = user_says("I want to buy a flat", task_kind::classify);
  request.json_schema = intent_schema;
  auto answer = ask(local, request);
  REQUIRE(answer.status == outcome::ok);
  REQUIRE(answer.structured);
  CHECK((*answer.structured)["intent"] == "buy");
  CHECK(answer.model == "llama3.2:3b");
  CHECK(answer.usage.input == 31);
  CHECK(answer.usage.output == 14);

  auto seen = upstream.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].target == "/v1/chat/completions");
  CHECK(seen[0].header("authorization") == "Bearer sk-local");
  json body = json::parse(seen[0].body);
  CHECK(body["model"] == "llama3.2");
  CHECK(body["messages"][0] == json{{"role", "user"}, {"content", "I want to buy a flat"}});
  CHECK(body["response_format"]["json_schema"]["schema"] == intent_schema);
}

TEST_CASE("the OpenAI provider reports 429 with Retry-After, 503, 400 and a content filter") {
  std::atomic<int> status{0};
  fake_upstream upstream([&status](const http::request&) {
    switch (status) {
      case 429:
        return reply(429,
                     R"({"error":{"message":"Rate limit reached","type":"requests",
                                  "code":"rate_limit_exceeded"}})",
                     {{"Retry-After", "7"}});
      case 503:
        return reply(503, R"({"error":{"message":"server busy","type":"server_error"}})");
      case 400:
        return reply(400, R"({"error":{"message":"Invalid schema for response_format",
                              "type":"invalid_request_error","code":"invalid_json_schema"}})");
      default:
        return reply(200, R"({"model":"gpt-4o-mini","choices":[{"index":0,
                              "finish_reason":"content_filter","message":{"role":"assistant",
                              "content":""}}],"usage":{"prompt_tokens":5,"completion_tokens":0}})");
    }
  });
  http::client client;
  openai_provider remote(openai_settings(upstream), client.as_transport());

  status = 429;
  auto limited = ask(remote, user_says("hi"));
  CHECK(limited.failure == error_kind::rate_limited);
  CHECK(limited.retry_after == milliseconds(7000));

  status = 503;
  CHECK(ask(remote, user_says("hi")).failure == error_kind::retryable);

  status = 400;
  auto invalid = ask(remote, user_says("hi"));
  CHECK(invalid.failure == error_kind::invalid_request);
  CHECK(invalid.error_message == "invalid_json_schema: Invalid schema for response_format");

  status = 200;
  auto filtered = ask(remote, user_says("hi"));
  CHECK(filtered.status == outcome::blocked);
  CHECK(filtered.block_reason == "content_filter");
}
