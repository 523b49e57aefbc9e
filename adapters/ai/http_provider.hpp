// What the Gemini and OpenAI-compatible providers share: a codec over an injected HTTP
// transport. When the model is not found and a fallback model is configured, it asks the
// fallback once; the response's `model` says which one answered.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "adapters/ai/gateway.hpp"
#include "base/http_call.hpp"

namespace aibud::ai {

class http_provider : public provider {
 public:
  // One API's wire format. `build_call` may throw std::exception for a request that cannot
  // be sent (it then fails as invalid_request); `parse_reply` reads the reply to `request`.
  struct codec {
    std::function<http_call(const ai_request& request)> build_call;
    std::function<ai_response(const http_reply& reply, const ai_request& request)> parse_reply;
    std::string model;           // when the request names none
    std::string fallback_model;  // "" → none
  };

  void generate(ai_request request, callback done) final;

  struct shared;

 protected:
  // REQUIRES: `transport` is callable from any thread and outlives every call in flight.
  http_provider(codec wire, http_transport transport);

 private:
  std::shared_ptr<const shared> shared_;  // also held by calls in flight
};

}  // namespace aibud::ai
