// OpenAI-compatible chat completions (OpenAI, Ollama, llama.cpp server, vLLM, Gemini's
// OpenAI endpoint; reference gemini.md §6) as pure functions: an ai_request becomes an
// http_call, an http_reply becomes an ai_response. No I/O, never throws.
//
// Base URL convention: the one the OpenAI SDKs use, where the base includes the API version
// ("https://api.openai.com/v1", "http://localhost:11434/v1", "http://127.0.0.1:8080/v1",
// "http://localhost:8000/v1", ".../v1beta/openai/"), and the call goes to
// {base}/chat/completions. A base with no path at all ("http://localhost:11434") gets "/v1"
// first, since every server above serves the API there.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "adapters/ai/gateway.hpp"
#include "base/http_call.hpp"

namespace aibud::ai::openai {

struct settings {
  std::string base_url = "https://api.openai.com/v1";
  std::string api_key;         // "" → no Authorization header (local servers)
  std::string model;           // when the request names none; the API requires one
  std::string fallback_model;  // tried once when the model is not found; "" → none
  // Ask for strict schema adherence (OpenAI then requires every property to be required and
  // additionalProperties false in the schema).
  bool strict_schema = true;
  // Calls in flight at once (ai.max_concurrency); more wait in line, in order.
  std::int64_t max_in_flight = 8;
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds timeout{60000};
};

std::string endpoint_url(std::string_view base_url);

// The JSON body: model, messages (system, then user/assistant turns; a turn with images has
// content parts — text, then image_url parts holding data: URLs), max_tokens when > 0,
// temperature when set, stream false, and response_format {type json_schema, json_schema
// {name: the task kind, schema, strict}} when a schema is given.
nlohmann::json request_body(const ai_request& request, const settings& config);

http_call build_call(const ai_request& request, const settings& config);

// Reads an answer:
// - 200: choices[0].message.content; finish_reason stop (or absent) → ok, length →
//   truncated, content_filter → blocked, a message.refusal → blocked ("refusal"), anything
//   else → error retryable; usage prompt_tokens → input, completion_tokens minus
//   completion_tokens_details.reasoning_tokens → output, reasoning_tokens → thinking;
//   `model` → model (else `requested_model`). With a schema, the text is parsed again.
// - errors ({"error":{"message","type","code"}}, or {"error":"text"} from older Ollama):
//   429 → rate_limited after Retry-After / retry-after-ms (insufficient_quota, an empty
//   account, → unauthorized); 401, 403 → unauthorized; 404 → not_found; 408, 409 and 5xx →
//   retryable; other 4xx → invalid_request; no HTTP answer → transport.
ai_response parse_reply(const http_reply& reply, std::string_view requested_model,
                        const std::optional<nlohmann::json>& schema);

}  // namespace aibud::ai::openai
