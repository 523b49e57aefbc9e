// The lead funnel (issue 5): where a contact stands and how an intent moves it.
//
//   new ──sell/buy/rent──▶ qualified ──valuation──▶ valuation_requested ──estimate──▶ estimated
//    └────────────valuation──────────────────────────▲        (a later valuation asks again)
//   any ──talk_to_person──▶ handed_off   (until `aibud contact resume`)
//   any ──opt_out──▶ opted_out ──start──▶ new   (nothing else leaves opted_out)
//
// The funnel never moves back on its own: a greeting from a qualified lead leaves it qualified.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aibud::actors {

enum class lead_status { fresh, qualified, valuation_requested, estimated, handed_off, opted_out };
// "new", "qualified", "valuation_requested", "estimated", "handed_off", "opted_out".
std::string_view to_string(lead_status s);
// The stored text; an unknown or legacy one ("engaged") reads as fresh.
lead_status parse_status(std::string_view text);

// What a lead's message wants. Wire names (the JSON schema's enum, the journal) are the
// offline provider's vocabulary: talk_to_person is "human" and start is "opt_in".
enum class lead_intent {
  greeting,
  valuation,
  sell,
  buy,
  rent,
  question,
  talk_to_person,
  opt_out,
  start,
  other,
};
std::string_view to_string(lead_intent i);
// Accepts the wire names and the spelled-out "talk_to_person" and "start"; nullopt otherwise.
std::optional<lead_intent> parse_intent(std::string_view text);
// Every wire name, in enum order (for the JSON schema).
const std::vector<std::string>& intent_names();

// The status after a message of this intent.
lead_status next_status(lead_status current, lead_intent intent);

// Whether the agent may answer a contact in this status at all (not handed_off, and
// opted_out only for `start`).
bool answers(lead_status current, lead_intent intent);

}  // namespace aibud::actors
