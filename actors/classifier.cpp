#include "actors/classifier.hpp"

#include "actors/context_window.hpp"
#include "actors/human_takeover.hpp"
#include "actors/poll_manager.hpp"

namespace aibud::actors {
namespace {

using json = nlohmann::json;

const char* const prompt_en =
    "You are the WhatsApp assistant of a real estate agency. Classify what the customer's last "
    "message wants: greeting, valuation (what a property is worth), sell, buy, rent, question, "
    "human (talk to a person), opt_out (stop messaging), opt_in (start again) or other. Then "
    "write a short, kind reply in English. Answer only with the JSON object.";
const char* const prompt_pt =
    "Você é o assistente de WhatsApp de uma imobiliária. Classifique o que a última mensagem do "
    "cliente quer: greeting, valuation (quanto vale um imóvel), sell, buy, rent, question, "
    "human (falar com uma pessoa), opt_out (parar de receber mensagens), opt_in (voltar a "
    "receber) ou other. Depois escreva uma resposta curta e gentil em português do Brasil. "
    "Responda apenas com o objeto JSON.";

bool starts_poll(const lead_context& ctx) {
  return ctx.status == lead_status::fresh && ctx.open_poll.empty();
}

agent_plan text_plan(const lead_context& ctx, const std::string& said, std::string reply,
                     lead_status status) {
  agent_plan plan;
  plan.agent = "classifier";
  plan.sends.push_back(outbound::send_text(reply));
  if (status != ctx.status) plan.change.status = std::string(to_string(status));
  plan.change.history_in = said;
  plan.change.history_out = std::move(reply);
  plan.cost = ctx.costs.text_reply;
  return plan;
}

}  // namespace

json classifier_schema() {
  // Built once: every classify request carries a copy.
  static const json schema = {{"type", "object"},
                              {"properties",
                               {{"intent", {{"type", "string"}, {"enum", intent_names()}}},
                                {"reply", {{"type", "string"}}}}},
                              {"required", {"intent", "reply"}},
                              {"additionalProperties", false}};
  return schema;
}

ai::ai_request classifier_request(const lead_context& ctx, const std::string& said) {
  ai::ai_request r;
  r.kind = ai::task_kind::classify;
  r.system_prompt = ctx.language == lang::pt_br ? prompt_pt : prompt_en;
  r.history = context_turns(ctx.history, ctx.history_turns);
  r.history.push_back({ai::role::user, said, {}});
  r.json_schema = classifier_schema();
  return r;
}

int64_t classifier_max_cost(const lead_context& ctx) {
  return ctx.costs.text_reply + (starts_poll(ctx) ? ctx.costs.poll : 0);
}

agent_plan classifier_plan(const lead_context& ctx, const std::string& said,
                           const ai::ai_response& response) {
  lead_intent intent = lead_intent::other;
  std::string reply = response.text;
  if (response.structured && response.structured->is_object()) {
    const json& s = *response.structured;
    if (auto i = parse_intent(s.value("intent", ""))) intent = *i;
    reply = s.value("reply", "");
  }
  if (reply.empty()) reply = fixed_text(text_id::fallback_reply, ctx.language);
  if (intent == lead_intent::start && ctx.status != lead_status::opted_out)
    intent = lead_intent::greeting;

  agent_plan plan;
  if (!answers(ctx.status, intent)) {
    plan.agent = "classifier";
    plan.change.history_in = said;
  } else if (intent == lead_intent::talk_to_person) {
    plan = handoff_plan(ctx, said, "talk_to_person");
  } else if (intent == lead_intent::opt_out) {
    plan = text_plan(ctx, said, fixed_text(text_id::opt_out_confirm, ctx.language),
                     lead_status::opted_out);
    if (!ctx.open_poll.empty()) plan.change.poll = contact_change::poll_update::clear;
    plan.audits.push_back(
        {"contact.opted_out", "contact:" + std::to_string(ctx.contact_id), json::object()});
  } else if (intent == lead_intent::start) {
    plan =
        text_plan(ctx, said, fixed_text(text_id::welcome_back, ctx.language), lead_status::fresh);
  } else if (intent == lead_intent::valuation) {
    plan = text_plan(ctx, said, fixed_text(text_id::ask_for_photos, ctx.language),
                     next_status(ctx.status, intent));
  } else if (intent == lead_intent::sell || intent == lead_intent::buy ||
             intent == lead_intent::rent) {
    plan = text_plan(ctx, said, reply, next_status(ctx.status, intent));
    if (starts_poll(ctx)) {
      agent_plan poll = poll_plan(ctx, "property_type", std::string(to_string(intent)));
      plan.sends.push_back(poll.sends.front());
      plan.change.poll = poll.change.poll;
      plan.change.open_poll = poll.change.open_poll;
      plan.change.history_out += "\n" + poll.change.history_out;
      plan.cost += poll.cost;
    }
  } else {
    plan = text_plan(ctx, said, reply, ctx.status);
  }
  plan.intent = std::string(to_string(intent));
  return plan;
}

}  // namespace aibud::actors
