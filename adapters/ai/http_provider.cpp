#include "adapters/ai/http_provider.hpp"

#include <utility>

#include "adapters/ai/codec_internal.hpp"
#include "base/log.hpp"

namespace aibud::ai {

struct http_provider::shared {
  codec wire;
  http_transport transport;
};

namespace {

void send(std::shared_ptr<const http_provider::shared> state,
          std::shared_ptr<const ai_request> request, provider::callback done, bool may_fall_back) {
  http_call call;
  try {
    call = state->wire.build_call(*request);
  } catch (const std::exception& e) {
    done(detail::failure(error_kind::invalid_request, 0, e.what()));
    return;
  }
  state->transport(std::move(call), [state, request, done = std::move(done),
                                     may_fall_back](http_reply reply) mutable {
    auto response = state->wire.parse_reply(reply, *request);
    const auto& fallback = state->wire.fallback_model;
    if (may_fall_back && response.failure == error_kind::not_found && !fallback.empty() &&
        fallback != request->model) {
      log::warn("ai model not found, asking the fallback",
                {{"model", request->model}, {"fallback", fallback}});
      auto retry = std::make_shared<ai_request>(*request);
      retry->model = fallback;
      send(state, std::move(retry), std::move(done), false);
      return;
    }
    done(std::move(response));
  });
}

}  // namespace

http_provider::http_provider(codec wire, http_transport transport)
    : shared_(std::make_shared<shared>(shared{std::move(wire), std::move(transport)})) {}

void http_provider::generate(ai_request request, callback done) {
  if (request.model.empty()) request.model = shared_->wire.model;
  send(shared_, std::make_shared<const ai_request>(std::move(request)), std::move(done), true);
}

}  // namespace aibud::ai
