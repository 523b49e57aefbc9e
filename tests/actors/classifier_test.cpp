#include "actors/classifier.hpp"

#include <doctest/doctest.h>

#include "actors/poll_manager.hpp"
#include "adapters/ai/offline_provider.hpp"

using namespace aibud;
using namespace aibud::actors;
using json = nlohmann::json;

namespace {

lead_context context(lead_status status = lead_status::fresh, lang l = lang::en) {
  lead_context ctx;
  ctx.contact_id = 3;
  ctx.status = status;
  ctx.language = l;
  ctx.now_ms = 1'800'000'000'000;
  return ctx;
}

ai::ai_response answer(const std::string& intent, const std::string& reply) {
  ai::ai_response r;
  r.structured = json{{"intent", intent}, {"reply", reply}};
  r.text = r.structured->dump();
  return r;
}

ai::ai_response offline(const ai::ai_request& request) {
  ai::ai_response out;
  ai::offline_provider().generate(request, [&out](ai::ai_response r) { out = std::move(r); });
  return out;
}

}  // namespace

TEST_CASE("the request carries the tenant-language prompt, the last N turns and the schema") {
  auto ctx = context(lead_status::qualified, lang::pt_br);
  json history = json::array();
  for (int i = 0; i < 6; ++i)
    history.push_back({{"role", i % 2 ? "model" : "user"}, {"text", "t" + std::to_string(i)}});
  ctx.history = history.dump();
  ctx.history_turns = 4;
  auto r = classifier_request(ctx, "quero comprar");
  CHECK(r.kind == ai::task_kind::classify);
  CHECK(r.system_prompt.find("português do Brasil") != std::string::npos);
  REQUIRE(r.history.size() == 5);
  CHECK(r.history[0].text == "t2");
  CHECK(r.history[0].speaker == ai::role::user);
  CHECK(r.history[1].speaker == ai::role::model);
  CHECK(r.history.back().text == "quero comprar");
  REQUIRE(r.json_schema);
  CHECK((*r.json_schema)["required"] == json{"intent", "reply"});
  CHECK((*r.json_schema)["properties"]["intent"]["enum"].size() == 10);
  CHECK(classifier_request(context(), "hi").system_prompt.find("English") != std::string::npos);
}

TEST_CASE("unreadable history counts as none") {
  auto ctx = context();
  ctx.history = "not json";
  CHECK(classifier_request(ctx, "hi").history.size() == 1);
}

TEST_CASE("a new lead who wants to sell is qualified and gets the reply and the first poll") {
  auto ctx = context();
  ctx.costs.text_reply = 1;
  ctx.costs.poll = 2;
  CHECK(classifier_max_cost(ctx) == 3);
  auto plan = classifier_plan(ctx, "I want to sell", answer("sell", "Great!"));
  CHECK(plan.intent == "sell");
  CHECK(plan.change.status == "qualified");
  REQUIRE(plan.sends.size() == 2);
  CHECK(plan.sends[0] == outbound::send_text("Great!"));
  CHECK(plan.sends[1].what == outbound::kind::poll);
  CHECK(plan.change.poll == contact_change::poll_update::set);
  auto open = parse_open_poll(plan.change.open_poll);
  REQUIRE(open);
  CHECK(open->flow == "sell");
  CHECK(plan.cost == 3);
  CHECK(plan.change.history_in == "I want to sell");
  CHECK(plan.change.history_out.find("Great!\nWhat kind of property is it?") == 0);
}

TEST_CASE("a lead already qualified or with an open poll gets no second poll") {
  auto qualified = classifier_plan(context(lead_status::qualified), "buy", answer("buy", "Ok"));
  CHECK(qualified.sends.size() == 1);
  CHECK(qualified.change.status.empty());
  CHECK(qualified.cost == 1);
  auto ctx = context();
  ctx.open_poll = poll_plan(ctx, "bedrooms", "buy").change.open_poll;
  CHECK(classifier_max_cost(ctx) == 1);
  auto with_poll = classifier_plan(ctx, "rent", answer("rent", "Ok"));
  CHECK(with_poll.sends.size() == 1);
  CHECK(with_poll.change.poll == contact_change::poll_update::keep);
}

TEST_CASE("a valuation request asks for photos with the fixed text") {
  auto plan = classifier_plan(context(lead_status::qualified, lang::pt_br), "quanto vale?",
                              answer("valuation", "model text"));
  CHECK(plan.change.status == "valuation_requested");
  REQUIRE(plan.sends.size() == 1);
  CHECK(plan.sends[0].text == fixed_text(text_id::ask_for_photos, lang::pt_br));
}

TEST_CASE("talk to a person hands off with a notice and an operator audit") {
  auto plan =
      classifier_plan(context(lead_status::estimated), "talk to a person", answer("human", "ok"));
  CHECK(plan.agent == "handoff");
  CHECK(plan.change.status == "handed_off");
  CHECK(plan.change.remember_status);
  REQUIRE(plan.sends.size() == 1);
  CHECK(plan.sends[0].text == fixed_text(text_id::handoff_notice, lang::en));
  REQUIRE(plan.audits.size() == 1);
  CHECK(plan.audits[0].action == "contact.handoff");
  CHECK(plan.audits[0].target == "contact:3");
  CHECK(plan.audits[0].details["from_status"] == "estimated");
  CHECK(plan.audits[0].details["reason"] == "talk_to_person");
  CHECK(plan.cost == 1);
}

TEST_CASE("opt-out confirms, closes the open poll and records an audit") {
  auto ctx = context(lead_status::qualified);
  ctx.open_poll = poll_plan(ctx, "bedrooms", "buy").change.open_poll;
  auto plan = classifier_plan(ctx, "stop", answer("opt_out", "bye"));
  CHECK(plan.change.status == "opted_out");
  CHECK(plan.change.poll == contact_change::poll_update::clear);
  CHECK(plan.sends.at(0).text == fixed_text(text_id::opt_out_confirm, lang::en));
  CHECK(plan.audits.at(0).action == "contact.opted_out");
}

TEST_CASE("start brings an opted-out lead back; elsewhere it is a greeting") {
  auto back = classifier_plan(context(lead_status::opted_out), "start", answer("opt_in", "hi"));
  CHECK(back.change.status == "new");
  CHECK(back.sends.at(0).text == fixed_text(text_id::welcome_back, lang::en));
  auto greeting =
      classifier_plan(context(lead_status::qualified), "start", answer("opt_in", "Hi!"));
  CHECK(greeting.intent == "greeting");
  CHECK(greeting.change.status.empty());
  CHECK(greeting.sends.at(0).text == "Hi!");
}

TEST_CASE("an opted-out lead whose message is not start gets nothing and costs nothing") {
  auto plan = classifier_plan(context(lead_status::opted_out), "hello", answer("greeting", "Hi"));
  CHECK(plan.sends.empty());
  CHECK(plan.cost == 0);
  CHECK(plan.change.status.empty());
}

TEST_CASE("greetings and questions keep the status; an empty or unknown answer falls back") {
  auto q = classifier_plan(context(lead_status::qualified), "where?", answer("question", "Here."));
  CHECK(q.change.status.empty());
  CHECK(q.sends.at(0).text == "Here.");
  auto weird = classifier_plan(context(), "??", answer("dance", ""));
  CHECK(weird.intent == "other");
  CHECK(weird.sends.at(0).text == fixed_text(text_id::fallback_reply, lang::en));
  ai::ai_response plain;
  plain.text = "Just text";
  CHECK(classifier_plan(context(), "x", plain).sends.at(0).text == "Just text");
}

TEST_CASE("the offline provider answers the classifier's schema with the funnel's intents") {
  struct example {
    const char* said;
    const char* intent;
  };
  for (auto e :
       {example{"oi", "greeting"}, example{"quero vender meu apartamento", "sell"},
        example{"quanto vale minha casa?", "valuation"},
        example{"quero falar com um corretor", "human"},
        example{"pare de me mandar mensagens", "opt_out"}, example{"I want to rent", "rent"}}) {
    auto r = offline(classifier_request(context(), e.said));
    REQUIRE(r.status == ai::outcome::ok);
    REQUIRE(r.structured);
    CHECK((*r.structured)["intent"] == e.intent);
    CHECK_FALSE((*r.structured)["reply"].get<std::string>().empty());
  }
}
