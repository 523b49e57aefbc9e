#include "adapters/ai/gemini_codec.hpp"

#include <array>
#include <cctype>
#include <cmath>

#include "adapters/ai/codec_internal.hpp"
#include "base/time.hpp"

namespace aibud::ai::gemini {
namespace {

using json = nlohmann::json;
using std::chrono::milliseconds;

json image_part(const image& picture) {
  return {{"inlineData", {{"mimeType", picture.mime_type}, {"data", picture.as_base64()}}}};
}

json content_of(role speaker, const std::vector<image>& images, const std::string& text) {
  json parts = json::array();
  // Google's guidance: images before the text that refers to them.
  for (const auto& picture : images) parts.push_back(image_part(picture));
  if (!text.empty() || parts.empty()) parts.push_back({{"text", text}});
  return {{"role", std::string(to_string(speaker))}, {"parts", std::move(parts)}};
}

bool is_safety_reason(const std::string& reason) {
  static const std::array<const char*, 8> blocked = {"SAFETY",
                                                     "RECITATION",
                                                     "BLOCKLIST",
                                                     "PROHIBITED_CONTENT",
                                                     "SPII",
                                                     "IMAGE_SAFETY",
                                                     "IMAGE_PROHIBITED_CONTENT",
                                                     "IMAGE_RECITATION"};
  for (const char* name : blocked)
    if (reason == name) return true;
  return false;
}

// What a google.rpc.Status error body says, as far as the runtime cares.
struct status_error {
  int code = 0;
  std::string status;
  std::string message;
  std::optional<milliseconds> retry_delay;
  bool per_day = false;
  bool api_key_invalid = false;
};

status_error read_status_error(std::string_view body) {
  status_error out;
  json parsed = json::parse(body, nullptr, false);
  // Some Google front ends wrap the status in a one-element array.
  if (parsed.is_array() && !parsed.empty()) parsed = parsed[0];
  if (!parsed.is_object() || !parsed.contains("error") || !parsed["error"].is_object()) {
    out.message = detail::excerpt(body);
    return out;
  }
  const json& error = parsed["error"];
  out.code = static_cast<int>(detail::count_at(error, "code"));
  out.status = detail::string_at(error, "status");
  out.message = detail::string_at(error, "message");
  auto details = error.find("details");
  if (details == error.end() || !details->is_array()) return out;
  for (const auto& item : *details) {
    auto type = detail::string_at(item, "@type");
    if (type.find("google.rpc.RetryInfo") != std::string::npos) {
      out.retry_delay = parse_duration(detail::string_at(item, "retryDelay"));
    } else if (type.find("google.rpc.QuotaFailure") != std::string::npos) {
      auto violations = item.find("violations");
      if (violations == item.end() || !violations->is_array()) continue;
      for (const auto& violation : *violations) {
        auto quota = detail::string_at(violation, "quotaId");
        if (quota.find("PerDay") != std::string::npos) out.per_day = true;
      }
    } else if (type.find("google.rpc.ErrorInfo") != std::string::npos) {
      if (detail::string_at(item, "reason") == "API_KEY_INVALID") out.api_key_invalid = true;
    }
  }
  return out;
}

ai_response error_response(const http_reply& reply, std::int64_t now_ms) {
  auto error = read_status_error(reply.body);
  std::string message = error.status.empty() ? error.message : error.status + ": " + error.message;
  if (message.empty()) message = "HTTP " + std::to_string(reply.status);
  const int code = reply.status;

  if (code == 429) {
    if (error.per_day) {
      auto response = detail::failure(error_kind::daily_quota, code, std::move(message));
      response.retry_after = until_pacific_midnight(now_ms);
      return response;
    }
    auto response = detail::failure(error_kind::rate_limited, code, std::move(message));
    if (error.retry_delay)
      response.retry_after = *error.retry_delay;
    else if (auto header = detail::retry_after_header(reply))
      response.retry_after = *header;
    return response;
  }
  if (code == 404) return detail::failure(error_kind::not_found, code, std::move(message));
  if (code == 401 || code == 402 || code == 403 || (code == 400 && error.api_key_invalid))
    return detail::failure(error_kind::unauthorized, code, std::move(message));
  if (code == 408 || code == 499 || code >= 500) {
    auto response = detail::failure(error_kind::retryable, code, std::move(message));
    if (auto header = detail::retry_after_header(reply)) response.retry_after = *header;
    return response;
  }
  return detail::failure(error_kind::invalid_request, code, std::move(message));
}

ai_response success_response(const http_reply& reply, std::string_view requested_model) {
  json body = json::parse(reply.body, nullptr, false);
  if (!body.is_object())
    return detail::failure(error_kind::retryable, reply.status,
                           "unreadable generateContent answer: " + detail::excerpt(reply.body));

  ai_response response;
  response.http_status = reply.status;
  response.model = detail::string_at(body, "modelVersion");
  if (response.model.empty()) response.model = std::string(requested_model);
  if (auto usage = body.find("usageMetadata"); usage != body.end()) {
    response.usage.input = detail::count_at(*usage, "promptTokenCount");
    response.usage.output = detail::count_at(*usage, "candidatesTokenCount");
    response.usage.thinking = detail::count_at(*usage, "thoughtsTokenCount");
  }

  if (auto feedback = body.find("promptFeedback"); feedback != body.end()) {
    auto reason = detail::string_at(*feedback, "blockReason");
    if (!reason.empty() && reason != "BLOCK_REASON_UNSPECIFIED") {
      response.status = outcome::blocked;
      response.block_reason = reason;
      return response;
    }
  }

  auto candidates = body.find("candidates");
  if (candidates == body.end() || !candidates->is_array() || candidates->empty()) {
    response.status = outcome::error;
    response.failure = error_kind::retryable;
    response.error_message = "generateContent answered no candidates";
    return response;
  }
  const json& candidate = (*candidates)[0];
  if (auto content = candidate.find("content"); content != candidate.end()) {
    if (auto parts = content->find("parts"); parts != content->end() && parts->is_array()) {
      for (const auto& part : *parts) {
        if (part.value("thought", false)) continue;
        response.text += detail::string_at(part, "text");
      }
    }
  }

  response.finish_reason = detail::string_at(candidate, "finishReason");
  const auto& reason = response.finish_reason;
  if (reason == "STOP" || (reason.empty() && !response.text.empty())) {
    response.status = outcome::ok;
  } else if (reason == "MAX_TOKENS") {
    response.status = outcome::truncated;
  } else if (is_safety_reason(reason)) {
    response.status = outcome::blocked;
    response.block_reason = reason;
  } else {
    response.status = outcome::error;
    response.failure = reason == "LANGUAGE" ? error_kind::invalid_request : error_kind::retryable;
    response.error_message = "finishReason " + (reason.empty() ? std::string("missing") : reason);
    auto detail_message = detail::string_at(candidate, "finishMessage");
    if (!detail_message.empty()) response.error_message += ": " + detail_message;
  }
  return response;
}

int weekday(std::int64_t days) {  // 0 = Sunday; 1970-01-01 was a Thursday
  return static_cast<int>(((days + 4) % 7 + 7) % 7);
}

// The nth (1-based) Sunday of a month, as days since the epoch.
std::int64_t nth_sunday(int year, int month, int n) {
  auto first = time::days_from_civil({year, month, 1});
  return first + (7 - weekday(first)) % 7 + 7 * (n - 1);
}

// Pacific time's offset from UTC at `ms`: -7 h from the second Sunday of March 02:00 PST
// to the first Sunday of November 02:00 PDT, else -8 h.
std::int64_t pacific_offset_ms(std::int64_t ms) {
  constexpr std::int64_t hour = 3600 * 1000;
  constexpr std::int64_t day = 24 * hour;
  int year = time::utc_date(ms - 8 * hour).year;
  auto dst_start = nth_sunday(year, 3, 2) * day + 10 * hour;  // 02:00 PST = 10:00 UTC
  auto dst_end = nth_sunday(year, 11, 1) * day + 9 * hour;    // 02:00 PDT = 09:00 UTC
  return ms >= dst_start && ms < dst_end ? -7 * hour : -8 * hour;
}

}  // namespace

std::string endpoint_url(std::string_view base_url, std::string_view model) {
  std::string base = detail::without_trailing_slash(base_url);
  if (!detail::has_path(base)) base += "/v1beta";
  if (model.substr(0, 7) == "models/") model.remove_prefix(7);
  return base + "/models/" + std::string(model) + ":generateContent";
}

json request_body(const ai_request& request) {
  json contents = json::array();
  detail::for_each_turn(request, [&](role speaker, const auto& images, const auto& text) {
    contents.push_back(content_of(speaker, images, text));
  });
  // Gemini refuses a request without contents.
  if (contents.empty()) contents.push_back(content_of(role::user, {}, ""));

  json body = {{"contents", std::move(contents)}};
  if (!request.system_prompt.empty())
    body["systemInstruction"] = {{"parts", json::array({{{"text", request.system_prompt}}})}};

  json generation = json::object();
  if (request.max_output_tokens > 0) generation["maxOutputTokens"] = request.max_output_tokens;
  if (request.temperature) generation["temperature"] = *request.temperature;
  if (request.json_schema) {
    generation["responseMimeType"] = "application/json";
    generation["responseJsonSchema"] = *request.json_schema;
  }
  if (!generation.empty()) body["generationConfig"] = std::move(generation);
  return body;
}

http_call build_call(const ai_request& request, const settings& config) {
  auto call = detail::json_post(
      endpoint_url(config.base_url, request.model.empty() ? config.model : request.model),
      request_body(request), config.connect_timeout, config.timeout);
  if (!config.api_key.empty()) call.headers.emplace_back("x-goog-api-key", config.api_key);
  return call;
}

ai_response parse_reply(const http_reply& reply, std::string_view requested_model,
                        const std::optional<json>& schema, std::int64_t now_ms) {
  return detail::read_reply(
      reply, requested_model, schema, [&] { return success_response(reply, requested_model); },
      [&] { return error_response(reply, now_ms); });
}

std::optional<milliseconds> parse_duration(std::string_view text) {
  if (text.size() < 2 || text.back() != 's') return std::nullopt;
  text.remove_suffix(1);
  std::int64_t whole = 0;
  std::size_t i = 0;
  for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
    if (whole > 1'000'000'000) return std::nullopt;
    whole = whole * 10 + (text[i] - '0');
  }
  if (i == 0) return std::nullopt;
  std::int64_t fraction_ms = 0;
  if (i < text.size()) {
    if (text[i] != '.' || i + 1 == text.size()) return std::nullopt;
    std::int64_t scale = 100;
    for (++i; i < text.size(); ++i) {
      if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
      fraction_ms += (text[i] - '0') * scale;
      scale /= 10;
    }
  }
  return milliseconds(whole * 1000 + fraction_ms);
}

milliseconds until_pacific_midnight(std::int64_t now_ms) {
  constexpr std::int64_t day = 24 * 3600 * 1000;
  auto next_midnight_utc = [&](std::int64_t offset) {
    auto local = now_ms + offset;
    auto local_days = local >= 0 ? local / day : (local - day + 1) / day;
    return (local_days + 1) * day - offset;
  };
  auto offset = pacific_offset_ms(now_ms);
  auto reset = next_midnight_utc(offset);
  // Across a daylight-saving switch the next midnight has the other offset.
  auto offset_then = pacific_offset_ms(reset);
  if (offset_then != offset) reset = next_midnight_utc(offset_then);
  return milliseconds(reset - now_ms);
}

}  // namespace aibud::ai::gemini
