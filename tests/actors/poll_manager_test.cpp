#include "actors/poll_manager.hpp"

#include <doctest/doctest.h>

using namespace aibud;
using namespace aibud::actors;

namespace {

lead_context context(lang l = lang::en) {
  lead_context ctx;
  ctx.contact_id = 7;
  ctx.language = l;
  ctx.now_ms = 1'800'000'000'000;
  return ctx;
}

// The context after `plan` opened its poll and sendPoll answered with `message_id`.
lead_context with_open(lead_context ctx, const agent_plan& plan, const std::string& message_id) {
  REQUIRE(plan.change.poll == contact_change::poll_update::set);
  ctx.open_poll = with_message_id(plan.change.open_poll, message_id);
  return ctx;
}

}  // namespace

TEST_CASE("a poll plan sends the question and options in the tenant language and opens it") {
  auto ctx = context(lang::pt_br);
  ctx.costs.poll = 2;
  auto plan = poll_plan(ctx, "property_type", "sell");
  REQUIRE(plan.sends.size() == 1);
  const outbound& poll = plan.sends[0];
  CHECK(poll.what == outbound::kind::poll);
  CHECK(poll.text == "Qual é o tipo de imóvel?");
  CHECK(poll.options == std::vector<std::string>{"Apartamento", "Casa", "Terreno", "Comercial"});
  CHECK(poll.selectable_count == 1);
  CHECK(plan.cost == 2);
  auto open = parse_open_poll(plan.change.open_poll);
  REQUIRE(open);
  CHECK(open->poll == "property_type");
  CHECK(open->flow == "sell");
  CHECK(open->language == "pt-BR");
  CHECK(open->keys == std::vector<std::string>{"apartment", "house", "land", "commercial"});
  CHECK(open->message_id.empty());
  CHECK(plan.change.history_out ==
        "Qual é o tipo de imóvel? [Apartamento / Casa / Terreno / Comercial]");
}

TEST_CASE("the open poll survives a round trip through its JSON, message id included") {
  auto plan = poll_plan(context(), "bedrooms", "buy", {{"property_type", "house"}});
  auto text = with_message_id(plan.change.open_poll, "3EB0POLL");
  auto open = parse_open_poll(text);
  REQUIRE(open);
  CHECK(open->message_id == "3EB0POLL");
  CHECK(open->answers.at("property_type") == "house");
  CHECK(serialize(*open) == text);
  CHECK_FALSE(parse_open_poll("[]"));
  CHECK_FALSE(parse_open_poll("{\"poll\":\"x\",\"labels\":[\"a\"],\"keys\":[]}"));
  CHECK(with_message_id("garbage", "X") == "garbage");
}

TEST_CASE("a vote routes to the poll its option names") {
  auto ctx = with_open(context(), poll_plan(context(), "property_type", "sell"), "P1");
  auto step = route_vote(ctx, {"P1", {"House"}});
  REQUIRE(step.what == agent_step::kind::act);
  REQUIRE(step.plan.sends.size() == 1);
  CHECK(step.plan.sends[0].what == outbound::kind::poll);
  CHECK(step.plan.sends[0].text == "How many bedrooms?");
  CHECK(step.plan.change.history_in == "House");
  auto next = parse_open_poll(step.plan.change.open_poll);
  REQUIRE(next);
  CHECK(next->poll == "bedrooms");
  CHECK(next->answers.at("property_type") == "house");
  CHECK(step.max_cost == ctx.costs.poll);

  auto land = route_vote(ctx, {"P1", {"Land"}});
  auto after_land = parse_open_poll(land.plan.change.open_poll);
  REQUIRE(after_land);
  CHECK(after_land->poll == "timeline");
}

TEST_CASE("the last poll of a sell flow closes the poll, asks for photos and audits the answers") {
  auto ctx = context();
  ctx.status = lead_status::qualified;
  auto bedrooms = poll_plan(ctx, "timeline", "sell", {{"property_type", "apartment"}});
  ctx = with_open(ctx, bedrooms, "P3");
  auto step = route_vote(ctx, {"P3", {"Right now"}});
  REQUIRE(step.what == agent_step::kind::act);
  const agent_plan& plan = step.plan;
  CHECK(plan.change.poll == contact_change::poll_update::clear);
  CHECK(plan.change.status == "valuation_requested");
  REQUIRE(plan.sends.size() == 1);
  CHECK(plan.sends[0].text == fixed_text(text_id::qualified_sell, lang::en));
  REQUIRE(plan.audits.size() == 1);
  CHECK(plan.audits[0].action == "lead.qualified");
  CHECK(plan.audits[0].target == "contact:7");
  CHECK(plan.audits[0].details["answers"]["timeline"] == "now");
  CHECK(plan.audits[0].details["answers"]["property_type"] == "apartment");
  CHECK(plan.cost == ctx.costs.text_reply);
}

TEST_CASE("the last poll of a buy flow leaves the lead qualified with a search text") {
  auto ctx = context();
  ctx = with_open(ctx, poll_plan(ctx, "timeline", "buy"), "P3");
  auto step = route_vote(ctx, {"P3", {"Just researching"}});
  CHECK(step.plan.change.status == "qualified");
  CHECK(step.plan.sends.at(0).text == fixed_text(text_id::qualified_search, lang::en));
}

TEST_CASE("an empty selection is ignored: no reply, no cost") {
  auto ctx = with_open(context(), poll_plan(context(), "property_type", "sell"), "P1");
  auto step = route_vote(ctx, {"P1", {}});
  CHECK(step.what == agent_step::kind::record_only);
  CHECK(step.reason == "empty_vote");
  CHECK(step.plan.sends.empty());
  CHECK(step.max_cost == 0);
}

TEST_CASE("votes on stale or unknown polls, or for options never sent, get a clear free reply") {
  auto ctx = with_open(context(), poll_plan(context(), "property_type", "sell"), "P2");
  for (auto [step, reason] : {std::pair{route_vote(ctx, {"P1", {"House"}}), "stale_poll"},
                              std::pair{route_vote(context(), {"P1", {"House"}}), "no_open_poll"},
                              std::pair{route_vote(ctx, {"P2", {"Castle"}}), "unknown_option"}}) {
    CHECK(step.what == agent_step::kind::act);
    CHECK(step.reason == reason);
    REQUIRE(step.plan.sends.size() == 1);
    CHECK(step.plan.sends[0].text == fixed_text(text_id::stale_poll, lang::en));
    CHECK(step.plan.cost == 0);
    CHECK(step.plan.change.poll == contact_change::poll_update::keep);
  }
}

TEST_CASE("a text matches an option by label regardless of case and accents, or by number") {
  auto plan = poll_plan(context(lang::pt_br), "timeline", "sell");
  auto open = parse_open_poll(plan.change.open_poll);
  REQUIRE(open);
  CHECK(match_option(*open, "agora") == std::size_t{0});
  CHECK(match_option(*open, "  EM 1 A 3 MESES! ") == std::size_t{1});
  CHECK(match_option(*open, "So pesquisando") == std::size_t{3});
  CHECK(match_option(*open, "Só pesquisando.") == std::size_t{3});
  CHECK(match_option(*open, "2") == std::size_t{1});
  CHECK(match_option(*open, "4)") == std::size_t{3});
  CHECK_FALSE(match_option(*open, "5").has_value());
  CHECK_FALSE(match_option(*open, "0").has_value());
  CHECK_FALSE(match_option(*open, "quero agora mesmo").has_value());
  CHECK_FALSE(match_option(*open, "").has_value());
}
