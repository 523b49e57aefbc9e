#include "actors/human_takeover.hpp"

namespace aibud::actors {

agent_plan handoff_plan(const lead_context& ctx, const std::string& said,
                        const std::string& reason) {
  agent_plan plan;
  plan.agent = "handoff";
  plan.intent = std::string(to_string(lead_intent::talk_to_person));
  const std::string notice = fixed_text(text_id::handoff_notice, ctx.language);
  plan.sends.push_back(outbound::send_text(notice));
  plan.change.status = std::string(to_string(lead_status::handed_off));
  plan.change.remember_status = true;
  if (!ctx.open_poll.empty()) plan.change.poll = contact_change::poll_update::clear;
  plan.change.history_in = said;
  plan.change.history_out = notice;
  plan.audits.push_back(
      {"contact.handoff",
       "contact:" + std::to_string(ctx.contact_id),
       {{"reason", reason}, {"from_status", std::string(to_string(ctx.status))}, {"said", said}}});
  plan.cost = ctx.costs.text_reply;
  return plan;
}

}  // namespace aibud::actors
