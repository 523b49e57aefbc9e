#include "adapters/ai/openai_codec.hpp"

#include "adapters/ai/codec_internal.hpp"

namespace aibud::ai::openai {
namespace {

using json = nlohmann::json;

json message_of(role speaker, const std::vector<image>& images, const std::string& text) {
  std::string role_name = speaker == role::model ? "assistant" : "user";
  if (images.empty()) return {{"role", role_name}, {"content", text}};
  json parts = json::array();
  if (!text.empty()) parts.push_back({{"type", "text"}, {"text", text}});
  for (const auto& picture : images) {
    std::string url = "data:" + picture.mime_type + ";base64," + picture.as_base64();
    parts.push_back({{"type", "image_url"}, {"image_url", {{"url", std::move(url)}}}});
  }
  return {{"role", role_name}, {"content", std::move(parts)}};
}

struct api_error {
  std::string message;
  std::string type;
  std::string code;
};

api_error read_api_error(std::string_view body) {
  api_error out;
  json parsed = json::parse(body, nullptr, false);
  if (parsed.is_array() && !parsed.empty()) parsed = parsed[0];
  auto error = parsed.is_object() ? parsed.find("error") : parsed.end();
  if (!parsed.is_object() || error == parsed.end()) {
    out.message = detail::excerpt(body);
  } else if (error->is_string()) {
    out.message = error->get<std::string>();
  } else if (error->is_object()) {
    out.message = detail::string_at(*error, "message");
    out.type = detail::string_at(*error, "type");
    out.code = detail::string_at(*error, "code");
    // Some servers (Gemini's compatibility layer among them) put a number in `code`.
    if (out.code.empty() && error->contains("code") && (*error)["code"].is_number())
      out.code = (*error)["code"].dump();
  }
  return out;
}

ai_response error_response(const http_reply& reply) {
  auto error = read_api_error(reply.body);
  std::string message =
      error.message.empty() ? "HTTP " + std::to_string(reply.status) : error.message;
  if (!error.code.empty()) message = error.code + ": " + message;
  const int code = reply.status;
  bool no_credit = error.code == "insufficient_quota" || error.type == "insufficient_quota";

  if (code == 429 && !no_credit) {
    auto response = detail::failure(error_kind::rate_limited, code, std::move(message));
    if (auto header = detail::retry_after_header(reply)) response.retry_after = *header;
    return response;
  }
  if (code == 401 || code == 403 || no_credit)
    return detail::failure(error_kind::unauthorized, code, std::move(message));
  if (code == 404) return detail::failure(error_kind::not_found, code, std::move(message));
  if (code == 408 || code == 409 || code >= 500) {
    auto response = detail::failure(error_kind::retryable, code, std::move(message));
    if (auto header = detail::retry_after_header(reply)) response.retry_after = *header;
    return response;
  }
  return detail::failure(error_kind::invalid_request, code, std::move(message));
}

std::string content_text(const json& content) {
  if (content.is_string()) return content.get<std::string>();
  std::string text;
  // A few servers answer with content parts, like the request's.
  if (content.is_array())
    for (const auto& part : content) text += detail::string_at(part, "text");
  return text;
}

ai_response success_response(const http_reply& reply, std::string_view requested_model) {
  json body = json::parse(reply.body, nullptr, false);
  if (!body.is_object())
    return detail::failure(error_kind::retryable, reply.status,
                           "unreadable chat completion: " + detail::excerpt(reply.body));
  if (body.contains("error")) return error_response(reply);

  ai_response response;
  response.http_status = reply.status;
  response.model = detail::string_at(body, "model");
  if (response.model.empty()) response.model = std::string(requested_model);
  if (auto usage = body.find("usage"); usage != body.end() && usage->is_object()) {
    response.usage.input = detail::count_at(*usage, "prompt_tokens");
    auto completion = detail::count_at(*usage, "completion_tokens");
    std::int64_t reasoning = 0;
    if (auto details = usage->find("completion_tokens_details"); details != usage->end())
      reasoning = detail::count_at(*details, "reasoning_tokens");
    response.usage.thinking = reasoning;
    response.usage.output = completion > reasoning ? completion - reasoning : 0;
  }

  auto choices = body.find("choices");
  if (choices == body.end() || !choices->is_array() || choices->empty()) {
    response.status = outcome::error;
    response.failure = error_kind::retryable;
    response.error_message = "chat completion answered no choices";
    return response;
  }
  const json& choice = (*choices)[0];
  json message = choice.value("message", json::object());
  if (message.is_object() && message.contains("content"))
    response.text = content_text(message["content"]);
  auto refusal = detail::string_at(message, "refusal");
  response.finish_reason = detail::string_at(choice, "finish_reason");
  const auto& reason = response.finish_reason;

  if (!refusal.empty()) {
    response.status = outcome::blocked;
    response.block_reason = "refusal";
    response.error_message = refusal;
  } else if (reason == "stop" || reason.empty()) {
    response.status = outcome::ok;
  } else if (reason == "length") {
    response.status = outcome::truncated;
  } else if (reason == "content_filter") {
    response.status = outcome::blocked;
    response.block_reason = reason;
  } else {
    response.status = outcome::error;
    response.failure = error_kind::retryable;
    response.error_message = "finish_reason " + reason;
  }
  return response;
}

}  // namespace

std::string endpoint_url(std::string_view base_url) {
  std::string base = detail::without_trailing_slash(base_url);
  if (!detail::has_path(base)) base += "/v1";
  return base + "/chat/completions";
}

json request_body(const ai_request& request, const settings& config) {
  json messages = json::array();
  if (!request.system_prompt.empty())
    messages.push_back({{"role", "system"}, {"content", request.system_prompt}});
  detail::for_each_turn(request, [&](role speaker, const auto& images, const auto& text) {
    messages.push_back(message_of(speaker, images, text));
  });

  json body = {{"model", request.model.empty() ? config.model : request.model},
               {"messages", std::move(messages)},
               {"stream", false}};
  if (request.max_output_tokens > 0) body["max_tokens"] = request.max_output_tokens;
  if (request.temperature) body["temperature"] = *request.temperature;
  if (request.json_schema) {
    body["response_format"] = {{"type", "json_schema"},
                               {"json_schema",
                                {{"name", std::string(to_string(request.kind))},
                                 {"schema", *request.json_schema},
                                 {"strict", config.strict_schema}}}};
  }
  return body;
}

http_call build_call(const ai_request& request, const settings& config) {
  auto call = detail::json_post(endpoint_url(config.base_url), request_body(request, config),
                                config.connect_timeout, config.timeout);
  if (!config.api_key.empty())
    call.headers.emplace_back("Authorization", "Bearer " + config.api_key);
  return call;
}

ai_response parse_reply(const http_reply& reply, std::string_view requested_model,
                        const std::optional<json>& schema) {
  return detail::read_reply(
      reply, requested_model, schema, [&] { return success_response(reply, requested_model); },
      [&] { return error_response(reply); });
}

}  // namespace aibud::ai::openai
