// The Gemini provider: gemini_codec over an injected HTTP transport. When the model is not
// found and a fallback model is configured, it asks the fallback once; the response's
// `model` says which one answered.
#pragma once

#include <memory>
#include <string>

#include "adapters/ai/gateway.hpp"
#include "adapters/ai/gemini_codec.hpp"
#include "base/http_call.hpp"

namespace aibud::ai {

class gemini_provider final : public provider {
 public:
  // REQUIRES: `transport` is callable from any thread and outlives every call in flight.
  gemini_provider(gemini::settings config, http_transport transport);

  void generate(ai_request request, callback done) override;
  std::string name() const override { return "gemini"; }

  struct shared;

 private:
  std::shared_ptr<const shared> shared_;  // also held by calls in flight
};

}  // namespace aibud::ai
