#include <doctest/doctest.h>

#include <string>

#include "adapters/ai/openai_codec.hpp"
#include "tests/ai/ai_testing.hpp"

using namespace aibud::ai;
using aibud::http_reply;
using aibud::ai::testing::user_says;
using json = nlohmann::json;
using std::chrono::milliseconds;

namespace {

// Composed from the reference (gemini.md §6).
const char* const completion = R"({ "id": "chatcmpl-abc", "object": "chat.completion",
  "created": 1764020000, "model": "llama3.2-vision",
  "choices": [ { "index": 0, "finish_reason": "stop",
                 "message": { "role": "assistant", "content": "{\"label\":\"cat\"}" } } ],
  "usage": { "prompt_tokens": 271, "completion_tokens": 9, "total_tokens": 280 } })";

const json label_schema = json::parse(
    R"({ "type": "object", "properties": { "label": { "type": "string" } }, "required": ["label"] })");

http_reply reply(int status, std::string body) {
  http_reply r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

ai_response parse(int status, std::string body, const std::optional<json>& schema = {}) {
  return openai::parse_reply(reply(status, std::move(body)), "llama3.2", schema);
}

std::string with_finish(const char* reason) {
  json body = json::parse(completion);
  body["choices"][0]["finish_reason"] = reason;
  return body.dump();
}

std::string api_error(const std::string& message, const std::string& type, json code) {
  return json{{"error", {{"message", message}, {"type", type}, {"code", code}}}}.dump();
}

std::string header(const aibud::http_call& call, const std::string& name) {
  for (const auto& [n, v] : call.headers)
    if (n == name) return v;
  return {};
}

}  // namespace

TEST_CASE("the OpenAI URL appends chat/completions to a versioned base, /v1 to a bare host") {
  CHECK(openai::endpoint_url("https://api.openai.com/v1") ==
        "https://api.openai.com/v1/chat/completions");
  CHECK(openai::endpoint_url("http://localhost:11434/v1/") ==
        "http://localhost:11434/v1/chat/completions");
  CHECK(openai::endpoint_url("http://127.0.0.1:8080") ==
        "http://127.0.0.1:8080/v1/chat/completions");
  CHECK(openai::endpoint_url("http://localhost:8000/") ==
        "http://localhost:8000/v1/chat/completions");
  CHECK(openai::endpoint_url("https://generativelanguage.googleapis.com/v1beta/openai/") ==
        "https://generativelanguage.googleapis.com/v1beta/openai/chat/completions");
}

TEST_CASE("an OpenAI call sends a Bearer key only when one is set") {
  openai::settings config;
  config.base_url = "http://localhost:11434/v1";
  config.model = "llama3.2";
  config.timeout = milliseconds(120000);
  auto local = openai::build_call(user_says("hi"), config);
  CHECK(local.method == "POST");
  CHECK(local.url == "http://localhost:11434/v1/chat/completions");
  CHECK(header(local, "Authorization").empty());
  CHECK(header(local, "Content-Type") == "application/json");
  CHECK(local.timeout == milliseconds(120000));

  config.api_key = "sk-test";
  CHECK(header(openai::build_call(user_says("hi"), config), "Authorization") == "Bearer sk-test");
}

TEST_CASE("the OpenAI body carries system, user and assistant messages, images and the schema") {
  openai::settings config;
  config.model = "gpt-4o-mini";
  ai_request request;
  request.kind = task_kind::vision;
  request.system_prompt = "Return JSON only.";
  request.history.push_back({role::user, "Oi", {}});
  request.history.push_back({role::model, "Olá! Envie fotos.", {}});
  request.history.push_back({role::user, "Classify the main object.", {}});
  request.images.push_back({"image/jpeg", "", "/9j/4AAQ"});
  request.json_schema = label_schema;
  request.max_output_tokens = 1024;
  request.temperature = 0.0;

  json body = openai::request_body(request, config);
  CHECK(body["model"] == "gpt-4o-mini");
  CHECK(body["stream"] == false);
  CHECK(body["max_tokens"] == 1024);
  CHECK(body["temperature"] == 0.0);
  const json& messages = body["messages"];
  REQUIRE(messages.size() == 4);
  CHECK(messages[0] == json::parse(R"({"role":"system","content":"Return JSON only."})"));
  CHECK(messages[1] == json::parse(R"({"role":"user","content":"Oi"})"));
  CHECK(messages[2] == json::parse(R"({"role":"assistant","content":"Olá! Envie fotos."})"));
  CHECK(messages[3] == json::parse(R"({"role":"user","content":[
      {"type":"text","text":"Classify the main object."},
      {"type":"image_url","image_url":{"url":"data:image/jpeg;base64,/9j/4AAQ"}}]})"));
  CHECK(body["response_format"] ==
        json{{"type", "json_schema"},
             {"json_schema", {{"name", "vision"}, {"schema", label_schema}, {"strict", true}}}});

  request.model = "llava";
  request.json_schema.reset();
  request.temperature.reset();
  request.max_output_tokens = 0;
  body = openai::request_body(request, config);
  CHECK(body["model"] == "llava");
  CHECK_FALSE(body.contains("response_format"));
  CHECK_FALSE(body.contains("temperature"));
  CHECK_FALSE(body.contains("max_tokens"));
}

TEST_CASE("an OpenAI stop answer gives text, structured output, usage and the model") {
  auto answer = parse(200, completion, label_schema);
  CHECK(answer.status == outcome::ok);
  CHECK(answer.text == "{\"label\":\"cat\"}");
  REQUIRE(answer.structured);
  CHECK((*answer.structured)["label"] == "cat");
  CHECK(answer.usage.input == 271);
  CHECK(answer.usage.output == 9);
  CHECK(answer.usage.thinking == 0);
  CHECK(answer.model == "llama3.2-vision");
  CHECK(answer.finish_reason == "stop");
}

TEST_CASE("OpenAI reasoning tokens count as thinking, not as answer") {
  json body = json::parse(completion);
  body["usage"]["completion_tokens"] = 500;
  body["usage"]["completion_tokens_details"] = {{"reasoning_tokens", 448}};
  auto answer = parse(200, body.dump());
  CHECK(answer.usage.output == 52);
  CHECK(answer.usage.thinking == 448);
}

TEST_CASE("every OpenAI finish_reason maps to ok, truncated, blocked or error") {
  CHECK(parse(200, with_finish("stop")).status == outcome::ok);
  CHECK(parse(200, with_finish("length")).status == outcome::truncated);
  auto filtered = parse(200, with_finish("content_filter"));
  CHECK(filtered.status == outcome::blocked);
  CHECK(filtered.block_reason == "content_filter");
  auto tools = parse(200, with_finish("tool_calls"));
  CHECK(tools.status == outcome::error);
  CHECK(tools.failure == error_kind::retryable);

  json refused = json::parse(completion);
  refused["choices"][0]["message"] = {
      {"role", "assistant"}, {"content", nullptr}, {"refusal", "I can't help with that."}};
  auto refusal = parse(200, refused.dump(), label_schema);
  CHECK(refusal.status == outcome::blocked);
  CHECK(refusal.block_reason == "refusal");
  CHECK(refusal.error_message == "I can't help with that.");
}

TEST_CASE("malformed OpenAI structured output is invalid_output") {
  json body = json::parse(completion);
  body["choices"][0]["message"]["content"] = "Sure! The label is cat.";
  auto answer = parse(200, body.dump(), label_schema);
  CHECK(answer.status == outcome::error);
  CHECK(answer.failure == error_kind::invalid_output);
  CHECK(answer.usage.input == 271);
}

TEST_CASE("OpenAI error shapes map to what the runtime does next") {
  auto limited =
      reply(429, api_error("Rate limit reached for requests", "requests", "rate_limit_exceeded"));
  limited.headers.emplace_back("retry-after", "20");
  auto answer = openai::parse_reply(limited, "gpt-4o-mini", std::nullopt);
  CHECK(answer.failure == error_kind::rate_limited);
  CHECK(answer.retry_after == milliseconds(20000));
  CHECK(answer.error_message == "rate_limit_exceeded: Rate limit reached for requests");

  auto precise = reply(429, api_error("slow down", "requests", nullptr));
  precise.headers.emplace_back("retry-after-ms", "750");
  precise.headers.emplace_back("retry-after", "1");
  CHECK(openai::parse_reply(precise, "m", std::nullopt).retry_after == milliseconds(750));

  auto broke = parse(429, api_error("You exceeded your current quota", "insufficient_quota",
                                    "insufficient_quota"));
  CHECK(broke.failure == error_kind::unauthorized);

  CHECK(parse(401,
              api_error("Incorrect API key provided", "invalid_request_error", "invalid_api_key"))
            .failure == error_kind::unauthorized);
  CHECK(parse(403, api_error("forbidden", "", nullptr)).failure == error_kind::unauthorized);
  auto missing = parse(404, api_error("The model `gpt-9` does not exist", "invalid_request_error",
                                      "model_not_found"));
  CHECK(missing.failure == error_kind::not_found);
  CHECK(missing.http_status == 404);
  CHECK(parse(400, api_error("maximum context length is 8192 tokens", "invalid_request_error",
                             "context_length_exceeded"))
            .failure == error_kind::invalid_request);
  CHECK(parse(422, api_error("bad", "", nullptr)).failure == error_kind::invalid_request);
  CHECK(parse(500, api_error("The server had an error", "server_error", nullptr)).failure ==
        error_kind::retryable);
  CHECK(parse(503, "").failure == error_kind::retryable);
  CHECK(parse(408, "").failure == error_kind::retryable);
}

TEST_CASE("error bodies of local servers are read defensively") {
  // Ollama's native shape, a bare string.
  auto ollama = parse(404, R"({"error":"model \"llava\" not found, try pulling it first"})");
  CHECK(ollama.failure == error_kind::not_found);
  CHECK(ollama.error_message == "model \"llava\" not found, try pulling it first");
  // llama.cpp puts a number in `code`; Gemini's compatibility layer may wrap in an array.
  auto llama =
      parse(400, R"({"error":{"code":400,"message":"bad schema","type":"invalid_request_error"}})");
  CHECK(llama.error_message == "400: bad schema");
  auto wrapped =
      parse(503, R"([{"error":{"code":503,"message":"overloaded","status":"UNAVAILABLE"}}])");
  CHECK(wrapped.failure == error_kind::retryable);
  CHECK(wrapped.error_message == "503: overloaded");
  // A 200 that carries an error is not an answer.
  auto hidden = parse(200, R"({"error":{"message":"upstream failed","type":"server_error"}})");
  CHECK(hidden.status == outcome::error);
  CHECK(parse(200, "not json").failure == error_kind::retryable);
  CHECK(parse(200, R"({"choices":[]})").failure == error_kind::retryable);
}

TEST_CASE("an OpenAI call with no HTTP answer is a transport failure") {
  http_reply refused;
  refused.transport_error = "Couldn't connect to server";
  auto answer = openai::parse_reply(refused, "llama3.2", std::nullopt);
  CHECK(answer.failure == error_kind::transport);
  CHECK(answer.model == "llama3.2");
}
