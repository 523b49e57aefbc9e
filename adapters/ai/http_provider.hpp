// What the Gemini and OpenAI-compatible providers share: a codec over an injected HTTP
// transport, a cap on the calls in flight, and the model fallback. When the model is not
// found, it asks the request's fallback model (else the codec's) once, at once; the
// response's `model` says which one answered.
#pragma once

#include <cstdint>
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
    std::string fallback_model;  // when the request names none; "" → none
    // HTTP calls in flight at once (values below 1 count as 1); the others wait in line and
    // start, in order, as earlier ones answer. A fallback call queues like any other.
    std::int64_t max_in_flight = 8;
  };

  void generate(ai_request request, callback done) final;

  // Calls sent and not yet answered, and calls waiting for a slot.
  std::int64_t in_flight() const;
  std::int64_t waiting() const;

  struct shared;

 protected:
  // REQUIRES: `transport` is callable from any thread and outlives every call in flight.
  http_provider(codec wire, http_transport transport);

 private:
  std::shared_ptr<shared> shared_;  // also held by calls in flight
};

}  // namespace aibud::ai
