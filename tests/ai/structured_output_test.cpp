#include <doctest/doctest.h>

#include "adapters/ai/structured_output.hpp"

using namespace aibud::ai;
using json = nlohmann::json;

namespace {

const json schema = json::parse(R"({
  "type": "object",
  "properties": {
    "intent": {"type": "string", "enum": ["sell", "buy"]},
    "confidence": {"type": "number"},
    "rooms": {"type": "integer"},
    "tags": {"type": "array", "items": {"type": "string"}}
  },
  "required": ["intent", "confidence"],
  "additionalProperties": false
})");

ai_response ok_with(std::string text) {
  ai_response response;
  response.text = std::move(text);
  return response;
}

}  // namespace

TEST_CASE("a JSON answer that matches the schema becomes the structured output") {
  auto response = ok_with(R"({"intent":"sell","confidence":0.8,"rooms":3.0,"tags":["a"]})");
  apply_structured_output(response, schema);
  CHECK(response.status == outcome::ok);
  REQUIRE(response.structured);
  CHECK((*response.structured)["intent"] == "sell");
}

TEST_CASE("malformed structured output is an invalid_output error, not a crash") {
  for (const char* text : {"", "{\"intent\": \"sell\"", "Sure! Here is the JSON you asked for",
                           "[1,2,3]", "{\"intent\":\"rent\",\"confidence\":1}",
                           "{\"intent\":\"sell\"}", "{\"intent\":\"sell\",\"confidence\":\"high\"}",
                           "{\"intent\":\"sell\",\"confidence\":1,\"extra\":true}",
                           "{\"intent\":\"sell\",\"confidence\":1,\"tags\":[7]}",
                           "{\"intent\":\"sell\",\"confidence\":1,\"rooms\":2.5}"}) {
    CAPTURE(text);
    auto response = ok_with(text);
    apply_structured_output(response, schema);
    CHECK(response.status == outcome::error);
    CHECK(response.failure == error_kind::invalid_output);
    CHECK_FALSE(response.structured);
    CHECK_FALSE(response.error_message.empty());
  }
}

TEST_CASE("schema violations name the path that broke") {
  CHECK(*schema_violation(schema, json::parse(R"({"intent":"sell"})")) == "$.confidence: missing");
  CHECK(*schema_violation(schema, json::parse(R"({"intent":"x","confidence":1})")) ==
        "$.intent: not one of [\"sell\",\"buy\"]");
  CHECK(*schema_violation(schema, json::parse(R"({"intent":"buy","confidence":1,"tags":[1]})")) ==
        "$.tags[0]: expected string");
  // Gemini's OpenAPI spelling of types is understood too.
  CHECK(schema_violation(json::parse(R"({"type":"OBJECT"})"), json::array()));
  CHECK_FALSE(schema_violation(json::parse(R"({"type":["string","null"]})"), nullptr));
}

TEST_CASE("a JSON answer wrapped in a Markdown fence is still read") {
  auto response = ok_with("```json\n{\"intent\":\"buy\",\"confidence\":0.5}\n```\n");
  apply_structured_output(response, schema);
  REQUIRE(response.structured);
  CHECK((*response.structured)["intent"] == "buy");
}

TEST_CASE("responses that are not ok, or have no schema, are left alone") {
  auto truncated = ok_with("{\"intent\":");
  truncated.status = outcome::truncated;
  apply_structured_output(truncated, schema);
  CHECK(truncated.status == outcome::truncated);
  CHECK(truncated.failure == error_kind::none);

  auto plain = ok_with("just text");
  apply_structured_output(plain, std::nullopt);
  CHECK(plain.status == outcome::ok);
  CHECK_FALSE(plain.structured);
}
