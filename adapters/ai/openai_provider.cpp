#include "adapters/ai/openai_provider.hpp"

#include <utility>

namespace aibud::ai {
namespace {

http_provider::codec openai_codec(openai::settings config) {
  http_provider::codec wire;
  wire.model = config.model;
  wire.fallback_model = config.fallback_model;
  wire.max_in_flight = config.max_in_flight;
  wire.build_call = [config = std::move(config)](const ai_request& request) {
    return openai::build_call(request, config);
  };
  wire.parse_reply = [](const http_reply& reply, const ai_request& request) {
    return openai::parse_reply(reply, request.model, request.json_schema);
  };
  return wire;
}

}  // namespace

openai_provider::openai_provider(openai::settings config, http_transport transport)
    : http_provider(openai_codec(std::move(config)), std::move(transport)) {}

}  // namespace aibud::ai
