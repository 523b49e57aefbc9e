// The lead agent's entry points (ARCHITECTURE §6): one job's event — or the events of one
// merged burst — and the contact's context → what to do (agent_step); the model's answer →
// the plan (agent_plan). It picks the agent: a poll vote goes to the poll manager, a photo
// burst to the vision estimator, a text that names an open poll's option to the poll manager,
// any other text to the classifier. The runtime's own gates (too old, paused, business
// message, out of credits: reply_agent::decide) run before it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "actors/agent_plan.hpp"
#include "actors/poll_manager.hpp"
#include "adapters/ai/gateway.hpp"
#include "adapters/evolution/events.hpp"
#include "base/error.hpp"

namespace aibud::actors {

// One inbound message, as the agents see it.
struct lead_event {
  enum class kind { text, image, poll_vote, other };
  kind what = kind::other;
  int64_t job_id = 0;
  std::string message_id;     // key.id (getBase64FromMediaMessage needs it for photos)
  std::string text;           // text, or an image's caption
  std::string mime_type;      // image
  std::string inline_base64;  // image: the webhook's base64, "" when it must be fetched
  poll_vote vote;             // poll_vote
};
std::string to_string(lead_event::kind k);

// Without `with_bytes` a photo's inline base64 is left out (the caller reads it later).
lead_event to_lead_event(const evolution::message& m, int64_t job_id, bool with_bytes = true);
// From a job's stored payload. Errors: invalid_argument when it is not a message event.
result<lead_event> read_lead_event(const std::string& payload, int64_t job_id);

// The step for a burst (oldest first; the last one is the answering job's own event; a
// single message is a burst of one). Besides the funnel: handed_off and opted_out contacts
// are recorded only, except a text that says "start" (deterministic keywords, no model)
// which brings an opted-out lead back; a burst of other content is recorded only.
agent_step decide_step(const lead_context& ctx, const std::vector<lead_event>& burst);

// The model request of an ask_ai step, from the step's purpose, what the lead said and its
// photos' count, and the contact's context. A step does not carry it: decide_step runs inside
// the job's first write, on the storage writer's thread, and the request (history turns, the
// schema) is built after, on the contact's. The journal keeps the step; a retry builds the
// same request again (the contact's context cannot change while its job is unfinished, since
// a contact runs one job at a time).
ai::ai_request request_for(const lead_context& ctx, const agent_step& step);

// The plan from the model's answer to an ask_ai step's request.
// REQUIRES: step.what == ask_ai, and response.status is ok or truncated (the runner handles
// blocked and errors as failures of the AI step).
agent_plan plan_from_answer(const lead_context& ctx, const agent_step& step,
                            const ai::ai_response& response);

// What the runner keeps of a step in the job's journal between its writes: everything but
// inline image bytes (re-read from the member jobs' payloads), as JSON text written the way
// append_json(agent_plan) writes a plan.
void append_json(std::string& out, const agent_step& step);
result<agent_step> step_from_json(const nlohmann::json& j);

}  // namespace aibud::actors
