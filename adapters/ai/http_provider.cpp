#include "adapters/ai/http_provider.hpp"

#include <algorithm>
#include <deque>
#include <mutex>
#include <utility>

#include "adapters/ai/codec_internal.hpp"
#include "base/log.hpp"

namespace aibud::ai {

struct http_provider::shared {
  // Constant after construction.
  codec wire;
  http_transport transport;

  // Protected by mutex.
  mutable std::mutex mutex;
  std::int64_t in_flight = 0;
  std::deque<std::function<void()>> waiting;
};

namespace {

using shared_state = std::shared_ptr<http_provider::shared>;

// Runs `start` now when a slot is free, else when one frees up.
void admit(const shared_state& state, std::function<void()> start) {
  {
    std::lock_guard<std::mutex> lock(state->mutex);
    if (state->in_flight >= std::max<std::int64_t>(state->wire.max_in_flight, 1)) {
      state->waiting.push_back(std::move(start));
      return;
    }
    ++state->in_flight;
  }
  start();
}

// Hands the slot of a call that answered to the next call in line, or frees it.
void release(const shared_state& state) {
  std::function<void()> next;
  {
    std::lock_guard<std::mutex> lock(state->mutex);
    if (state->waiting.empty()) {
      --state->in_flight;
      return;
    }
    next = std::move(state->waiting.front());
    state->waiting.pop_front();
  }
  next();
}

void send(shared_state state, std::shared_ptr<const ai_request> request, provider::callback done,
          bool may_fall_back);

void on_reply(shared_state state, std::shared_ptr<const ai_request> request,
              provider::callback done, bool may_fall_back, const http_reply& reply) {
  auto response = state->wire.parse_reply(reply, *request);
  release(state);
  const std::string& fallback =
      request->fallback_model.empty() ? state->wire.fallback_model : request->fallback_model;
  if (may_fall_back && response.failure == error_kind::not_found && !fallback.empty() &&
      fallback != request->model) {
    log::warn("ai model not found, asking the fallback",
              {{"model", request->model}, {"fallback", fallback}});
    auto retry = std::make_shared<ai_request>(*request);
    retry->model = fallback;
    send(std::move(state), std::move(retry), std::move(done), false);
    return;
  }
  done(std::move(response));
}

void send(shared_state state, std::shared_ptr<const ai_request> request, provider::callback done,
          bool may_fall_back) {
  http_call call;
  try {
    call = state->wire.build_call(*request);
  } catch (const std::exception& e) {
    done(detail::failure(error_kind::invalid_request, 0, e.what()));
    return;
  }
  auto start = [state, request, done = std::move(done), may_fall_back,
                call = std::move(call)]() mutable {
    auto transport = state->transport;
    transport(std::move(call), [state = std::move(state), request = std::move(request),
                                done = std::move(done), may_fall_back](http_reply reply) mutable {
      on_reply(std::move(state), std::move(request), std::move(done), may_fall_back, reply);
    });
  };
  admit(state, std::move(start));
}

}  // namespace

http_provider::http_provider(codec wire, http_transport transport)
    : shared_(std::make_shared<shared>()) {
  shared_->wire = std::move(wire);
  shared_->transport = std::move(transport);
}

void http_provider::generate(ai_request request, callback done) {
  if (request.model.empty()) request.model = shared_->wire.model;
  send(shared_, std::make_shared<const ai_request>(std::move(request)), std::move(done), true);
}

std::int64_t http_provider::in_flight() const {
  std::lock_guard<std::mutex> lock(shared_->mutex);
  return shared_->in_flight;
}

std::int64_t http_provider::waiting() const {
  std::lock_guard<std::mutex> lock(shared_->mutex);
  return static_cast<std::int64_t>(shared_->waiting.size());
}

}  // namespace aibud::ai
