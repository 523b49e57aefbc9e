#include "actors/reply_agent.hpp"

#include <variant>

#include "actors/texts.hpp"
#include "adapters/ai/offline_provider.hpp"
#include "adapters/evolution/webhook_parser.hpp"

namespace aibud::actors {
namespace {

using json = nlohmann::json;

const char* const system_prompt_en =
    "You are the assistant of a real estate business on WhatsApp. Answer briefly and kindly. "
    "Classify the customer's intent and write the reply.";
const char* const system_prompt_pt =
    "Você é o assistente de uma imobiliária no WhatsApp (pt-BR). Responda de forma breve e "
    "gentil. Classifique a intenção do cliente e escreva a resposta.";

json reply_schema() {
  return {{"type", "object"},
          {"properties",
           {{"intent",
             {{"type", "string"},
              {"enum",
               {"greeting", "valuation", "sell", "buy", "rent", "question", "human", "opt_out",
                "opt_in", "other"}}}},
            {"reply", {{"type", "string"}}}}},
          {"required", {"intent", "reply"}},
          {"additionalProperties", false}};
}

json history_of(const std::string& context_json) {
  json h = json::parse(context_json, nullptr, false);
  return h.is_array() ? h : json::array();
}

decision not_answered(decision::kind k, std::string reason) {
  decision d;
  d.what = k;
  d.reason = std::move(reason);
  return d;
}

}  // namespace

std::string to_string(inbound::kind k) {
  switch (k) {
    case inbound::kind::text:
      return "text";
    case inbound::kind::image:
      return "image";
    case inbound::kind::business:
      return "business";
    case inbound::kind::other:
      return "other";
  }
  return "other";
}

std::string to_string(decision::kind k) {
  switch (k) {
    case decision::kind::skip:
      return "skip";
    case decision::kind::record_only:
      return "record_only";
    case decision::kind::reply:
      return "reply";
  }
  return "skip";
}

result<inbound> read_inbound(const std::string& payload) {
  auto e = evolution::parse_webhook(payload, "");
  if (!e) return e.err();
  return inbound_of(*e);
}

result<inbound> inbound_of(const evolution::event& e) {
  const evolution::message* m = e.as_message();
  if (!m) return make_error(errc::invalid_argument, "job payload: not a message event");
  inbound in;
  in.push_name = m->push_name;
  in.jids = m->contact.jids;
  in.reply_jid = m->contact.canonical();
  if (m->timestamp) in.sent_at_ms = *m->timestamp * 1000;
  if (const auto* t = std::get_if<evolution::text_content>(&m->content)) {
    in.type = inbound::kind::text;
    in.text = t->text;
  } else if (const auto* i = std::get_if<evolution::image_content>(&m->content)) {
    in.type = inbound::kind::image;
    in.text = i->caption;
  }
  if (e.kind == evolution::event_kind::business_message) in.type = inbound::kind::business;
  return in;
}

std::optional<decision> gate(const agent_context& ctx, const inbound& event,
                             const agent_settings& settings) {
  const storage::contact& c = ctx.contact;
  if (event.type == inbound::kind::business) {
    // The business typed on its own phone: a human took over; we step aside.
    decision d = not_answered(decision::kind::record_only, "business_message");
    d.pause_until = settings.takeover_pause.count() == 0
                        ? storage::paused_forever
                        : ctx.now_ms + settings.takeover_pause.count();
    return d;
  }
  if (event.sent_at_ms && ctx.now_ms - *event.sent_at_ms > settings.max_message_age.count())
    return not_answered(decision::kind::skip, "too_old");
  if (c.paused_until && *c.paused_until > ctx.now_ms)
    return not_answered(decision::kind::record_only, "paused");
  if (c.grace_period_start && *c.grace_period_start == ctx.period_start)
    return not_answered(decision::kind::record_only, "out_of_credits");
  return std::nullopt;
}

decision decide(const agent_context& ctx, const inbound& event, const agent_settings& settings) {
  if (auto g = gate(ctx, event, settings)) return *g;
  const storage::contact& c = ctx.contact;
  if (c.status == contact_status::handed_off)
    return not_answered(decision::kind::record_only, "handed_off");
  if (c.status == contact_status::opted_out && ai::classify_text(event.text) != ai::intent::opt_in)
    return not_answered(decision::kind::record_only, "opted_out");
  if (event.type != inbound::kind::text || event.text.empty())
    return not_answered(decision::kind::record_only, "unsupported");

  decision d;
  d.what = decision::kind::reply;
  d.max_cost = settings.reply_cost;
  d.request.kind = ai::task_kind::reply;
  d.request.system_prompt = ctx.language == "pt-BR" ? system_prompt_pt : system_prompt_en;
  for (const auto& t : history_of(c.context)) {
    ai::turn turn;
    turn.speaker = t.value("role", "user") == "model" ? ai::role::model : ai::role::user;
    turn.text = t.value("text", "");
    d.request.history.push_back(std::move(turn));
  }
  d.request.history.push_back({ai::role::user, event.text, {}});
  d.request.json_schema = reply_schema();
  return d;
}

action act_on(const storage::contact& contact, const ai::ai_response& response) {
  action a;
  a.text = response.text;
  if (response.structured && response.structured->is_object()) {
    a.intent = response.structured->value("intent", "");
    a.text = response.structured->value("reply", "");
  }
  if (a.intent == "opt_out") {
    a.status = contact_status::opted_out;
  } else if (a.intent == "human") {
    a.status = contact_status::handed_off;
  } else if (a.intent == "valuation" || a.intent == "sell" || a.intent == "buy" ||
             a.intent == "rent") {
    a.status = contact_status::qualified;
  } else if (contact.status == contact_status::fresh ||
             contact.status == contact_status::opted_out) {
    a.status = contact_status::engaged;
  }
  if (a.status == contact.status) a.status.clear();
  return a;
}

std::string grace_message(const std::string& language) {
  return fixed_text(text_id::grace, language_of(language));
}

json encode_request(const ai::ai_request& request) {
  json history = json::array();
  for (const auto& t : request.history)
    history.push_back(
        {{"role", t.speaker == ai::role::model ? "model" : "user"}, {"text", t.text}});
  json j = {{"system", request.system_prompt},
            {"history", history},
            {"kind", std::string(ai::to_string(request.kind))}};
  if (request.json_schema) j["schema"] = *request.json_schema;
  if (!request.model.empty()) j["model"] = request.model;
  if (!request.fallback_model.empty()) j["fallback_model"] = request.fallback_model;
  return j;
}

ai::ai_request decode_request(const json& inputs) {
  ai::ai_request r;
  r.system_prompt = inputs.value("system", "");
  for (const auto& t : inputs.value("history", json::array()))
    r.history.push_back({t.value("role", "user") == "model" ? ai::role::model : ai::role::user,
                         t.value("text", ""),
                         {}});
  const std::string kind = inputs.value("kind", "reply");
  r.kind = kind == "classify" ? ai::task_kind::classify
           : kind == "vision" ? ai::task_kind::vision
                              : ai::task_kind::reply;
  if (auto s = inputs.find("schema"); s != inputs.end()) r.json_schema = *s;
  r.model = inputs.value("model", "");
  r.fallback_model = inputs.value("fallback_model", "");
  return r;
}

}  // namespace aibud::actors
