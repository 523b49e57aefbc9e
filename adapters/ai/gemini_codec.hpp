// Gemini generateContent (reference gemini.md §1-4) as pure functions: an ai_request becomes
// an http_call, an http_reply becomes an ai_response. No I/O, never throws. The provider
// (gemini_provider.hpp) only sends what these build.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "adapters/ai/gateway.hpp"
#include "base/http_call.hpp"

namespace aibud::ai::gemini {

struct settings {
  // Scheme and host, with or without a version path: "https://generativelanguage.googleapis.com"
  // gets "/v1beta" appended; a base that already has a path (a proxy, "/v1beta") is kept.
  std::string base_url = "https://generativelanguage.googleapis.com";
  std::string api_key;                     // sent as x-goog-api-key, never in the URL
  std::string model = "gemini-3.8-flash";  // when the request names none
  std::string fallback_model;              // tried once when the model is not found; "" → none
  // Calls in flight at once (ai.max_concurrency); more wait in line, in order.
  std::int64_t max_in_flight = 8;
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds timeout{60000};
};

// POST {base}/v1beta/models/{model}:generateContent ("models/" in `model` is accepted).
std::string endpoint_url(std::string_view base_url, std::string_view model);

// The JSON body: systemInstruction, contents (roles user/model, images as inlineData before
// the text of their turn; request.images go to the last user turn), generationConfig
// (maxOutputTokens when > 0, temperature when set, responseMimeType application/json and
// responseJsonSchema when a schema is given). lowerCamel field names throughout.
nlohmann::json request_body(const ai_request& request);

// The whole call: URL for the request's model (or settings.model), JSON headers with the key,
// the body and the timeouts.
http_call build_call(const ai_request& request, const settings& config);

// Reads an answer:
// - 200: promptFeedback.blockReason → blocked; candidates[0] text (thought parts skipped);
//   finishReason STOP → ok, MAX_TOKENS → truncated, SAFETY, RECITATION, BLOCKLIST,
//   PROHIBITED_CONTENT, SPII and the IMAGE_* safety reasons → blocked, LANGUAGE → error
//   invalid_request, anything else → error retryable; usageMetadata → usage (thinking from
//   thoughtsTokenCount); modelVersion → model (else `requested_model`). With a schema, the
//   text is parsed again (apply_structured_output).
// - errors (google.rpc.Status): 429 with a QuotaFailure whose quotaId says PerDay →
//   daily_quota, waiting until the next midnight Pacific after `now_ms`; other 429 →
//   rate_limited after RetryInfo.retryDelay (or Retry-After); 404 → not_found; 400 with
//   ErrorInfo API_KEY_INVALID, 401, 402 (credit used up), 403 → unauthorized; 408, 499 and
//   5xx → retryable; other 4xx → invalid_request; no HTTP answer → transport.
ai_response parse_reply(const http_reply& reply, std::string_view requested_model,
                        const std::optional<nlohmann::json>& schema, std::int64_t now_ms);

// A google.protobuf.Duration in JSON ("37s", "1.5s", "0.250s"); nullopt when malformed.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// From `now_ms` to the next 00:00 in America/Los_Angeles (when Gemini's daily quotas
// reset), with US daylight-saving rules.
std::chrono::milliseconds until_pacific_midnight(std::int64_t now_ms);

}  // namespace aibud::ai::gemini
