// The second parse of a structured answer: providers return JSON as text, which is parsed
// and checked against the request's schema before the runtime trusts it. Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "adapters/ai/gateway.hpp"

namespace aibud::ai {

// The first way `value` breaks `schema`, as "<path>: <detail>" (path "$" is the root), or
// nullopt when it conforms. Checks the subset of JSON Schema that both Gemini and OpenAI
// structured outputs use: type (one or a list), properties, required, items, enum, and
// additionalProperties false. Unknown keywords are ignored rather than failed.
std::optional<std::string> schema_violation(const nlohmann::json& schema,
                                            const nlohmann::json& value);

// Parses model text as JSON, tolerating a Markdown code fence around it (local models add
// one even when asked for JSON). nullopt when it is not JSON.
std::optional<nlohmann::json> parse_model_json(std::string_view text);

// When `schema` is set and `response` is ok: fills `structured`, or turns the response into
// an error of kind invalid_output naming the problem. Leaves other responses as they are.
void apply_structured_output(ai_response& response, const std::optional<nlohmann::json>& schema);

}  // namespace aibud::ai
