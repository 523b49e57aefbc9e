#include <doctest/doctest.h>

#include <string>

#include "adapters/ai/gemini_codec.hpp"
#include "base/time.hpp"
#include "tests/ai/ai_testing.hpp"

using namespace aibud::ai;
using aibud::http_reply;
using aibud::ai::testing::user_says;
using json = nlohmann::json;
using std::chrono::milliseconds;

namespace {

// Bodies composed from the reference (gemini.md §3, §4).
const char* const text_answer = R"({
  "candidates": [ { "content": { "role": "model", "parts": [
      { "text": "The note asks the team to freeze the API on Friday.", "thoughtSignature": "Cp0BAVSoXO" } ] },
    "finishReason": "STOP", "index": 0 } ],
  "usageMetadata": { "promptTokenCount": 38, "candidatesTokenCount": 47, "thoughtsTokenCount": 212,
    "totalTokenCount": 297, "promptTokensDetails": [ { "modality": "TEXT", "tokenCount": 38 } ] },
  "modelVersion": "gemini-3.8-flash", "responseId": "mB0kaeS9Lo-xz7IPpNuD8QU" })";

const char* const json_answer = R"({
  "candidates": [ { "content": { "role": "model", "parts": [
      { "text": "{\"label\":\"cat\",\"confidence\":0.94,\"objects\":[\"cat\",\"sofa\",\"cushion\"]}" } ] },
    "finishReason": "STOP", "index": 0 } ],
  "usageMetadata": { "promptTokenCount": 271, "candidatesTokenCount": 24, "totalTokenCount": 295,
    "promptTokensDetails": [ { "modality": "TEXT", "tokenCount": 13 }, { "modality": "IMAGE", "tokenCount": 258 } ] },
  "modelVersion": "gemini-2.5-flash-lite", "responseId": "Q2wkaZ7aA9KVmtkP0pOx2Ag" })";

const char* const per_minute_429 = R"({ "error": { "code": 429, "status": "RESOURCE_EXHAUSTED",
    "message": "You exceeded your current quota, please check your plan and billing details.",
    "details": [
      { "@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [ {
          "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
          "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier" } ] },
      { "@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "37s" } ] } })";

const json label_schema = json::parse(R"({ "type": "object",
  "properties": { "label": { "type": "string" },
                  "confidence": { "type": "number", "minimum": 0, "maximum": 1 },
                  "objects": { "type": "array", "items": { "type": "string" } } },
  "required": ["label", "confidence", "objects"] })");

http_reply reply(int status, std::string body) {
  http_reply r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

ai_response parse(int status, std::string body, const std::optional<json>& schema = {}) {
  return gemini::parse_reply(reply(status, std::move(body)), "gemini-3.8-flash", schema,
                             aibud::time::now_ms());
}

std::string with_finish(const std::string& reason) {
  json body = json::parse(text_answer);
  body["candidates"][0]["finishReason"] = reason;
  return body.dump();
}

std::string status_error(int code, const std::string& status, const std::string& message,
                         json details = json::array()) {
  return json{
      {"error", {{"code", code}, {"status", status}, {"message", message}, {"details", details}}}}
      .dump();
}

}  // namespace

TEST_CASE("the Gemini URL names the model under v1beta and carries no key") {
  CHECK(gemini::endpoint_url("https://generativelanguage.googleapis.com", "gemini-3.8-flash") ==
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-3.8-flash:generateContent");
  CHECK(gemini::endpoint_url("https://generativelanguage.googleapis.com/", "models/gemini-x") ==
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-x:generateContent");
  CHECK(gemini::endpoint_url("http://127.0.0.1:9000/proxy/v1beta/", "m") ==
        "http://127.0.0.1:9000/proxy/v1beta/models/m:generateContent");
}

TEST_CASE("a Gemini call is a POST with the key in x-goog-api-key and the configured timeouts") {
  gemini::settings config;
  config.api_key = "AIza-test-key";
  config.model = "gemini-3.8-flash";
  config.connect_timeout = milliseconds(1500);
  config.timeout = milliseconds(90000);
  auto call = gemini::build_call(user_says("hello"), config);
  CHECK(call.method == "POST");
  CHECK(call.url ==
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-3.8-flash:generateContent");
  CHECK(call.url.find("AIza") == std::string::npos);
  bool keyed = false;
  bool json_type = false;
  for (const auto& [name, value] : call.headers) {
    keyed = keyed || (name == "x-goog-api-key" && value == "AIza-test-key");
    json_type = json_type || (name == "Content-Type" && value == "application/json");
  }
  CHECK(keyed);
  CHECK(json_type);
  CHECK(call.connect_timeout == milliseconds(1500));
  CHECK(call.timeout == milliseconds(90000));

  ai_request strong = user_says("hello");
  strong.model = "gemini-3.1-pro-preview";
  CHECK(gemini::build_call(strong, config).url.find("/models/gemini-3.1-pro-preview:") !=
        std::string::npos);
}

TEST_CASE("the Gemini body carries the system prompt, the turns, images and the schema") {
  ai_request request;
  request.kind = task_kind::vision;
  request.system_prompt = "You value properties. Answer in pt-BR.";
  request.history.push_back({role::user, "Oi", {}});
  request.history.push_back({role::model, "Olá! Envie fotos.", {}});
  request.history.push_back({role::user, "Aqui está a cozinha", {}});
  request.images.push_back({"image/png", "\x89PNG", ""});
  request.images.push_back({"image/jpeg", "", "/9j/4AAQ"});
  request.json_schema = label_schema;
  request.max_output_tokens = 512;
  request.temperature = 0.2;

  json body = gemini::request_body(request);
  CHECK(body["systemInstruction"] ==
        json::parse(R"({"parts":[{"text":"You value properties. Answer in pt-BR."}]})"));
  const json& contents = body["contents"];
  REQUIRE(contents.size() == 3);
  CHECK(contents[0] == json::parse(R"({"role":"user","parts":[{"text":"Oi"}]})"));
  CHECK(contents[1] == json::parse(R"({"role":"model","parts":[{"text":"Olá! Envie fotos."}]})"));
  CHECK(contents[2]["role"] == "user");
  const json& parts = contents[2]["parts"];
  REQUIRE(parts.size() == 3);
  CHECK(parts[0] == json::parse(R"({"inlineData":{"mimeType":"image/png","data":"iVBORw=="}})"));
  CHECK(parts[1] == json::parse(R"({"inlineData":{"mimeType":"image/jpeg","data":"/9j/4AAQ"}})"));
  CHECK(parts[2] == json::parse(R"({"text":"Aqui está a cozinha"})"));
  const json& generation = body["generationConfig"];
  CHECK(generation["maxOutputTokens"] == 512);
  CHECK(generation["temperature"] == 0.2);
  CHECK(generation["responseMimeType"] == "application/json");
  CHECK(generation["responseJsonSchema"] == label_schema);
  CHECK(body.size() == 3);
}

TEST_CASE("the Gemini body leaves out what was not asked for") {
  json body = gemini::request_body(user_says("hello"));
  CHECK(body == json::parse(R"({"contents":[{"role":"user","parts":[{"text":"hello"}]}]})"));

  // Images with a history that ends on a model turn go in a user turn of their own, since
  // Gemini refuses a request that ends with the model.
  ai_request request;
  request.history.push_back({role::model, "Send a photo", {}});
  request.images.push_back({"image/webp", "", "UklGRg=="});
  body = gemini::request_body(request);
  REQUIRE(body["contents"].size() == 2);
  CHECK(
      body["contents"][1] ==
      json::parse(
          R"({"role":"user","parts":[{"inlineData":{"mimeType":"image/webp","data":"UklGRg=="}}]})"));
}

TEST_CASE("a Gemini STOP answer gives text, usage with thinking, and the serving model") {
  auto answer = parse(200, text_answer);
  CHECK(answer.status == outcome::ok);
  CHECK(answer.failure == error_kind::none);
  CHECK(answer.text == "The note asks the team to freeze the API on Friday.");
  CHECK(answer.usage.input == 38);
  CHECK(answer.usage.output == 47);
  CHECK(answer.usage.thinking == 212);
  CHECK(answer.model == "gemini-3.8-flash");
  CHECK(answer.finish_reason == "STOP");
  CHECK(answer.http_status == 200);
  CHECK_FALSE(answer.structured);
}

TEST_CASE("Gemini JSON output is parsed a second time from the text") {
  auto answer = parse(200, json_answer, label_schema);
  REQUIRE(answer.status == outcome::ok);
  REQUIRE(answer.structured);
  CHECK((*answer.structured)["label"] == "cat");
  CHECK((*answer.structured)["objects"].size() == 3);
  CHECK(answer.model == "gemini-2.5-flash-lite");
  CHECK(answer.usage.input == 271);
  CHECK(answer.usage.thinking == 0);

  json broken = json::parse(json_answer);
  broken["candidates"][0]["content"]["parts"][0]["text"] = "{\"label\":\"cat\",";
  auto bad = parse(200, broken.dump(), label_schema);
  CHECK(bad.status == outcome::error);
  CHECK(bad.failure == error_kind::invalid_output);
  CHECK_FALSE(bad.structured);
  CHECK(bad.usage.input == 271);  // the tokens were spent all the same
}

TEST_CASE("Gemini thought parts are skipped and the other parts joined") {
  json body = json::parse(text_answer);
  body["candidates"][0]["content"]["parts"] = json::parse(
      R"([{"text":"Let me think about it...","thought":true},{"text":"Part one. "},{"text":"Part two."}])");
  CHECK(parse(200, body.dump()).text == "Part one. Part two.");
}

TEST_CASE("every Gemini finishReason maps to ok, truncated, blocked or error") {
  CHECK(parse(200, with_finish("STOP")).status == outcome::ok);
  auto truncated = parse(200, with_finish("MAX_TOKENS"));
  CHECK(truncated.status == outcome::truncated);
  CHECK(truncated.finish_reason == "MAX_TOKENS");
  CHECK_FALSE(truncated.text.empty());

  for (const char* reason : {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII",
                             "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION"}) {
    CAPTURE(reason);
    auto blocked = parse(200, with_finish(reason));
    CHECK(blocked.status == outcome::blocked);
    CHECK(blocked.block_reason == reason);
    CHECK(blocked.failure == error_kind::none);
  }
  for (const char* reason :
       {"MALFORMED_FUNCTION_CALL", "UNEXPECTED_TOOL_CALL", "TOO_MANY_TOOL_CALLS", "OTHER",
        "IMAGE_OTHER", "NO_IMAGE", "FINISH_REASON_UNSPECIFIED"}) {
    CAPTURE(reason);
    auto failed = parse(200, with_finish(reason));
    CHECK(failed.status == outcome::error);
    CHECK(failed.failure == error_kind::retryable);
    CHECK(failed.error_message.find(reason) != std::string::npos);
  }
  auto language = parse(200, with_finish("LANGUAGE"));
  CHECK(language.status == outcome::error);
  CHECK(language.failure == error_kind::invalid_request);
}

TEST_CASE("a Gemini truncated answer is not parsed as structured output") {
  json body = json::parse(json_answer);
  body["candidates"][0]["finishReason"] = "MAX_TOKENS";
  body["candidates"][0]["content"]["parts"][0]["text"] = "{\"label\":\"ca";
  auto answer = parse(200, body.dump(), label_schema);
  CHECK(answer.status == outcome::truncated);
  CHECK(answer.failure == error_kind::none);
}

TEST_CASE("a Gemini prompt block arrives as 200 with no candidates and is blocked") {
  for (const char* reason :
       {"SAFETY", "OTHER", "BLOCKLIST", "PROHIBITED_CONTENT", "IMAGE_SAFETY"}) {
    CAPTURE(reason);
    json body = {{"promptFeedback",
                  {{"blockReason", reason},
                   {"safetyRatings", json::parse(R"([{"category":"HARM_CATEGORY_HARASSMENT",
                                                      "probability":"HIGH"}])")}}},
                 {"usageMetadata", {{"promptTokenCount", 12}, {"totalTokenCount", 12}}},
                 {"modelVersion", "gemini-3.8-flash"}};
    auto answer = parse(200, body.dump());
    CHECK(answer.status == outcome::blocked);
    CHECK(answer.block_reason == reason);
    CHECK(answer.usage.input == 12);
    CHECK(answer.text.empty());
  }
}

TEST_CASE("a Gemini 200 without candidates or with an unreadable body is a retryable error") {
  auto empty = parse(200, R"({"candidates":[],"modelVersion":"gemini-3.8-flash"})");
  CHECK(empty.status == outcome::error);
  CHECK(empty.failure == error_kind::retryable);
  auto html = parse(200, "<html>proxy error</html>");
  CHECK(html.status == outcome::error);
  CHECK(html.failure == error_kind::retryable);
  CHECK(html.error_message.find("<html>") != std::string::npos);
}

TEST_CASE("a Gemini per-minute 429 is rate_limited after its RetryInfo retryDelay") {
  auto answer = parse(429, per_minute_429);
  CHECK(answer.status == outcome::error);
  CHECK(answer.failure == error_kind::rate_limited);
  CHECK(answer.retry_after == milliseconds(37000));
  CHECK(answer.http_status == 429);
  CHECK(answer.error_message.find("RESOURCE_EXHAUSTED") != std::string::npos);

  json fractional = json::parse(per_minute_429);
  fractional["error"]["details"][1]["retryDelay"] = "1.5s";
  CHECK(parse(429, fractional.dump()).retry_after == milliseconds(1500));

  // Without RetryInfo, a Retry-After header is the next best thing.
  json bare = json::parse(per_minute_429);
  bare["error"]["details"].erase(1);
  auto r = reply(429, bare.dump());
  r.headers.emplace_back("retry-after", "12");
  CHECK(gemini::parse_reply(r, "m", std::nullopt, 0).retry_after == milliseconds(12000));
}

TEST_CASE("a Gemini 429 on a per-day quota waits for the reset at midnight Pacific") {
  json body = json::parse(per_minute_429);
  body["error"]["details"][0]["violations"][0]["quotaId"] =
      "GenerateRequestsPerDayPerProjectPerModel-FreeTier";
  // 2026-11-25T20:00:00Z is 12:00 PST, so the reset is 12 hours away.
  auto now = *aibud::time::parse_iso8601("2026-11-25T20:00:00Z");
  auto answer = gemini::parse_reply(reply(429, body.dump()), "m", std::nullopt, now);
  CHECK(answer.status == outcome::error);
  CHECK(answer.failure == error_kind::daily_quota);
  CHECK(answer.retry_after == std::chrono::hours(12));
}

TEST_CASE("midnight Pacific follows daylight saving time") {
  auto at = [](const char* iso) { return *aibud::time::parse_iso8601(iso); };
  // Summer (PDT, UTC-7): 2026-07-01T06:30Z is 23:30 on June 30 in California.
  CHECK(gemini::until_pacific_midnight(at("2026-07-01T06:30:00Z")) == std::chrono::minutes(30));
  // Winter (PST, UTC-8): 07:30Z is 23:30 the day before.
  CHECK(gemini::until_pacific_midnight(at("2026-01-15T07:30:00Z")) == std::chrono::minutes(30));
  CHECK(gemini::until_pacific_midnight(at("2026-01-15T08:00:00Z")) == std::chrono::hours(24));
}

TEST_CASE("Gemini durations are seconds with an optional fraction") {
  CHECK(gemini::parse_duration("37s") == milliseconds(37000));
  CHECK(gemini::parse_duration("1.5s") == milliseconds(1500));
  CHECK(gemini::parse_duration("0.250s") == milliseconds(250));
  CHECK(gemini::parse_duration("0s") == milliseconds(0));
  CHECK_FALSE(gemini::parse_duration("37"));
  CHECK_FALSE(gemini::parse_duration("s"));
  CHECK_FALSE(gemini::parse_duration("1.s"));
  CHECK_FALSE(gemini::parse_duration("-3s"));
  CHECK_FALSE(gemini::parse_duration("abc"));
}

TEST_CASE("Gemini error statuses map to what the runtime does next") {
  struct expectation {
    int code;
    const char* status;
    error_kind kind;
  };
  for (const auto& e : {expectation{400, "INVALID_ARGUMENT", error_kind::invalid_request},
                        expectation{400, "FAILED_PRECONDITION", error_kind::invalid_request},
                        expectation{402, "RESOURCE_EXHAUSTED", error_kind::unauthorized},
                        expectation{403, "PERMISSION_DENIED", error_kind::unauthorized},
                        expectation{404, "NOT_FOUND", error_kind::not_found},
                        expectation{408, "DEADLINE_EXCEEDED", error_kind::retryable},
                        expectation{499, "CANCELLED", error_kind::retryable},
                        expectation{500, "INTERNAL", error_kind::retryable},
                        expectation{503, "UNAVAILABLE", error_kind::retryable},
                        expectation{504, "DEADLINE_EXCEEDED", error_kind::retryable}}) {
    CAPTURE(e.code);
    auto answer = parse(e.code, status_error(e.code, e.status, "something went wrong"));
    CHECK(answer.status == outcome::error);
    CHECK(answer.failure == e.kind);
    CHECK(answer.http_status == e.code);
    CHECK(answer.error_message == std::string(e.status) + ": something went wrong");
  }
}

TEST_CASE("a Gemini bad key is unauthorized although it comes as 400") {
  auto body =
      status_error(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.",
                   json::parse(R"([{"@type":"type.googleapis.com/google.rpc.ErrorInfo",
                                            "reason":"API_KEY_INVALID","domain":"googleapis.com",
                                            "metadata":{"service":"generativelanguage.googleapis.com"}}])"));
  auto answer = parse(400, body);
  CHECK(answer.failure == error_kind::unauthorized);
}

TEST_CASE("a Gemini error body of another shape still gives a kind and a message") {
  auto wrapped =
      parse(503, "[" + status_error(503, "UNAVAILABLE", "The model is overloaded.") + "]");
  CHECK(wrapped.failure == error_kind::retryable);
  CHECK(wrapped.error_message == "UNAVAILABLE: The model is overloaded.");
  auto html = parse(502, "<html>Bad Gateway</html>");
  CHECK(html.failure == error_kind::retryable);
  CHECK(html.error_message == "<html>Bad Gateway</html>");
  auto empty = parse(404, "");
  CHECK(empty.failure == error_kind::not_found);
  CHECK(empty.error_message == "HTTP 404");
}

TEST_CASE("a Gemini call with no HTTP answer is a transport failure") {
  http_reply refused;
  refused.transport_error = "Couldn't connect to server";
  auto answer = gemini::parse_reply(refused, "gemini-3.8-flash", label_schema, 0);
  CHECK(answer.status == outcome::error);
  CHECK(answer.failure == error_kind::transport);
  CHECK(answer.error_message == "Couldn't connect to server");
  CHECK(answer.model == "gemini-3.8-flash");

  http_reply slow;
  slow.timed_out = true;
  slow.transport_error = "Operation timed out";
  CHECK(gemini::parse_reply(slow, "m", std::nullopt, 0).error_message == "timed out");
}
