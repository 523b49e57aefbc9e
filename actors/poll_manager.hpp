// The poll manager (issue 5): qualifying polls, the open poll as contact state, and votes.
//
// A flow (sell, buy, rent) starts with `property_type`; each option names what comes next —
// another poll or the flow's end:
//
//   property_type ─apartment/house─▶ bedrooms ─any─▶ timeline ─any─▶ end
//                 └─land/commercial─────────────────▶ timeline
//
// Votes arrive by option *name* (Evolution ≥ 2.3.7 decrypts them, reference §3.1); servers
// 2.3.1–2.3.6 never deliver them, so a text that names an open poll's option (any case, no
// accents needed) or gives its number ("2") counts as the vote. At most one poll is open per
// contact; sending a new one replaces it, so a vote on any other poll is stale.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/agent_plan.hpp"
#include "base/error.hpp"

namespace aibud::actors {

struct poll_option {
  std::string key;   // stable name: "apartment"; the label comes from texts (poll_text)
  std::string next;  // the next poll's id, or "" for the end of the flow
};

struct poll_definition {
  std::string id;  // "property_type", "bedrooms", "timeline"
  std::vector<poll_option> options;
};

// nullptr for an unknown id.
const poll_definition* find_poll(std::string_view id);

// The open poll, as kept in `contacts.open_poll`.
struct open_poll {
  std::string poll;      // definition id
  std::string flow;      // sell | buy | rent
  std::string language;  // the labels' language tag
  std::string question;
  std::vector<std::string> labels;  // as sent, in option order
  std::vector<std::string> keys;    // option keys, same order
  std::string message_id;           // sendPoll's key.id; "" until the send answered
  int64_t sent_at = 0;
  std::map<std::string, std::string> answers;  // earlier polls of this flow: poll id → key
};

std::string serialize(const open_poll& p);
// Errors: invalid_argument when `json_text` is not what serialize() wrote.
result<open_poll> parse_open_poll(const std::string& json_text);
// The open poll JSON with sendPoll's key.id filled in; `json_text` unchanged when unreadable.
std::string with_message_id(const std::string& json_text, const std::string& message_id);

// A plan that sends poll `poll_id` of `flow` and opens it. Cost: costs.poll.
// REQUIRES: find_poll(poll_id) != nullptr.
agent_plan poll_plan(const lead_context& ctx, const std::string& poll_id, const std::string& flow,
                     std::map<std::string, std::string> answers = {});

// The option a text reply names: its label (case, accents, spacing and punctuation
// ignored) or its 1-based number; nullopt when it names none.
std::optional<std::size_t> match_option(const open_poll& p, std::string_view text);

// A vote as the agent sees it.
struct poll_vote {
  std::string poll_id;  // the voted poll's key.id
  std::vector<std::string> selected_options;
};

// A vote → record_only ("empty_vote") for an empty selection; act with the stale-poll text
// (cost 0; the first selected option is the history's "in") when no poll is open, the vote is for
// another poll, or names no option of it; else the plan of answering the open poll with the first
// selected option.
agent_step route_vote(const lead_context& ctx, const poll_vote& vote);

// The open poll answered with option `index` (a vote, or a text that matched): the next poll,
// or the flow's end (the poll cleared, a thank-you text, status qualified — or, for sell,
// valuation_requested with a request for photos — and a `lead.qualified` audit with the
// answers). `said` is what the lead sent, for the history.
// REQUIRES: index < p.keys.size().
agent_plan answer_poll(const lead_context& ctx, const open_poll& p, std::size_t index,
                       const std::string& said);

// The poll as one history line: "What kind of property is it? [Apartment / House / ...]".
std::string describe_poll(const std::string& question, const std::vector<std::string>& labels);

}  // namespace aibud::actors
