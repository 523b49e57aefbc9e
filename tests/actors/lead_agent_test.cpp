#include "actors/lead_agent.hpp"

#include <doctest/doctest.h>

#include "actors/context_window.hpp"
#include "actors/job_runner.hpp"
#include "actors/reply_agent.hpp"
#include "actors/vision_estimator.hpp"
#include "adapters/ai/offline_provider.hpp"
#include "adapters/evolution/webhook_parser.hpp"
#include "base/crypto.hpp"
#include "tests/support/temp_dir.hpp"

using namespace aibud;
using namespace aibud::actors;
using json = nlohmann::json;

namespace {

// A plan or step as the journal keeps it, read back as a DOM to compare.
template <class T>
json as_json(const T& value) {
  std::string text;
  append_json(text, value);
  return json::parse(text);
}

lead_event said(const std::string& text, int64_t job = 1) {
  lead_event e;
  e.what = lead_event::kind::text;
  e.job_id = job;
  e.message_id = "M" + std::to_string(job);
  e.text = text;
  return e;
}

lead_event photo(int64_t job, const std::string& bytes, const std::string& caption = "") {
  lead_event e;
  e.what = lead_event::kind::image;
  e.job_id = job;
  e.message_id = "IMG" + std::to_string(job);
  e.mime_type = "image/jpeg";
  e.inline_base64 = bytes.empty() ? "" : crypto::base64(bytes);
  e.text = caption;
  return e;
}

lead_event vote(const std::string& poll_id, std::vector<std::string> options) {
  lead_event e;
  e.what = lead_event::kind::poll_vote;
  e.vote = {poll_id, std::move(options)};
  return e;
}

// What the job runner will do with a plan, reduced to the contact's fields: the status,
// the open poll (with the key.id sendPoll returned) and the history window.
struct lead {
  storage::contact row;
  std::string tenant_language = "pt-BR";
  std::vector<std::string> transcript;
  int64_t credits = 0;
  int polls_sent = 0;

  lead_context context() const { return lead_context::of(row, tenant_language, 1'800'000'000'000); }

  void apply(const agent_plan& plan) {
    for (const auto& s : plan.sends) {
      if (s.what == outbound::kind::poll) {
        ++polls_sent;
        transcript.push_back("poll: " + describe_poll(s.text, s.options));
      } else if (s.what == outbound::kind::text) {
        transcript.push_back("aibud: " + s.text);
      }
    }
    if (!plan.change.status.empty()) {
      if (plan.change.remember_status) row.status_before_handoff = row.status;
      row.status = plan.change.status;
    }
    if (plan.change.poll == contact_change::poll_update::set)
      row.open_poll = with_message_id(plan.change.open_poll, "POLL" + std::to_string(polls_sent));
    if (plan.change.poll == contact_change::poll_update::clear) row.open_poll.reset();
    row.context = updated_context(row.context, plan.change.history_in, plan.change.history_out, 20);
    credits += plan.cost;
  }

  // One job through the agent with the offline provider, as the runner will run it.
  agent_step run(const std::vector<lead_event>& burst) {
    const auto ctx = context();
    agent_step step = decide_step(ctx, burst);
    if (step.what == agent_step::kind::act) apply(step.plan);
    if (step.what == agent_step::kind::ask_ai) {
      ai::ai_request request = request_for(ctx, step);
      std::vector<ai::image> images;
      for (const auto& m : step.media) images.push_back({m.mime_type, "", m.inline_base64});
      attach_images(request, std::move(images));
      ai::ai_response answer;
      ai::offline_provider().generate(request, [&answer](ai::ai_response r) { answer = r; });
      REQUIRE(answer.status == ai::outcome::ok);
      agent_plan plan = plan_from_answer(ctx, step, answer);
      CHECK(plan.cost <= step.max_cost);
      apply(plan);
    }
    return step;
  }

  std::string open_poll_id() const {
    auto p = parse_open_poll(row.open_poll.value_or(""));
    return p ? p->message_id : "";
  }
};

}  // namespace

TEST_CASE("a text goes to the classifier with the cost of a reply and maybe a poll") {
  lead_context ctx;
  auto step = decide_step(ctx, {said("quero vender")});
  CHECK(step.what == agent_step::kind::ask_ai);
  CHECK(step.purpose == "classify");
  CHECK(step.said == "quero vender");
  CHECK(step.max_cost == ctx.costs.text_reply + ctx.costs.poll);
  CHECK(request_for(ctx, step).history.back().text == "quero vender");
}

TEST_CASE("a merged burst of texts is classified once, joined in order") {
  auto step = decide_step(lead_context{}, {said("oi", 1), said("quero vender", 2)});
  CHECK(step.said == "oi\nquero vender");
  CHECK(request_for(lead_context{}, step).history.back().text == "oi\nquero vender");
}

TEST_CASE("a text that names an open poll's option is taken as the vote, without the model") {
  lead_context ctx;
  ctx.open_poll = with_message_id(poll_plan(ctx, "property_type", "sell").change.open_poll, "P");
  auto step = decide_step(ctx, {said("house")});
  CHECK(step.what == agent_step::kind::act);
  CHECK(step.reason == "poll_text_vote");
  CHECK(step.plan.sends.at(0).text == "How many bedrooms?");
  auto other = decide_step(ctx, {said("how much is my house worth?")});
  CHECK(other.what == agent_step::kind::ask_ai);
}

TEST_CASE("photos of a burst become one vision request with every photo, charged once") {
  lead_context ctx;
  auto step = decide_step(ctx, {photo(4, "a"), photo(5, "", "cozinha"), photo(6, "c")});
  REQUIRE(step.what == agent_step::kind::ask_ai);
  CHECK(step.purpose == "vision");
  CHECK(step.max_cost == ctx.costs.valuation);
  REQUIRE(step.media.size() == 3);
  CHECK(step.media[1].message_id == "IMG5");
  CHECK(step.media[1].inline_base64.empty());  // the runner fetches it
  CHECK(step.media[0].inline_base64 == crypto::base64("a"));
  CHECK(step.said == "cozinha");
}

TEST_CASE("handed-off and opted-out leads are recorded only, except start") {
  lead_context ctx;
  ctx.status = lead_status::handed_off;
  CHECK(decide_step(ctx, {said("hello")}).reason == "handed_off");
  CHECK(decide_step(ctx, {vote("P", {"Casa"})}).what == agent_step::kind::record_only);
  ctx.status = lead_status::opted_out;
  CHECK(decide_step(ctx, {said("hello")}).reason == "opted_out");
  CHECK(decide_step(ctx, {photo(1, "x")}).reason == "opted_out");
  auto start = decide_step(ctx, {said("START")});
  REQUIRE(start.what == agent_step::kind::act);
  CHECK(start.plan.change.status == "new");
  CHECK(start.plan.sends.at(0).text == fixed_text(text_id::welcome_back, lang::en));
}

TEST_CASE("other content and empty bursts are recorded only") {
  lead_event sticker;
  CHECK(decide_step(lead_context{}, {sticker}).reason == "unsupported");
  CHECK(decide_step(lead_context{}, {}).reason == "empty");
  CHECK(decide_step(lead_context{}, {said("")}).reason == "empty");
}

TEST_CASE("a job's payload reads as a lead event: text, image and poll vote samples") {
  auto text_event =
      read_lead_event(testing::read_file(AIBUD_SAMPLES_DIR "/messages-upsert-text.json"), 9);
  REQUIRE(text_event);
  CHECK(text_event->what == lead_event::kind::text);
  CHECK(text_event->job_id == 9);
  CHECK_FALSE(text_event->message_id.empty());
  auto vote_event = read_lead_event(testing::read_file(AIBUD_SAMPLES_DIR "/poll-vote.json"), 1);
  REQUIRE(vote_event);
  CHECK(vote_event->what == lead_event::kind::poll_vote);
  CHECK(vote_event->vote.poll_id == "3EB0F1E2D3C4B5A6978812");
  CHECK(vote_event->vote.selected_options == std::vector<std::string>{"Entrega"});
  auto image_event =
      read_lead_event(testing::read_file(AIBUD_SAMPLES_DIR "/messages-upsert-image.json"), 2);
  REQUIRE(image_event);
  CHECK(image_event->what == lead_event::kind::image);
  CHECK_FALSE(image_event->mime_type.empty());
  CHECK_FALSE(
      read_lead_event("{\"event\":\"connection.update\",\"instance\":\"x\",\"data\":"
                      "{\"state\":\"open\"}}",
                      1));
}

TEST_CASE("the intake's parse handed along as a hint reads as the stored payload does") {
  for (const char* sample :
       {"/messages-upsert-text.json", "/messages-upsert-image.json", "/poll-vote.json",
        "/messages-upsert-from-me.json", "/messages-upsert-extended-text.json"}) {
    CAPTURE(sample);
    auto event =
        evolution::parse_webhook(testing::read_file(std::string(AIBUD_SAMPLES_DIR) + sample), "");
    REQUIRE(event);
    auto hint = hint_of(7, *event);
    REQUIRE(hint);
    CHECK(hint->job_id == 7);
    // What the job row keeps (apikey stripped) reads the same as what the intake parsed.
    auto in = read_inbound(event->stored_payload);
    auto lead = read_lead_event(event->stored_payload, 7);
    REQUIRE(in);
    REQUIRE(lead);
    CHECK(hint->in.type == in->type);
    CHECK(hint->in.text == in->text);
    CHECK(hint->in.jids == in->jids);
    CHECK(hint->in.reply_jid == in->reply_jid);
    CHECK(hint->in.push_name == in->push_name);
    CHECK(hint->in.sent_at_ms == in->sent_at_ms);
    CHECK(hint->event.what == lead->what);
    CHECK(hint->event.job_id == lead->job_id);
    CHECK(hint->event.message_id == lead->message_id);
    CHECK(hint->event.text == lead->text);
    CHECK(hint->event.mime_type == lead->mime_type);
    CHECK(hint->event.inline_base64.empty());  // photo bytes are read from the payload in A
    CHECK(hint->event.vote.poll_id == lead->vote.poll_id);
    CHECK(hint->event.vote.selected_options == lead->vote.selected_options);
  }
  auto connection =
      evolution::parse_webhook(testing::read_file(AIBUD_SAMPLES_DIR "/connection-update.json"), "");
  REQUIRE(connection);
  CHECK_FALSE(hint_of(7, *connection));  // only message events become jobs
}

TEST_CASE("plans and steps are written as text exactly as nlohmann writes their JSON") {
  agent_plan plan;
  plan.agent = "poll";
  plan.intent = "sell";
  plan.sends = {outbound::send_presence(1200), outbound::send_text("Olá \"você\"\nlinha"),
                outbound::send_poll("Qual?", {"Casa", "Apê \u00e9"}, 2)};
  plan.change.status = "qualifying";
  plan.change.remember_status = true;
  plan.change.poll = contact_change::poll_update::set;
  plan.change.open_poll = R"({"id":"P","question":"Qual?"})";
  plan.change.history_in = "quero vender";
  plan.change.history_out = "Qual? [Casa / Apê]";
  plan.audits = {{"lead.qualified", "contact:7", json{{"score", 0.5}, {"tags", {"a", "b"}}}},
                 {"contact.handoff", "contact:7", json::object()}};
  plan.cost = 2;
  std::string text;
  append_json(text, plan);
  CHECK(json::parse(text).dump() == text);  // canonical: sorted keys, compact
  auto back = plan_from_json(json::parse(text));
  REQUIRE(back);
  CHECK(back->sends == plan.sends);
  CHECK(back->change.open_poll == plan.change.open_poll);
  CHECK(back->change.poll == contact_change::poll_update::set);
  CHECK(back->change.remember_status);
  CHECK(back->audits.at(0).details == plan.audits.at(0).details);
  CHECK(back->cost == 2);

  agent_step step;
  step.what = agent_step::kind::act;
  step.plan = plan;
  step.reason = "flow";
  step.purpose = "poll";
  step.said = "ção";
  step.media = {{4, "IMG4", "image/png", "bytes are not kept"}};
  step.max_cost = 3;
  std::string step_text;
  append_json(step_text, step);
  CHECK(json::parse(step_text).dump() == step_text);
  CHECK(step_text.find("bytes are not kept") == std::string::npos);
  auto step_back = step_from_json(json::parse(step_text));
  REQUIRE(step_back);
  CHECK(step_back->what == agent_step::kind::act);
  CHECK(step_back->plan.sends == plan.sends);
  CHECK(step_back->media.at(0).mime_type == "image/png");
  CHECK(step_back->max_cost == 3);
}

TEST_CASE("agent steps and plans survive the journal's JSON") {
  lead_context ctx;
  auto step = decide_step(ctx, {photo(4, "a"), photo(5, "b")});
  auto back = step_from_json(json::parse(as_json(step).dump()));
  REQUIRE(back);
  CHECK(back->what == agent_step::kind::ask_ai);
  CHECK(back->purpose == "vision");
  CHECK(back->media.size() == 2);
  CHECK(back->media[1].message_id == "IMG5");
  CHECK(back->media[0].inline_base64.empty());
  CHECK(back->max_cost == step.max_cost);

  ctx.open_poll = with_message_id(poll_plan(ctx, "timeline", "sell").change.open_poll, "P");
  auto act = decide_step(ctx, {vote("P", {"Right now"})});
  auto plan = plan_from_json(json::parse(as_json(act.plan).dump()));
  REQUIRE(plan);
  CHECK(as_json(*plan) == as_json(act.plan));
  CHECK(plan->sends == act.plan.sends);
  CHECK(plan->audits.at(0).details == act.plan.audits.at(0).details);
  // An act step keeps its plan through the journal; an ask_ai step has none to keep.
  auto act_back = step_from_json(json::parse(as_json(act).dump()));
  REQUIRE(act_back);
  CHECK(act_back->what == agent_step::kind::act);
  CHECK(as_json(act_back->plan) == as_json(act.plan));
  CHECK_FALSE(as_json(step).contains("plan"));
  CHECK_FALSE(plan_from_json(json{{"agent", "x"}}));
  CHECK_FALSE(step_from_json(json::array()));
}

TEST_CASE("the demo conversation runs on the offline provider: poll, vote, photos, handoff") {
  lead l;
  l.run({said("oi", 1)});
  CHECK(l.row.status == "new");
  CHECK(l.transcript.size() == 1);

  l.run({said("quero vender meu apartamento", 2)});
  CHECK(l.row.status == "qualified");
  CHECK(l.polls_sent == 1);
  CHECK(l.open_poll_id() == "POLL1");

  l.run({vote("POLL1", {"Apartamento"})});
  CHECK(l.polls_sent == 2);  // bedrooms
  l.run({said("2", 4)});     // Evolution 2.3.1–2.3.6: the vote arrives as text
  CHECK(l.polls_sent == 3);  // timeline
  auto stale = l.run({vote("POLL1", {"Casa"})});
  CHECK(stale.reason == "stale_poll");
  l.run({vote("POLL3", {"Agora"})});
  CHECK(l.row.status == "valuation_requested");
  CHECK_FALSE(l.row.open_poll.has_value());

  const int64_t before_photos = l.credits;
  l.run({photo(7, "sala"), photo(8, "cozinha"), photo(9, "quarto")});
  CHECK(l.row.status == "estimated");
  CHECK(l.credits - before_photos == 5);
  CHECK(l.transcript.back().find("Obrigado pelas 3 fotos.") != std::string::npos);

  l.run({said("quero falar com um corretor", 10)});
  CHECK(l.row.status == "handed_off");
  CHECK(l.row.status_before_handoff == std::optional<std::string>("estimated"));
  CHECK(l.transcript.back() == "aibud: " + fixed_text(text_id::handoff_notice, lang::pt_br));
  auto after = l.run({said("alô?", 11)});
  CHECK(after.what == agent_step::kind::record_only);

  // greeting 1, sell reply + poll 2, two polls 2, stale 0, qualified text 1, estimate 5,
  // handoff 1.
  CHECK(l.credits == 12);
  auto history = json::parse(l.row.context);
  CHECK(history.size() == 16);
}
