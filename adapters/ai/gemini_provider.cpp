#include "adapters/ai/gemini_provider.hpp"

#include <utility>

#include "base/time.hpp"

namespace aibud::ai {
namespace {

http_provider::codec gemini_codec(gemini::settings config) {
  http_provider::codec wire;
  wire.model = config.model;
  wire.fallback_model = config.fallback_model;
  wire.max_in_flight = config.max_in_flight;
  wire.build_call = [config = std::move(config)](const ai_request& request) {
    return gemini::build_call(request, config);
  };
  wire.parse_reply = [](const http_reply& reply, const ai_request& request) {
    // A daily quota's wait is counted from when the reply arrived.
    return gemini::parse_reply(reply, request.model, request.json_schema, time::now_ms());
  };
  return wire;
}

}  // namespace

gemini_provider::gemini_provider(gemini::settings config, http_transport transport)
    : http_provider(gemini_codec(std::move(config)), std::move(transport)) {}

}  // namespace aibud::ai
