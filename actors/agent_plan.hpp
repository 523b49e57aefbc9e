// What the lead agents decide, as plain data the job runner executes (docs/agents.md). An
// agent never sends, writes or waits: it returns an `agent_step` (what to do before acting:
// record only, ask the model, or act at once) and, after the model answered, an `agent_plan`
// (the sends, the contact's state change, the audit/event records and the cost). Plans
// serialize to JSON so the runner can keep one in the job's journal between its writes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/lead_funnel.hpp"
#include "actors/texts.hpp"
#include "adapters/ai/gateway.hpp"
#include "base/error.hpp"
#include "storage/records.hpp"

namespace aibud::actors {

// Credits per action (configuration `credits.*`).
struct agent_costs {
  int64_t text_reply = 1;  // a reply written by the model, or a flow's fixed text
  int64_t poll = 1;        // a poll sent
  int64_t valuation = 5;   // one estimate, however many photos it took
};

// What the agents know about the contact when they decide.
struct lead_context {
  int64_t contact_id = 0;
  lead_status status = lead_status::fresh;
  lang language = lang::en;  // the tenant's language
  std::string open_poll;     // the contact's open poll JSON, "" when none
  std::string history;       // the context window JSON: [{"role":"user"|"model","text":...}]
  int64_t now_ms = 0;
  int history_turns = 20;  // how many turns of history go to the model
  agent_costs costs;

  static lead_context of(const storage::contact& c, const std::string& tenant_language,
                         int64_t now_ms);
};

// One outside effect towards the lead, executed in order.
struct outbound {
  enum class kind {
    text,      // sendText(text)
    poll,      // sendPoll(name = text, values = options, selectableCount = selectable_count)
    presence,  // sendPresence(presence = text, delay = delay_ms); Evolution waits delay_ms
  };
  kind what = kind::text;
  std::string text;  // the message, the poll's question, or the presence ("composing")
  std::vector<std::string> options;
  int selectable_count = 1;
  int64_t delay_ms = 0;

  static outbound send_text(std::string text);
  static outbound send_poll(std::string question, std::vector<std::string> options,
                            int selectable_count = 1);
  static outbound send_presence(int64_t delay_ms, std::string presence = "composing");
  bool operator==(const outbound& o) const;
};
std::string to_string(outbound::kind k);

// How the contact row changes once the sends are done (in the record write).
struct contact_change {
  std::string status;  // the new status; "" = unchanged
  // Set status_before_handoff to the status the contact had before this change (handoff).
  bool remember_status = false;
  enum class poll_update { keep, set, clear };
  poll_update poll = poll_update::keep;
  // poll == set: the open poll's JSON (poll_manager's open_poll). The runner writes the
  // key.id that sendPoll returned into it first (poll_manager's with_message_id).
  std::string open_poll;
  // The exchange for the history window: what the lead said ("" for a vote that was
  // recorded elsewhere) and what we answered (texts, a poll as "question [a / b]").
  std::string history_in;
  std::string history_out;
};

// A security or operator-relevant fact for `audit_log` (same write as the record), also
// emitted as a server-sent event of type `action` after the commit.
struct audit_note {
  std::string action;  // "contact.handoff", "lead.qualified", "lead.estimated", ...
  std::string target;  // "contact:<id>"
  nlohmann::json details = nlohmann::json::object();
};

struct agent_plan {
  std::string agent;   // who decided: classifier | poll | vision | handoff | fixed
  std::string intent;  // the classified intent, "" when none
  std::vector<outbound> sends;
  contact_change change;
  std::vector<audit_note> audits;
  int64_t cost = 0;  // credits to commit for this job (≤ the step's max_cost)
};

// Where a photo's bytes come from: inline base64 from the webhook, else the runner calls
// getBase64FromMediaMessage with `message_id` (fetch_media_base64).
struct media_ref {
  int64_t job_id = 0;
  std::string message_id;
  std::string mime_type = "image/jpeg";
  std::string inline_base64;
};

// What to do with one job before anything is sent.
struct agent_step {
  enum class kind {
    record_only,  // record the inbound message; no send, no charge (reason says why)
    act,          // execute `plan` now: no model needed
    ask_ai,       // reserve max_cost, call the model with request_for(ctx, step) (images
                  // from `media` appended to its images, in order), then plan_from_answer
  };
  kind what = kind::record_only;
  std::string reason;
  agent_plan plan;
  std::string purpose;  // ask_ai: "classify" | "vision"
  std::string said;     // what the lead said that this step answers (texts joined, captions)
  std::vector<media_ref> media;
  int64_t max_cost = 0;  // credits to reserve (act: plan.cost)
};
std::string to_string(agent_step::kind k);

// The plan as the job's journal keeps it: JSON text as nlohmann's dump() writes it (sorted
// keys, compact), written straight, without building a DOM (every answered message does).
void append_json(std::string& out, const agent_plan& plan);
// Errors: invalid_argument when `j` is not what append_json wrote.
result<agent_plan> plan_from_json(const nlohmann::json& j);

}  // namespace aibud::actors
