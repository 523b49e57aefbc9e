// The one interface between the runtime and an AI model (ARCHITECTURE §5 adapters/ai): a
// request as plain data, a response that says what happened in terms the runtime acts on
// (answer, blocked, truncated, or which kind of failure), and `provider`, implemented by
// the Gemini, OpenAI-compatible and offline providers. No provider holds business rules.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace aibud::ai {

enum class task_kind { classify, reply, vision };
std::string_view to_string(task_kind kind);

// An image sent to the model. Exactly one of `bytes` (raw) and `base64` (standard
// alphabet, no "data:" prefix) is expected to be set; the accessors convert as needed.
struct image {
  std::string mime_type = "image/jpeg";
  std::string bytes;
  std::string base64;

  // The base64 text of the image ("" when neither field is set).
  std::string as_base64() const;
  // The raw bytes; nullopt when `base64` is set but is not valid base64.
  std::optional<std::string> as_bytes() const;
};

enum class role { user, model };
std::string_view to_string(role r);

struct turn {
  role speaker = role::user;
  std::string text;
  std::vector<image> images;  // shown to the model before the turn's text
};

struct ai_request {
  std::string system_prompt;  // "" → none
  // The conversation, oldest first. The last turn is the user message being answered;
  // providers add `images` to it (or a user turn of their own when the last turn is not
  // the user's), because Gemini refuses requests that end with a model turn.
  std::vector<turn> history;
  std::vector<image> images;
  // When set, the model is asked for JSON matching this JSON Schema and the answer's text is
  // parsed and checked into ai_response::structured.
  std::optional<nlohmann::json> json_schema;
  std::string model;  // "" → the provider's default model
  // Asked once, at once, when `model` is not found (HTTP 404); "" → the provider's own
  // fallback model. model_router fills both per tenant.
  std::string fallback_model;
  int max_output_tokens = 0;          // 0 → the model's default
  std::optional<double> temperature;  // unset → not sent (newer Gemini models reject it)
  task_kind kind = task_kind::reply;
};

enum class outcome {
  ok,         // text (and structured, when a schema was given) is the answer
  blocked,    // refused for safety/policy: not retryable as is; see block_reason
  truncated,  // the output limit cut the answer: text is partial
  error,      // no answer; see error_kind
};
std::string_view to_string(outcome o);

enum class error_kind {
  none,
  retryable,        // 5xx, 408, an empty or unreadable answer: retry with backoff
  rate_limited,     // 429 per-minute limits: retry after `retry_after` (0: unknown, back off)
  daily_quota,      // a per-day quota is spent: wait `retry_after` (until the quota resets)
  not_found,        // the model does not exist: use a fallback model
  invalid_request,  // 400 and other 4xx: the request can never succeed as sent
  unauthorized,     // bad key, no permission, or the account has no credit: operator action
  transport,        // no HTTP answer (connection refused, timeout, TLS): retry with backoff
  invalid_output,   // the model's text is not JSON matching the schema
};
std::string_view to_string(error_kind kind);

// Whether a failure of this kind may succeed if the same request is sent again later.
bool is_retryable(error_kind kind);

struct token_usage {
  std::int64_t input = 0;     // prompt tokens, images and cached tokens included
  std::int64_t output = 0;    // answer tokens, thinking excluded
  std::int64_t thinking = 0;  // reasoning tokens (billed as output by every provider)
};

struct ai_response {
  outcome status = outcome::ok;
  error_kind failure = error_kind::none;  // none unless status is error
  std::string text;
  std::optional<nlohmann::json> structured;
  token_usage usage;
  std::string model;          // the model that answered (modelVersion when reported)
  std::string block_reason;   // e.g. "SAFETY", "content_filter", "refusal"
  std::string finish_reason;  // as the provider spelled it: "STOP", "length", ...
  std::chrono::milliseconds retry_after{0};
  int http_status = 0;        // 0 when no HTTP exchange happened
  std::string error_message;  // upstream's message or ours; never holds a key
};

// A model behind one interface. Implementations are thread-safe: `generate` may be called
// from any thread, any number of times concurrently.
class provider {
 public:
  using callback = std::function<void(ai_response)>;

  virtual ~provider() = default;

  // Answers `request` by calling `done` exactly once, possibly before returning (offline) or
  // later on the HTTP transport's thread (network providers); `done` must not block. Never
  // throws: every failure arrives as an ai_response with status error.
  virtual void generate(ai_request request, callback done) = 0;

  // "gemini", "openai" or "offline".
  virtual std::string name() const = 0;
};

}  // namespace aibud::ai
