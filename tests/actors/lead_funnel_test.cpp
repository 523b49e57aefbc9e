#include "actors/lead_funnel.hpp"

#include <doctest/doctest.h>

using namespace aibud::actors;

TEST_CASE("the funnel moves forward: new, qualified, valuation_requested, estimated") {
  CHECK(next_status(lead_status::fresh, lead_intent::sell) == lead_status::qualified);
  CHECK(next_status(lead_status::fresh, lead_intent::buy) == lead_status::qualified);
  CHECK(next_status(lead_status::fresh, lead_intent::rent) == lead_status::qualified);
  CHECK(next_status(lead_status::qualified, lead_intent::valuation) ==
        lead_status::valuation_requested);
  CHECK(next_status(lead_status::fresh, lead_intent::valuation) ==
        lead_status::valuation_requested);
}

TEST_CASE("the funnel never moves back on a greeting, a question or a new wish") {
  CHECK(next_status(lead_status::qualified, lead_intent::greeting) == lead_status::qualified);
  CHECK(next_status(lead_status::estimated, lead_intent::question) == lead_status::estimated);
  CHECK(next_status(lead_status::valuation_requested, lead_intent::buy) ==
        lead_status::valuation_requested);
  CHECK(next_status(lead_status::estimated, lead_intent::sell) == lead_status::estimated);
}

TEST_CASE("talk_to_person hands off from any answered status") {
  for (auto s : {lead_status::fresh, lead_status::qualified, lead_status::valuation_requested,
                 lead_status::estimated})
    CHECK(next_status(s, lead_intent::talk_to_person) == lead_status::handed_off);
}

TEST_CASE("opted_out is final until the lead says start") {
  for (auto i : {lead_intent::greeting, lead_intent::sell, lead_intent::valuation,
                 lead_intent::talk_to_person, lead_intent::question}) {
    CHECK(next_status(lead_status::opted_out, i) == lead_status::opted_out);
    CHECK_FALSE(answers(lead_status::opted_out, i));
  }
  CHECK(answers(lead_status::opted_out, lead_intent::start));
  CHECK(next_status(lead_status::opted_out, lead_intent::start) == lead_status::fresh);
  CHECK(next_status(lead_status::qualified, lead_intent::opt_out) == lead_status::opted_out);
  CHECK(next_status(lead_status::handed_off, lead_intent::opt_out) == lead_status::opted_out);
}

TEST_CASE("a handed-off lead is not answered and stays handed off") {
  CHECK_FALSE(answers(lead_status::handed_off, lead_intent::greeting));
  CHECK(next_status(lead_status::handed_off, lead_intent::sell) == lead_status::handed_off);
}

TEST_CASE("statuses and intents read back from their stored names") {
  for (auto s : {lead_status::fresh, lead_status::qualified, lead_status::valuation_requested,
                 lead_status::estimated, lead_status::handed_off, lead_status::opted_out})
    CHECK(parse_status(to_string(s)) == s);
  CHECK(to_string(lead_status::fresh) == "new");
  CHECK(parse_status("engaged") == lead_status::fresh);
  CHECK(parse_intent("human") == lead_intent::talk_to_person);
  CHECK(parse_intent("talk_to_person") == lead_intent::talk_to_person);
  CHECK(parse_intent("opt_in") == lead_intent::start);
  CHECK(parse_intent("start") == lead_intent::start);
  CHECK_FALSE(parse_intent("dance").has_value());
  CHECK(intent_names().size() == 10);
}
