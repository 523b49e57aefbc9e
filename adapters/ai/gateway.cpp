#include "adapters/ai/gateway.hpp"

#include "base/crypto.hpp"

namespace aibud::ai {

std::string_view to_string(task_kind kind) {
  switch (kind) {
    case task_kind::classify:
      return "classify";
    case task_kind::reply:
      return "reply";
    case task_kind::vision:
      return "vision";
  }
  return "reply";
}

std::string_view to_string(role r) {
  return r == role::model ? "model" : "user";
}

std::string_view to_string(outcome o) {
  switch (o) {
    case outcome::ok:
      return "ok";
    case outcome::blocked:
      return "blocked";
    case outcome::truncated:
      return "truncated";
    case outcome::error:
      return "error";
  }
  return "error";
}

std::string_view to_string(error_kind kind) {
  switch (kind) {
    case error_kind::none:
      return "none";
    case error_kind::retryable:
      return "retryable";
    case error_kind::rate_limited:
      return "rate_limited";
    case error_kind::daily_quota:
      return "daily_quota";
    case error_kind::not_found:
      return "not_found";
    case error_kind::invalid_request:
      return "invalid_request";
    case error_kind::unauthorized:
      return "unauthorized";
    case error_kind::transport:
      return "transport";
    case error_kind::invalid_output:
      return "invalid_output";
  }
  return "retryable";
}

bool is_retryable(error_kind kind) {
  switch (kind) {
    case error_kind::retryable:
    case error_kind::rate_limited:
    case error_kind::daily_quota:
    case error_kind::transport:
    // A model asked again often does produce valid JSON the second time.
    case error_kind::invalid_output:
      return true;
    default:
      return false;
  }
}

std::string image::as_base64() const {
  if (!base64.empty()) return base64;
  return crypto::base64(bytes);
}

std::optional<std::string> image::as_bytes() const {
  if (base64.empty()) return bytes;
  return crypto::base64_decode(base64);
}

}  // namespace aibud::ai
