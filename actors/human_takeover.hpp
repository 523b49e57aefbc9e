// Human takeover by request (issue 5): "talk to a person" hands the lead to the business.
// The business typing on its phone is the runtime's side (reply_agent's business_message
// pause); `aibud contact resume` restores status_before_handoff.
#pragma once

#include <string>

#include "actors/agent_plan.hpp"

namespace aibud::actors {

// The lead becomes handed_off (its current status remembered for resume), the open poll is
// closed, the lead gets the handoff notice, and the operator is notified by a
// `contact.handoff` audit entry (also emitted as an event) naming the reason, the previous
// status and what the lead said. Cost: costs.text_reply (the message was classified).
agent_plan handoff_plan(const lead_context& ctx, const std::string& said,
                        const std::string& reason);

}  // namespace aibud::actors
