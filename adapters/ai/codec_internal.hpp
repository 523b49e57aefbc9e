// Helpers shared by the Gemini and OpenAI codecs; not part of the adapter's interface.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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

}  // namespace aibud::ai::detail
