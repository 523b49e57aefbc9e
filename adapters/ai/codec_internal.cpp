#include "adapters/ai/codec_internal.hpp"

#include <cctype>
#include <utility>

#include "adapters/ai/structured_output.hpp"

namespace aibud::ai::detail {

using json = nlohmann::json;

std::string without_trailing_slash(std::string_view url) {
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  return std::string(url);
}

bool has_path(std::string_view url) {
  auto scheme = url.find("://");
  auto host_start = scheme == std::string_view::npos ? 0 : scheme + 3;
  auto slash = url.find('/', host_start);
  if (slash == std::string_view::npos) return false;
  return url.find_first_not_of('/', slash) != std::string_view::npos;
}

ai_response failure(error_kind kind, int http_status, std::string message) {
  ai_response response;
  response.status = outcome::error;
  response.failure = kind;
  response.http_status = http_status;
  response.error_message = std::move(message);
  return response;
}

ai_response transport_failure(const http_reply& reply) {
  std::string message = reply.timed_out ? "timed out" : reply.transport_error;
  if (message.empty()) message = "no answer";
  return failure(error_kind::transport, 0, std::move(message));
}

std::optional<std::chrono::milliseconds> retry_after_header(const http_reply& reply) {
  auto all_digits = [](const std::string& text) {
    if (text.empty() || text.size() > 12) return false;
    for (char c : text)
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    return true;
  };
  if (auto ms = reply.header("retry-after-ms"); all_digits(ms))
    return std::chrono::milliseconds(std::stoll(ms));
  if (auto seconds = reply.header("retry-after"); all_digits(seconds))
    return std::chrono::seconds(std::stoll(seconds));
  return std::nullopt;
}

std::int64_t count_at(const json& object, const char* name) {
  if (!object.is_object()) return 0;
  auto it = object.find(name);
  if (it == object.end() || !it->is_number()) return 0;
  auto value = it->get<double>();
  return value > 0 ? static_cast<std::int64_t>(value) : 0;
}

std::string string_at(const json& object, const char* name) {
  if (!object.is_object()) return {};
  auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

std::string excerpt(std::string_view body) {
  constexpr std::size_t limit = 300;
  if (body.size() <= limit) return std::string(body);
  return std::string(body.substr(0, limit)) + "...";
}

void for_each_turn(const ai_request& request, const emit_turn& emit) {
  for (const auto& turn : request.history) {
    bool last = &turn == &request.history.back();
    if (last && turn.speaker == role::user && !request.images.empty()) {
      auto images = turn.images;
      images.insert(images.end(), request.images.begin(), request.images.end());
      emit(role::user, images, turn.text);
    } else {
      emit(turn.speaker, turn.images, turn.text);
    }
  }
  bool ends_with_user = !request.history.empty() && request.history.back().speaker == role::user;
  if (!ends_with_user && !request.images.empty()) emit(role::user, request.images, "");
}

http_call json_post(std::string url, const json& body, std::chrono::milliseconds connect_timeout,
                    std::chrono::milliseconds timeout) {
  http_call call;
  call.method = "POST";
  call.url = std::move(url);
  call.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
  // A message with broken UTF-8 must not cost the whole request.
  call.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  call.connect_timeout = connect_timeout;
  call.timeout = timeout;
  return call;
}

ai_response read_reply(const http_reply& reply, std::string_view requested_model,
                       const std::optional<json>& schema,
                       const std::function<ai_response()>& success,
                       const std::function<ai_response()>& error) {
  ai_response response;
  if (reply.status == 0)
    response = transport_failure(reply);
  else if (reply.status >= 200 && reply.status < 300)
    response = success();
  else
    response = error();
  if (response.model.empty()) response.model = std::string(requested_model);
  apply_structured_output(response, schema);
  return response;
}

}  // namespace aibud::ai::detail
