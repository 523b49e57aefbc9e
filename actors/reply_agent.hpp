// The reply agent, minimal for now (ARCHITECTURE §6): plain functions from a contact's context
// and an inbound event to a decision, and from the AI's answer to an action. No actor, storage
// or network here; the job runner executes what these return.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "adapters/ai/gateway.hpp"
#include "adapters/evolution/events.hpp"
#include "base/error.hpp"
#include "storage/records.hpp"

namespace aibud::actors {

// Contact statuses the agent sets.
namespace contact_status {
inline constexpr const char* fresh = "new";
inline constexpr const char* engaged = "engaged";
inline constexpr const char* qualified = "qualified";
inline constexpr const char* handed_off = "handed_off";
inline constexpr const char* opted_out = "opted_out";
}  // namespace contact_status

// What one job's event says, as far as the agent cares.
struct inbound {
  enum class kind { text, image, business, other };
  kind type = kind::other;
  std::string text;                   // text, or an image's caption
  std::optional<int64_t> sent_at_ms;  // the message's own timestamp
  std::string push_name;
  std::string reply_jid;          // where a reply goes: the phone JID, else the LID
  std::vector<std::string> jids;  // every JID the event named for the person
};
std::string to_string(inbound::kind k);

// Reads a job's stored payload. Errors: invalid_argument when it is not a message event.
result<inbound> read_inbound(const std::string& payload);
// The same from an event already parsed (the intake's, or read_inbound's).
result<inbound> inbound_of(const evolution::event& e);

struct agent_settings {
  std::chrono::milliseconds max_message_age{15 * 60 * 1000};
  std::chrono::milliseconds takeover_pause{12 * 3600 * 1000};
  int64_t reply_cost = 1;      // credits.text_reply
  int history_turns = 20;      // the context window kept on the contact
  int64_t poll_cost = 1;       // credits.poll
  int64_t valuation_cost = 5;  // credits.valuation
};

struct agent_context {
  storage::contact contact;
  int64_t now_ms = 0;
  int64_t period_start = 0;  // the tenant's current billing period
  std::string language;      // the tenant's language: en | pt-BR
};

struct decision {
  enum class kind { skip, record_only, reply };
  kind what = kind::skip;
  std::string reason;      // for skip / record_only
  ai::ai_request request;  // for reply
  int64_t max_cost = 0;    // for reply
  // A business message pauses the contact until this time (ms UTC).
  std::optional<int64_t> pause_until;
};
std::string to_string(decision::kind k);

// The runtime's gates, before any agent: a business message (takeover pause), a message older
// than max_message_age (skip), a paused contact, a contact already given the grace message
// this period (record only). nullopt: the lead agents decide (docs/agents.md).
std::optional<decision> gate(const agent_context& ctx, const inbound& event,
                             const agent_settings& settings);

// The gates, then the minimal agent of issue 4 (one model reply per text).
decision decide(const agent_context& ctx, const inbound& event, const agent_settings& settings);

// What the answer of the AI becomes.
struct action {
  std::string text;    // to send
  std::string intent;  // the structured intent, "" when none
  std::string status;  // the contact's new status, "" = unchanged
};

// REQUIRES: response.status is ok or truncated.
action act_on(const storage::contact& contact, const ai::ai_response& response);

// The message a contact gets, once per period, when the tenant ran out of credits.
std::string grace_message(const std::string& language);

// The AI request's inputs as the journal keeps them, and back.
nlohmann::json encode_request(const ai::ai_request& request);
ai::ai_request decode_request(const nlohmann::json& inputs);

}  // namespace aibud::actors
