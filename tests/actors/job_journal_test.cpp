#include "actors/job_journal.hpp"

#include <doctest/doctest.h>

using namespace aibud::actors;

TEST_CASE("an empty journal starts at the context step") {
  auto j = parse_journal("{}");
  REQUIRE(j.ok());
  CHECK(j->next_step() == "context");
  CHECK(serialize(*j) == "{}");
}

TEST_CASE("a journal survives serialize and parse with every step") {
  job_journal j;
  j.context = context_step{"reply",
                           "",
                           7,
                           3,
                           1000,
                           1,
                           "text",
                           "oi",
                           "55@s.whatsapp.net",
                           nlohmann::json{{"system", "s"}}};
  j.reserve = reserve_step{1, false, false};
  j.ai = ai_step{"olá", "greeting", "engaged", "offline", 10, 20};
  j.act = act_step{"abc", 123, "olá", std::string("KEY-1")};
  j.record = true;
  auto back = parse_journal(serialize(j));
  REQUIRE(back.ok());
  CHECK(serialize(*back) == serialize(j));
  CHECK(back->context->contact_id == 7);
  CHECK(back->ai->tokens_out == 20);
  CHECK(*back->act->result == "KEY-1");
  CHECK(back->next_step() == "charge");
}

TEST_CASE("a run's kept step texts give the journal's own text, and are pasted as kept") {
  job_journal j;
  j.context = context_step{"reply",
                           "",
                           7,
                           3,
                           1000,
                           1,
                           "text",
                           "oi \"aspas\"",
                           "55@s.whatsapp.net",
                           nlohmann::json{{"system", "s"}}};
  j.reserve = reserve_step{2, false, false};
  j.ai = ai_step{"olá\nlinha", "sell", "engaged", "offline", 10, 20};
  j.ai->plan = R"({"sends":[{"kind":"text","text":"olá"}]})";
  j.act = act_step{"abc", 123, "olá", std::string("KEY-1")};
  const std::string whole = serialize(j);
  // Byte for byte what nlohmann writes for the same object (sorted keys, no spaces).
  CHECK(nlohmann::json::parse(whole).dump() == whole);

  journal_text kept;
  CHECK(serialize(j, kept) == whole);
  CHECK_FALSE(kept.context.empty());
  CHECK_FALSE(kept.ai.empty());
  j.more_acts.push_back(act_step{"def", 124, "poll?", std::nullopt});
  j.record = true;
  j.charge = true;
  CHECK(serialize(j, kept) == serialize(j));
  CHECK(nlohmann::json::parse(serialize(j)).dump() == serialize(j));

  // Kept text is pasted, not checked: whoever changes a step clears its text.
  kept.context = R"({"kept":true})";
  CHECK(serialize(j, kept).find(R"("context":{"kept":true})") != std::string::npos);
}

TEST_CASE("a journal with every optional member is written as nlohmann writes it") {
  job_journal j;
  j.context = context_step{"reply",  "",
                           7,        3,
                           1000,     5,
                           "image",  "foto\tda sala",
                           "55@lid", nlohmann::json{{"history", {"a", "b"}}}};
  j.context->agent_step = R"({"max_cost":5,"said":"ção \u0001","what":"ask_ai"})";
  j.context->members = {11, 12, 13};
  j.reserve = reserve_step{5, true, true};
  j.reserve->generation = 3;
  j.reserve->released = true;
  j.ai = ai_step{"t", "valuation", "", "gemini-2.5-flash", 1, 2};
  j.ai->plan = R"({"cost":5,"ratio":0.25,"sends":[]})";
  act_step poll{"h", 9, "Qual?", std::nullopt};
  poll.kind = "poll";
  poll.options = {"Sim", "Não \"talvez\""};
  poll.selectable_count = 1;
  poll.typing_ms = 1500;
  j.act = poll;
  j.more_acts = {act_step{"h2", 10, "depois", std::string("K2")}, poll};
  j.record = true;
  j.charge = true;
  const std::string whole = serialize(j);
  CHECK(nlohmann::json::parse(whole).dump() == whole);
  auto back = parse_journal(whole);
  REQUIRE(back.ok());
  CHECK(serialize(*back) == whole);
  CHECK(back->reserve->generation == 3);
  CHECK(back->act->options == poll.options);
  CHECK(back->more_acts.size() == 2);
  CHECK(back->context->members == std::vector<int64_t>{11, 12, 13});
}

TEST_CASE("the next step follows the saved results in order") {
  job_journal j;
  j.context = context_step{};
  j.context->decision = "reply";
  CHECK(j.next_step() == "reserve");
  j.reserve = reserve_step{1, false, false};
  CHECK(j.next_step() == "ai");
  j.ai = ai_step{};
  CHECK(j.next_step() == "act");
  j.act = act_step{"h", 1, "t", std::nullopt};
  CHECK(j.next_step() == "act");  // an intent without a result is not done
  j.act->result = "K";
  CHECK(j.next_step() == "record");
  j.record = true;
  CHECK(j.next_step() == "charge");
  j.charge = true;
  CHECK(j.next_step() == "");
}

TEST_CASE("out of credits skips the AI and sends only the grace message") {
  job_journal j;
  j.context = context_step{};
  j.context->decision = "reply";
  j.reserve = reserve_step{0, true, true};
  CHECK(j.next_step() == "act");
  j.act = act_step{"h", 1, "grace", std::string("K")};
  CHECK(j.next_step() == "record");
  j.record = true;
  CHECK(j.next_step() == "");
  j.reserve->grace = false;
  j.act.reset();
  j.record = false;
  CHECK(j.next_step() == "record");
}

TEST_CASE("a journal that is not a JSON object is refused") {
  CHECK_FALSE(parse_journal("[1]").ok());
  CHECK_FALSE(parse_journal("not json").ok());
  CHECK_FALSE(parse_journal(R"({"context": {"contact_id": "x"}})").ok());
}
