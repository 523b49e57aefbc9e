// Helpers for the AI adapter tests: requests built in one line, and a synchronous call.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

#include "adapters/ai/gateway.hpp"

namespace aibud::ai::testing {

inline ai_request user_says(std::string text, task_kind kind = task_kind::reply) {
  ai_request request;
  request.kind = kind;
  request.history.push_back({role::user, std::move(text), {}});
  return request;
}

// For providers that answer before generate() returns (offline).
inline ai_response ask_now(provider& model, ai_request request) {
  std::optional<ai_response> answer;
  model.generate(std::move(request), [&answer](ai_response r) { answer = std::move(r); });
  if (!answer) throw std::logic_error("the provider did not answer synchronously");
  return std::move(*answer);
}

}  // namespace aibud::ai::testing
