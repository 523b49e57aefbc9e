// Model choice by complexity (ARCHITECTURE §6, issue 5 Deliver 2): a fast model for short
// text, a strong one for vision and long contexts, and a fallback, per tenant. Pure functions
// over plain data: no I/O, no actor types, never throw.
//
// How the job runner uses it:
//   1. when it builds a request:   route(request, models_for(defaults, tenant.settings))
//      (sets request.model and request.fallback_model; the provider then switches to the
//      fallback at once, inside the same attempt, when the model is not found);
//   2. when an attempt failed:     request.model = next_model(request, response.failure,
//      attempt) before the retry is scheduled (saved with the job's inputs, with
//      fallback_model, so the choice survives a restart).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/ai/gateway.hpp"
#include "base/error.hpp"

namespace aibud::ai {

// The models one tenant uses. "" in `fallback` means none.
struct model_set {
  std::string fast = "gemini-3.8-flash";          // short text
  std::string strong = "gemini-3.1-pro-preview";  // images, long contexts
  std::string fallback = "gemini-3.6-flash";      // model not found, or the chosen one is down
};

struct routing_policy {
  // Characters of system prompt and history from which a text request counts as a long
  // context (about 4 characters a token).
  std::size_t long_context_chars = 24000;
  // Failed attempts a model gets on 5xx, timeouts and transport failures before the next
  // attempt goes to the fallback (the first model's retries).
  std::int64_t attempts_before_fallback = 2;
};

// What the choice looks at.
struct request_traits {
  bool has_images = false;  // request.images, any turn's images, or a vision task
  std::size_t context_chars = 0;
};
request_traits traits_of(const ai_request& request);

// The defaults with a tenant's overrides from its settings JSON (tenants.settings), which may
// hold {"ai": {"fast_model": ..., "strong_model": ..., "fallback_model": ...}} or the same keys
// dotted at the top level ("ai.fast_model"); fallback_model "" turns the fallback off.
// Errors: invalid_argument naming the key when the settings are not a JSON object or a value
// is not a string (or is "" for fast/strong): the caller logs it and keeps `defaults`.
result<model_set> models_for(const model_set& defaults, std::string_view tenant_settings);

// Changes to a tenant's models, as `tenant update` takes them: a name sets the override, ""
// removes it (back to the server's default).
struct model_overrides {
  std::optional<std::string> fast, strong, fallback;
  bool empty() const { return !fast && !strong && !fallback; }
};

// `tenant_settings` (a JSON object, "" for none) with `changes` written under "ai", other
// settings kept. Errors: invalid_argument when the settings are not a JSON object.
result<std::string> with_models(std::string_view tenant_settings, const model_overrides& changes);

// The strong model for images or a context of at least policy.long_context_chars, else the
// fast one.
std::string pick(const model_set& models, const request_traits& traits,
                 const routing_policy& policy = {});

// Sets request.model (pick) and request.fallback_model, unless the request already names a
// model (a retry keeps the one next_model chose).
void route(ai_request& request, const model_set& models, const routing_policy& policy = {});

// The model for the next attempt after `attempt` (1-based: the number of attempts that failed
// on `current` so far) failed with `failure`:
// - not_found: the fallback at once (when there is one and `current` is not it);
// - retryable or transport (5xx, 408, timeouts, no answer): the fallback once `attempt`
//   reaches policy.attempts_before_fallback;
// - anything else (rate limits, quotas, bad requests, invalid output...): `current`.
// Returns `current` when there is no fallback or `current` is the fallback already.
std::string next_model(const model_set& models, std::string_view current, error_kind failure,
                       std::int64_t attempt, const routing_policy& policy = {});
// The same for a routed request: its `model` is current and its `fallback_model` the fallback
// (what the job runner has at hand when an attempt fails).
std::string next_model(const ai_request& request, error_kind failure, std::int64_t attempt,
                       const routing_policy& policy = {});

}  // namespace aibud::ai
