#include "actors/lead_funnel.hpp"

#include <array>

namespace aibud::actors {
namespace {

const std::array<std::string_view, 6> status_names = {
    "new", "qualified", "valuation_requested", "estimated", "handed_off", "opted_out"};

int rank(lead_status s) {
  return static_cast<int>(s);
}

}  // namespace

std::string_view to_string(lead_status s) {
  return status_names[static_cast<std::size_t>(s)];
}

lead_status parse_status(std::string_view text) {
  for (std::size_t i = 0; i < status_names.size(); ++i)
    if (status_names[i] == text) return static_cast<lead_status>(i);
  return lead_status::fresh;
}

const std::vector<std::string>& intent_names() {
  static const std::vector<std::string> names = {"greeting", "valuation", "sell",  "buy",
                                                 "rent",     "question",  "human", "opt_out",
                                                 "opt_in",   "other"};
  return names;
}

std::string_view to_string(lead_intent i) {
  return intent_names()[static_cast<std::size_t>(i)];
}

std::optional<lead_intent> parse_intent(std::string_view text) {
  if (text == "talk_to_person") return lead_intent::talk_to_person;
  if (text == "start") return lead_intent::start;
  const auto& names = intent_names();
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == text) return static_cast<lead_intent>(i);
  return std::nullopt;
}

lead_status next_status(lead_status current, lead_intent intent) {
  if (current == lead_status::opted_out)
    return intent == lead_intent::start ? lead_status::fresh : current;
  if (intent == lead_intent::opt_out) return lead_status::opted_out;
  if (current == lead_status::handed_off) return current;
  switch (intent) {
    case lead_intent::talk_to_person:
      return lead_status::handed_off;
    case lead_intent::sell:
    case lead_intent::buy:
    case lead_intent::rent:
      return rank(current) < rank(lead_status::qualified) ? lead_status::qualified : current;
    case lead_intent::valuation:
      return lead_status::valuation_requested;
    default:
      return current;
  }
}

bool answers(lead_status current, lead_intent intent) {
  if (current == lead_status::handed_off) return false;
  if (current == lead_status::opted_out) return intent == lead_intent::start;
  return true;
}

}  // namespace aibud::actors
