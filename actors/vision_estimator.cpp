#include "actors/vision_estimator.hpp"

#include <algorithm>
#include <map>

namespace aibud::actors {
namespace {

using json = nlohmann::json;

const char* const prompt_en =
    "You are a real estate appraiser. From the photos of one property, say which room they "
    "show, its notable features and condition (new, good, fair, needs_renovation), and "
    "estimate the whole property's market value as a range, in BRL unless told otherwise. "
    "Answer only with the JSON object.";
const char* const prompt_pt =
    "Você é um avaliador de imóveis. Pelas fotos de um imóvel, diga qual cômodo mostram, as "
    "características e o estado (new, good, fair, needs_renovation), e estime o valor de "
    "mercado do imóvel inteiro como uma faixa, em BRL salvo indicação. Responda apenas com o "
    "objeto JSON.";

void add_distinct(std::vector<std::string>& to, const std::string& value) {
  if (!value.empty() && std::find(to.begin(), to.end(), value) == to.end()) to.push_back(value);
}

int64_t to_thousand(int64_t sum, int64_t count) {
  const int64_t mean = sum / count;
  return (mean + 500) / 1000 * 1000;
}

std::vector<photo_estimate> estimates_of(const ai::ai_response& response) {
  std::vector<photo_estimate> out;
  std::optional<json> answer = response.structured;
  if (!answer) {
    json parsed = json::parse(response.text, nullptr, false);
    if (!parsed.is_discarded()) answer = std::move(parsed);
  }
  if (!answer) return out;
  if (answer->is_array()) {
    for (const auto& one : *answer)
      if (auto e = parse_estimate(one)) out.push_back(std::move(*e));
  } else if (auto e = parse_estimate(*answer)) {
    out.push_back(std::move(*e));
  }
  return out;
}

}  // namespace

json vision_schema() {
  return {
      {"type", "object"},
      {"properties",
       {{"room_type", {{"type", "string"}}},
        {"features", {{"type", "array"}, {"items", {{"type", "string"}}}}},
        {"condition", {{"type", "string"}, {"enum", {"new", "good", "fair", "needs_renovation"}}}},
        {"value_min", {{"type", "integer"}}},
        {"value_max", {{"type", "integer"}}},
        {"currency", {{"type", "string"}}}}},
      {"required", {"room_type", "features", "condition", "value_min", "value_max", "currency"}},
      {"additionalProperties", false}};
}

ai::ai_request vision_request(const lead_context& ctx, const std::string& captions,
                              int photo_count) {
  ai::ai_request r;
  r.kind = ai::task_kind::vision;
  const bool pt = ctx.language == lang::pt_br;
  r.system_prompt = pt ? prompt_pt : prompt_en;
  std::string ask =
      pt ? "Estime o valor deste imóvel pelas " + std::to_string(photo_count) + " foto(s)."
         : "Estimate this property's value from the " + std::to_string(photo_count) + " photo(s).";
  if (!captions.empty()) ask += "\n" + captions;
  r.history.push_back({ai::role::user, ask, {}});
  r.json_schema = vision_schema();
  return r;
}

void attach_images(ai::ai_request& request, std::vector<ai::image> images) {
  for (auto& i : images) request.images.push_back(std::move(i));
}

result<photo_estimate> parse_estimate(const json& answer) {
  if (!answer.is_object()) return make_error(errc::invalid_argument, "estimate: not an object");
  auto min = answer.find("value_min");
  auto max = answer.find("value_max");
  if (min == answer.end() || max == answer.end() || !min->is_number() || !max->is_number())
    return make_error(errc::invalid_argument, "estimate: value_min/value_max missing");
  photo_estimate e;
  e.value_min = static_cast<int64_t>(min->get<double>());
  e.value_max = static_cast<int64_t>(max->get<double>());
  if (e.value_min < 0 || e.value_max < 0 || (e.value_min == 0 && e.value_max == 0))
    return make_error(errc::invalid_argument, "estimate: no value");
  if (e.value_min > e.value_max) std::swap(e.value_min, e.value_max);
  auto str = [&answer](const char* key) {
    auto it = answer.find(key);
    return it != answer.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  e.room_type = str("room_type");
  e.condition = str("condition");
  e.currency = str("currency").empty() ? "BRL" : str("currency");
  if (auto f = answer.find("features"); f != answer.end() && f->is_array())
    for (const auto& v : *f)
      if (v.is_string()) e.features.push_back(v.get<std::string>());
  return e;
}

property_estimate aggregate(const std::vector<photo_estimate>& estimates) {
  property_estimate p;
  int64_t sum_min = 0;
  int64_t sum_max = 0;
  std::map<std::string, int> conditions;
  std::vector<std::string> condition_order;
  for (const auto& e : estimates) {
    sum_min += e.value_min;
    sum_max += e.value_max;
    add_distinct(p.rooms, e.room_type);
    for (const auto& f : e.features) add_distinct(p.features, f);
    if (!e.condition.empty()) {
      if (conditions[e.condition]++ == 0) condition_order.push_back(e.condition);
    }
  }
  const auto n = static_cast<int64_t>(estimates.size());
  p.value_min = to_thousand(sum_min, n);
  p.value_max = std::max(p.value_min, to_thousand(sum_max, n));
  p.currency = estimates.front().currency;
  int best = 0;
  for (const auto& c : condition_order)
    if (conditions[c] > best) {
      best = conditions[c];
      p.condition = c;
    }
  p.answers = static_cast<int>(estimates.size());
  return p;
}

agent_plan vision_plan(const lead_context& ctx, int photo_count, const std::string& captions,
                       const ai::ai_response& response) {
  agent_plan plan;
  plan.agent = "vision";
  plan.intent = std::string(to_string(lead_intent::valuation));
  const std::string said = "[" + std::to_string(photo_count) +
                           (photo_count == 1 ? " photo]" : " photos]") +
                           (captions.empty() ? "" : " " + captions);
  plan.change.history_in = said;
  auto estimates = estimates_of(response);
  if (estimates.empty()) {
    const std::string reply = fixed_text(text_id::estimate_failed, ctx.language);
    plan.sends.push_back(outbound::send_text(reply));
    plan.change.history_out = reply;
    return plan;
  }
  const property_estimate e = aggregate(estimates);
  const std::string reply =
      photo_ack(photo_count, ctx.language) + " " +
      estimate_text(e.value_min, e.value_max, e.currency, e.condition, e.rooms, ctx.language) +
      "\n\n" + fixed_text(text_id::estimate_followup, ctx.language);
  plan.sends.push_back(outbound::send_text(reply));
  if (ctx.status != lead_status::handed_off && ctx.status != lead_status::opted_out &&
      ctx.status != lead_status::estimated)
    plan.change.status = std::string(to_string(lead_status::estimated));
  plan.change.history_out = reply;
  plan.audits.push_back({"lead.estimated",
                         "contact:" + std::to_string(ctx.contact_id),
                         {{"value_min", e.value_min},
                          {"value_max", e.value_max},
                          {"currency", e.currency},
                          {"condition", e.condition},
                          {"photos", photo_count}}});
  plan.cost = ctx.costs.valuation;
  return plan;
}

}  // namespace aibud::actors
