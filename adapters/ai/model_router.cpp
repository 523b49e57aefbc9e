#include "adapters/ai/model_router.hpp"

#include <tuple>

#include <nlohmann/json.hpp>

namespace aibud::ai {
namespace {

using json = nlohmann::json;

// The value of "ai.<name>" in `settings`, nested or dotted; null when absent.
const json* setting(const json& settings, const std::string& name) {
  auto dotted = settings.find("ai." + name);
  if (dotted != settings.end()) return &*dotted;
  auto ai = settings.find("ai");
  if (ai == settings.end() || !ai->is_object()) return nullptr;
  auto nested = ai->find(name);
  return nested == ai->end() ? nullptr : &*nested;
}

status override_model(const json& settings, const std::string& name, bool may_be_empty,
                      std::string& model) {
  const json* value = setting(settings, name);
  if (!value) return ok_status();
  if (!value->is_string() || (!may_be_empty && value->get_ref<const std::string&>().empty()))
    return make_error(errc::invalid_argument,
                      "tenant settings: ai." + name +
                          (may_be_empty ? ": expected a string" : ": expected a model name"));
  model = value->get<std::string>();
  return ok_status();
}

}  // namespace

request_traits traits_of(const ai_request& request) {
  request_traits traits;
  traits.has_images = request.kind == task_kind::vision || !request.images.empty();
  traits.context_chars = request.system_prompt.size();
  for (const auto& t : request.history) {
    traits.context_chars += t.text.size();
    if (!t.images.empty()) traits.has_images = true;
  }
  return traits;
}

result<model_set> models_for(const model_set& defaults, std::string_view tenant_settings) {
  if (tenant_settings.empty()) return defaults;
  json settings = json::parse(tenant_settings.begin(), tenant_settings.end(), nullptr, false);
  if (settings.is_discarded() || !settings.is_object())
    return make_error(errc::invalid_argument, "tenant settings: expected a JSON object");
  model_set models = defaults;
  for (auto [name, may_be_empty, model] :
       {std::make_tuple("fast_model", false, &models.fast),
        std::make_tuple("strong_model", false, &models.strong),
        std::make_tuple("fallback_model", true, &models.fallback)}) {
    auto changed = override_model(settings, name, may_be_empty, *model);
    if (!changed) return changed.err();
  }
  return models;
}

result<std::string> with_models(std::string_view tenant_settings, const model_overrides& changes) {
  json settings = tenant_settings.empty()
                      ? json::object()
                      : json::parse(tenant_settings.begin(), tenant_settings.end(), nullptr, false);
  if (settings.is_discarded() || !settings.is_object())
    return make_error(errc::invalid_argument, "tenant settings: expected a JSON object");
  json& ai = settings["ai"];
  if (!ai.is_object()) ai = json::object();
  for (auto [name, value] : {std::make_pair("fast_model", &changes.fast),
                             std::make_pair("strong_model", &changes.strong),
                             std::make_pair("fallback_model", &changes.fallback)}) {
    if (!*value) continue;
    settings.erase(std::string("ai.") + name);  // the dotted spelling would otherwise win
    if ((*value)->empty())
      ai.erase(name);
    else
      ai[name] = **value;
  }
  if (ai.empty()) settings.erase("ai");
  return settings.dump();
}

std::string pick(const model_set& models, const request_traits& traits,
                 const routing_policy& policy) {
  const bool complex = traits.has_images || traits.context_chars >= policy.long_context_chars;
  return complex ? models.strong : models.fast;
}

void route(ai_request& request, const model_set& models, const routing_policy& policy) {
  if (request.model.empty()) request.model = pick(models, traits_of(request), policy);
  request.fallback_model = models.fallback;
}

std::string next_model(const model_set& models, std::string_view current, error_kind failure,
                       std::int64_t attempt, const routing_policy& policy) {
  const bool can_switch = !models.fallback.empty() && models.fallback != current;
  if (!can_switch) return std::string(current);
  switch (failure) {
    case error_kind::not_found:
      return models.fallback;
    case error_kind::retryable:
    case error_kind::transport:
      return attempt >= policy.attempts_before_fallback ? models.fallback : std::string(current);
    default:
      return std::string(current);
  }
}

std::string next_model(const ai_request& request, error_kind failure, std::int64_t attempt,
                       const routing_policy& policy) {
  model_set models;
  models.fallback = request.fallback_model;
  return next_model(models, request.model, failure, attempt, policy);
}

}  // namespace aibud::ai
