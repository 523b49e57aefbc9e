// Helpers shared by the Gemini and OpenAI codecs; not part of the adapter's interface.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "adapters/ai/gateway.hpp"
#include "base/http_call.hpp"

namespace aibud::ai::detail {

// `url` without trailing slashes.
std::string without_trailing_slash(std::string_view url);

// Whether "scheme://host[:port]/..." has a path beyond "/".
bool has_path(std::string_view url);

// An error response of `kind` with the reply's status and `message`.
ai_response failure(error_kind kind, int http_status, std::string message);

// The response for a reply that carries no HTTP answer (status 0).
ai_response transport_failure(const http_reply& reply);

// The Retry-After header in seconds (an HTTP date is ignored), or retry-after-ms.
std::optional<std::chrono::milliseconds> retry_after_header(const http_reply& reply);

// A non-negative integer member, 0 when absent or of another type.
std::int64_t count_at(const nlohmann::json& object, const char* name);

// A string member, "" when absent or of another type.
std::string string_at(const nlohmann::json& object, const char* name);

// The first 300 bytes of an unexpected body, for an error message.
std::string excerpt(std::string_view body);

// Calls `emit` for each turn to send, oldest first: the history, with `request.images` after
// the last turn's own images when that turn is the user's, else as a user turn of their own
// (text "") at the end.
using emit_turn =
    std::function<void(role speaker, const std::vector<image>& images, const std::string& text)>;
void for_each_turn(const ai_request& request, const emit_turn& emit);

// A POST of `body` to `url` with JSON Content-Type and Accept headers and the timeouts.
// Invalid UTF-8 in the body is replaced rather than thrown on.
http_call json_post(std::string url, const nlohmann::json& body,
                    std::chrono::milliseconds connect_timeout, std::chrono::milliseconds timeout);

// The response to `reply`: no HTTP answer → transport_failure, 2xx → `success()`, else
// `error()`; then `model` defaults to `requested_model` and, with a schema, the text is
// checked (apply_structured_output).
ai_response read_reply(const http_reply& reply, std::string_view requested_model,
                       const std::optional<nlohmann::json>& schema,
                       const std::function<ai_response()>& success,
                       const std::function<ai_response()>& error);

}  // namespace aibud::ai::detail
