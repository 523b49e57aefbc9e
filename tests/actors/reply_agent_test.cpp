#include "actors/reply_agent.hpp"

#include <doctest/doctest.h>

using namespace aibud;
using namespace aibud::actors;

namespace {

const int64_t now = 1'800'000'000'000;

agent_context context(const std::string& status = "new") {
  agent_context ctx;
  ctx.contact.status = status;
  ctx.now_ms = now;
  ctx.period_start = 1000;
  return ctx;
}

inbound text(const std::string& t, int64_t age_ms = 0) {
  inbound in;
  in.type = inbound::kind::text;
  in.text = t;
  in.sent_at_ms = now - age_ms;
  return in;
}

}  // namespace

TEST_CASE("a fresh text message is answered with a structured request costing one reply") {
  agent_settings s;
  s.reply_cost = 2;
  auto d = decide(context(), text("quero vender"), s);
  CHECK(d.what == decision::kind::reply);
  CHECK(d.max_cost == 2);
  REQUIRE(d.request.history.size() == 1);
  CHECK(d.request.history.back().text == "quero vender");
  CHECK(d.request.json_schema.has_value());
}

TEST_CASE("a message older than max_message_age is skipped") {
  agent_settings s;
  s.max_message_age = std::chrono::minutes(15);
  CHECK(decide(context(), text("oi", 16 * 60 * 1000), s).what == decision::kind::skip);
  CHECK(decide(context(), text("oi", 14 * 60 * 1000), s).what == decision::kind::reply);
}

TEST_CASE("a business message pauses the contact for takeover.pause and is only recorded") {
  agent_settings s;
  s.takeover_pause = std::chrono::hours(12);
  inbound in = text("aqui é o corretor");
  in.type = inbound::kind::business;
  auto d = decide(context(), in, s);
  CHECK(d.what == decision::kind::record_only);
  CHECK(d.reason == "business_message");
  REQUIRE(d.pause_until);
  CHECK(*d.pause_until == now + 12 * 3600 * 1000);
}

TEST_CASE("paused, handed-off, opted-out and graced contacts are recorded, not answered") {
  agent_settings s;
  auto paused = context();
  paused.contact.paused_until = now + 1;
  CHECK(decide(paused, text("oi"), s).reason == "paused");
  CHECK(decide(context("handed_off"), text("oi"), s).reason == "handed_off");
  CHECK(decide(context("opted_out"), text("oi"), s).reason == "opted_out");
  auto graced = context();
  graced.contact.grace_period_start = graced.period_start;
  CHECK(decide(graced, text("oi"), s).reason == "out_of_credits");
}

TEST_CASE("the structured intent drives the contact status") {
  storage::contact c;
  ai::ai_response r;
  r.structured = nlohmann::json{{"intent", "opt_out"}, {"reply", "ok, não enviaremos mais"}};
  auto a = act_on(c, r);
  CHECK(a.status == "opted_out");
  CHECK(a.text == "ok, não enviaremos mais");
  r.structured = nlohmann::json{{"intent", "human"}, {"reply", "vou chamar um corretor"}};
  CHECK(act_on(c, r).status == "handed_off");
  r.structured = nlohmann::json{{"intent", "greeting"}, {"reply", "olá"}};
  CHECK(act_on(c, r).status == "engaged");
}

TEST_CASE("a request survives the journal's encoding") {
  auto d = decide(context(), text("quanto vale?"), agent_settings{});
  auto back = decode_request(encode_request(d.request));
  CHECK(back.system_prompt == d.request.system_prompt);
  REQUIRE(back.history.size() == 1);
  CHECK(back.history[0].text == "quanto vale?");
  CHECK(*back.json_schema == *d.request.json_schema);
}
