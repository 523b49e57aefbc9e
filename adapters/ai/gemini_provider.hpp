// The Gemini provider: gemini_codec over an injected HTTP transport, with the model
// fallback of http_provider.
#pragma once

#include <string>

#include "adapters/ai/gemini_codec.hpp"
#include "adapters/ai/http_provider.hpp"

namespace aibud::ai {

class gemini_provider final : public http_provider {
 public:
  // REQUIRES: `transport` is callable from any thread and outlives every call in flight.
  gemini_provider(gemini::settings config, http_transport transport);

  std::string name() const override { return "gemini"; }
};

}  // namespace aibud::ai
