// The classifier (issue 5): one model call reads a lead's text with the last turns of the
// conversation and returns {intent, reply} as structured output; the answer becomes a plan
// that moves the lead along the funnel (lead_funnel.hpp) and says what happens next.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "actors/agent_plan.hpp"
#include "adapters/ai/gateway.hpp"

namespace aibud::actors {

// {"intent": one of intent_names(), "reply": string}, both required.
nlohmann::json classifier_schema();

// A `classify`-kind request: the system prompt in the tenant's language, the last
// ctx.history_turns turns of ctx.history (unreadable history counts as none), then `said`
// as the last user turn, and classifier_schema().
ai::ai_request classifier_request(const lead_context& ctx, const std::string& said);

// The most a classified message may cost: a reply, plus a poll when it may start one.
int64_t classifier_max_cost(const lead_context& ctx);

// The model's answer → the plan. Intent missing or unknown: other. Per intent:
//   talk_to_person → handoff_plan;  opt_out → the opt-out confirmation, opted_out;
//   start → welcome back, new (only from opted_out; else like a greeting);
//   valuation → the ask-for-photos text, valuation_requested;
//   sell/buy/rent → the model's reply, qualified, and for a new lead with no open poll the
//     first qualifying poll (cost + costs.poll);
//   greeting/question/other → the model's reply, status unchanged.
// A status that does not answer (handed_off; opted_out except start) → a plan with no send
// and cost 0. An empty model reply is replaced by the fallback text.
agent_plan classifier_plan(const lead_context& ctx, const std::string& said,
                           const ai::ai_response& response);

}  // namespace aibud::actors
