#include "actors/lead_agent.hpp"

#include <variant>

#include "actors/classifier.hpp"
#include "actors/vision_estimator.hpp"
#include "adapters/ai/offline_provider.hpp"
#include "adapters/evolution/webhook_parser.hpp"
#include "base/json_text.hpp"

namespace aibud::actors {
namespace {

using json = nlohmann::json;

agent_step record_only(std::string reason) {
  agent_step step;
  step.what = agent_step::kind::record_only;
  step.reason = std::move(reason);
  return step;
}

agent_step act(agent_plan plan, std::string reason) {
  agent_step step;
  step.what = agent_step::kind::act;
  step.reason = std::move(reason);
  step.max_cost = plan.cost;
  step.plan = std::move(plan);
  return step;
}

std::string joined(const std::vector<lead_event>& burst, lead_event::kind k) {
  std::string out;
  for (const auto& e : burst) {
    if (e.what != k || e.text.empty()) continue;
    if (!out.empty()) out += '\n';
    out += e.text;
  }
  return out;
}

agent_step photos_step(const lead_context& ctx, const std::vector<lead_event>& burst) {
  agent_step step;
  step.what = agent_step::kind::ask_ai;
  step.purpose = "vision";
  for (const auto& e : burst)
    if (e.what == lead_event::kind::image)
      step.media.push_back({e.job_id, e.message_id,
                            e.mime_type.empty() ? "image/jpeg" : e.mime_type, e.inline_base64});
  step.said = joined(burst, lead_event::kind::image);
  step.max_cost = ctx.costs.valuation;
  return step;
}

agent_step text_step(const lead_context& ctx, const std::string& said) {
  if (ctx.status == lead_status::opted_out) {
    if (ai::classify_text(said) != ai::intent::opt_in) return record_only("opted_out");
    agent_plan plan;
    plan.agent = "fixed";
    plan.intent = std::string(to_string(lead_intent::start));
    const std::string reply = fixed_text(text_id::welcome_back, ctx.language);
    plan.sends.push_back(outbound::send_text(reply));
    plan.change.status = std::string(to_string(lead_status::fresh));
    plan.change.history_in = said;
    plan.change.history_out = reply;
    plan.cost = ctx.costs.text_reply;
    return act(std::move(plan), "start");
  }
  if (!ctx.open_poll.empty()) {
    if (auto p = parse_open_poll(ctx.open_poll))
      if (auto index = match_option(*p, said))
        return act(answer_poll(ctx, *p, *index, said), "poll_text_vote");
  }
  agent_step step;
  step.what = agent_step::kind::ask_ai;
  step.purpose = "classify";
  step.said = said;
  step.max_cost = classifier_max_cost(ctx);
  return step;
}

}  // namespace

std::string to_string(lead_event::kind k) {
  switch (k) {
    case lead_event::kind::text:
      return "text";
    case lead_event::kind::image:
      return "image";
    case lead_event::kind::poll_vote:
      return "poll_vote";
    case lead_event::kind::other:
      return "other";
  }
  return "other";
}

lead_event to_lead_event(const evolution::message& m, int64_t job_id, bool with_bytes) {
  lead_event e;
  e.job_id = job_id;
  e.message_id = m.key.id;
  if (const auto* t = std::get_if<evolution::text_content>(&m.content)) {
    e.what = lead_event::kind::text;
    e.text = t->text;
  } else if (const auto* i = std::get_if<evolution::image_content>(&m.content)) {
    e.what = lead_event::kind::image;
    e.text = i->caption;
    e.mime_type = i->mimetype;
    if (with_bytes) e.inline_base64 = i->inline_base64;
  } else if (const auto* v = std::get_if<evolution::poll_vote_content>(&m.content)) {
    e.what = lead_event::kind::poll_vote;
    e.vote.poll_id = v->poll_id;
    e.vote.selected_options = v->selected_options;
  }
  return e;
}

result<lead_event> read_lead_event(const std::string& payload, int64_t job_id) {
  auto e = evolution::parse_webhook(payload, "");
  if (!e) return e.err();
  const evolution::message* m = e->as_message();
  if (!m) return make_error(errc::invalid_argument, "job payload: not a message event");
  return to_lead_event(*m, job_id);
}

ai::ai_request request_for(const lead_context& ctx, const agent_step& step) {
  if (step.purpose == "vision")
    return vision_request(ctx, step.said, static_cast<int>(step.media.size()));
  return classifier_request(ctx, step.said);
}

agent_step decide_step(const lead_context& ctx, const std::vector<lead_event>& burst) {
  if (burst.empty()) return record_only("empty");
  if (ctx.status == lead_status::handed_off) return record_only("handed_off");
  const lead_event& last = burst.back();
  if (last.what == lead_event::kind::poll_vote) {
    if (ctx.status == lead_status::opted_out) return record_only("opted_out");
    return route_vote(ctx, last.vote);
  }
  if (last.what == lead_event::kind::image) {
    if (ctx.status == lead_status::opted_out) return record_only("opted_out");
    return photos_step(ctx, burst);
  }
  if (last.what == lead_event::kind::text) {
    const std::string said = joined(burst, lead_event::kind::text);
    if (said.empty()) return record_only("empty");
    return text_step(ctx, said);
  }
  return record_only("unsupported");
}

agent_plan plan_from_answer(const lead_context& ctx, const agent_step& step,
                            const ai::ai_response& response) {
  if (step.purpose == "vision")
    return vision_plan(ctx, static_cast<int>(step.media.size()), step.said, response);
  return classifier_plan(ctx, step.said, response);
}

void append_json(std::string& out, const agent_step& step) {
  json_text::object o(out);
  o.number("max_cost", step.max_cost);
  json_text::append_array(o.member("media"), step.media, [](std::string& out, const media_ref& m) {
    json_text::object ref(out);
    ref.number("job_id", m.job_id)
        .string("message_id", m.message_id)
        .string("mime_type", m.mime_type);
    ref.close();
  });
  // Only an act step has a plan of its own (an ask_ai step's comes from the model's answer).
  if (step.what == agent_step::kind::act) append_json(o.member("plan"), step.plan);
  o.string("purpose", step.purpose)
      .string("reason", step.reason)
      .string("said", step.said)
      .string("what", to_string(step.what));
  o.close();
}

result<agent_step> step_from_json(const json& j) {
  try {
    agent_step step;
    const std::string what = j.at("what").get<std::string>();
    step.what = what == "act"      ? agent_step::kind::act
                : what == "ask_ai" ? agent_step::kind::ask_ai
                                   : agent_step::kind::record_only;
    step.reason = j.at("reason").get<std::string>();
    if (auto p = j.find("plan"); p != j.end()) {
      auto plan = plan_from_json(*p);
      if (!plan) return plan.err();
      step.plan = std::move(*plan);
    }
    step.purpose = j.at("purpose").get<std::string>();
    step.said = j.at("said").get<std::string>();
    for (const auto& m : j.at("media"))
      step.media.push_back({m.at("job_id").get<int64_t>(), m.at("message_id").get<std::string>(),
                            m.at("mime_type").get<std::string>(), ""});
    step.max_cost = j.at("max_cost").get<int64_t>();
    return step;
  } catch (const json::exception& e) {
    return make_error(errc::invalid_argument, std::string("agent step: ") + e.what());
  }
}

}  // namespace aibud::actors
