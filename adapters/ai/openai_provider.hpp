// The OpenAI-compatible provider (OpenAI, Ollama, llama.cpp server, vLLM): openai_codec over
// an injected HTTP transport, with the model fallback of http_provider.
#pragma once

#include <string>

#include "adapters/ai/http_provider.hpp"
#include "adapters/ai/openai_codec.hpp"

namespace aibud::ai {

class openai_provider final : public http_provider {
 public:
  // REQUIRES: `transport` is callable from any thread and outlives every call in flight.
  openai_provider(openai::settings config, http_transport transport);

  std::string name() const override { return "openai"; }
};

}  // namespace aibud::ai
