// The lead agents end to end (docs/agents.md): one lead talks to a real `aibud serve` with a
// sandbox instance through real webhooks — a greeting, a seller's qualifying polls answered by
// a vote and by a text, a burst of photos valued once, a handoff — and a burst of texts is
// merged across a server restart.
#include <signal.h>

#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "base/crypto.hpp"
#include "tests/jobs/job_loop.hpp"

using namespace aibud::testing;

namespace {

const char* lead = "5511977770001@s.whatsapp.net";

nlohmann::json upsert(const std::string& id, nlohmann::json message, const std::string& type) {
  return upsert_from(lead, id, std::move(message), type);
}

wa_message said(const std::string& id, const std::string& text) {
  wa_message m;
  m.id = id;
  m.remote_jid = lead;
  m.text = text;
  return m;
}

nlohmann::json vote(const std::string& id, const std::string& poll_key, const std::string& option) {
  return vote_from(lead, id, poll_key, option);
}

nlohmann::json photo(const std::string& id, const std::string& bytes) {
  nlohmann::json msg = {{"imageMessage", {{"mimetype", "image/jpeg"}, {"caption", ""}}},
                        {"base64", aibud::crypto::base64(bytes)}};
  return upsert(id, msg, "imageMessage");
}

struct lead_view {
  job_loop& loop;
  std::string status() const { return loop.scalar("SELECT status FROM contacts"); }
  std::string open_poll(const std::string& path) const {
    return loop.scalar("SELECT json_extract(open_poll, '$." + path + "') FROM contacts");
  }
  std::string last_out() const {
    return loop.scalar(
        "SELECT kind || '|' || content FROM interactions WHERE direction = 'out' ORDER BY id "
        "DESC LIMIT 1");
  }
  int64_t used() const { return loop.count("SELECT used FROM subscription_usage"); }
};

}  // namespace

TEST_CASE("a seller is qualified by polls, valued from a photo burst once, and handed off") {
  job_loop loop(100);
  REQUIRE(loop.start({{"AIBUD_MERGE_PHOTO_WINDOW", "1500ms"}}));
  lead_view v{loop};

  // A greeting: a model reply, nothing else.
  REQUIRE(loop.post(said("L-1", "Hi there")) == 200);
  REQUIRE(loop.wait_settled(1));
  CHECK(v.status() == "new");
  CHECK(v.last_out().rfind("text|", 0) == 0);
  CHECK(v.used() == 1);

  // A seller: the reply and the property_type poll; the poll is open under its key.id.
  REQUIRE(loop.post(said("L-2", "I want to sell my apartment")) == 200);
  REQUIRE(loop.wait_settled(2));
  CHECK(v.status() == "qualified");
  const std::string poll_out = v.last_out();
  REQUIRE(poll_out.rfind("poll|", 0) == 0);
  auto poll = nlohmann::json::parse(poll_out.substr(5));
  CHECK(poll.at("name") == "What kind of property is it?");
  CHECK(poll.at("options") == nlohmann::json::array({"Apartment", "House", "Land", "Commercial"}));
  const std::string first_key = v.open_poll("message_id");
  CHECK(first_key ==
        loop.scalar("SELECT wa_message_id FROM sent_messages WHERE step = 'act.1' AND job_id = 2"));
  CHECK(v.used() == 3);  // 1 + a reply and a poll

  // A vote on it: the bedrooms poll, no model call.
  REQUIRE(loop.post_event(vote("L-3", first_key, "Apartment")).status == 200);
  REQUIRE(loop.wait_settled(3));
  CHECK(v.open_poll("poll") == "bedrooms");
  CHECK(loop.scalar("SELECT kind || '|' || content FROM interactions WHERE job_id = 3 AND "
                    "direction = 'in'") == "poll_vote|Apartment");
  CHECK(v.open_poll("message_id") != first_key);

  // A text naming an option counts as the vote (servers that never deliver votes).
  REQUIRE(loop.post(said("L-4", "2 bedrooms")) == 200);
  REQUIRE(loop.wait_settled(4));
  CHECK(v.open_poll("poll") == "timeline");
  CHECK(v.open_poll("answers.bedrooms") == "two");
  REQUIRE(loop.post(said("L-5", "right now!")) == 200);
  REQUIRE(loop.wait_settled(5));
  CHECK(v.open_poll("poll") == "");
  CHECK(v.status() == "valuation_requested");
  CHECK(loop.count("SELECT COUNT(*) FROM audit_log WHERE action = 'lead.qualified'") == 1);
  const int64_t before_photos = v.used();

  // Three photos inside the window: one valuation, one reply, charged once.
  for (int i = 1; i <= 3; ++i)
    REQUIRE(loop.post_event(photo("PH-" + std::to_string(i), "room " + std::to_string(i))).status ==
            200);
  REQUIRE(loop.wait_settled(8, std::chrono::seconds(30)));
  CHECK(v.status() == "estimated");
  CHECK(v.used() == before_photos + 5);
  CHECK(loop.count("SELECT COUNT(*) FROM jobs WHERE status = 'merged'") == 2);
  CHECK(loop.count("SELECT COUNT(*) FROM interactions WHERE direction = 'in' AND kind = 'image'") ==
        3);
  CHECK(loop.count("SELECT COUNT(*) FROM interactions i JOIN jobs j ON j.id = i.job_id WHERE "
                   "i.direction = 'out' AND j.wa_message_id LIKE 'PH-%'") == 1);
  CHECK(loop.scalar("SELECT content FROM interactions WHERE direction = 'out' ORDER BY id DESC "
                    "LIMIT 1")
            .find("3 photos") != std::string::npos);
  CHECK(loop.count("SELECT COUNT(*) FROM credit_ledger c JOIN jobs j ON j.id = c.job_id WHERE "
                   "c.kind = 'commit' AND j.wa_message_id LIKE 'PH-%'") == 1);

  // Asking for a person: handed off, with the operator's audit entry; then silence.
  REQUIRE(loop.post(said("L-9", "I want to talk to a person")) == 200);
  REQUIRE(loop.wait_settled(9));
  CHECK(v.status() == "handed_off");
  CHECK(loop.scalar("SELECT status_before_handoff FROM contacts") == "estimated");
  CHECK(loop.count("SELECT COUNT(*) FROM audit_log WHERE action = 'contact.handoff'") == 1);
  const int64_t replies = loop.count("SELECT COUNT(*) FROM interactions WHERE direction = 'out'");
  REQUIRE(loop.post(said("L-10", "hello?")) == 200);
  REQUIRE(loop.wait_settled(10));
  CHECK(loop.count("SELECT COUNT(*) FROM interactions WHERE direction = 'out'") == replies);
  CHECK(loop.count("SELECT reserved FROM subscription_usage") == 0);
}

TEST_CASE("a burst of texts waiting for quiet survives a SIGKILL and is answered once") {
  job_loop loop(100);
  const std::map<std::string, std::string> env = {{"AIBUD_MERGE_QUIET_PERIOD", "2s"},
                                                  {"AIBUD_MERGE_MAX_WAIT", "10s"}};
  REQUIRE(loop.start(env));
  REQUIRE(loop.post(said("R-1", "hi")) == 200);
  REQUIRE(loop.post(said("R-2", "how much is my apartment worth?")) == 200);
  REQUIRE(wait_until([&] {
    return loop.count(
               "SELECT COUNT(*) FROM jobs WHERE status = 'waiting' AND last_error = "
               "'burst'") == 1 &&
           loop.count("SELECT COUNT(*) FROM jobs WHERE status = 'merged'") == 1;
  }));
  CHECK(loop.count("SELECT COUNT(*) FROM interactions WHERE direction = 'out'") == 0);
  loop.server()->kill(SIGKILL);
  loop.server()->wait();
  loop.stop();

  REQUIRE(loop.start(env));
  REQUIRE(loop.wait_settled(2, std::chrono::seconds(30)));
  CHECK(loop.rows("SELECT status FROM jobs ORDER BY id") ==
        std::vector<std::string>{"merged", "done"});
  CHECK(loop.scalar("SELECT merged_into FROM jobs WHERE id = 1") == "2");
  CHECK(loop.count("SELECT COUNT(*) FROM interactions WHERE direction = 'out'") == 1);
  CHECK(loop.count("SELECT COUNT(*) FROM sent_messages") == 1);
  CHECK(loop.count("SELECT COUNT(*) FROM credit_ledger WHERE kind = 'commit'") == 1);
  CHECK(loop.rows("SELECT content FROM interactions WHERE direction = 'in' ORDER BY id") ==
        std::vector<std::string>{"hi", "how much is my apartment worth?"});
  // The model got the burst as one turn.
  CHECK(loop.scalar("SELECT json_extract(context, '$[0].text') FROM contacts") ==
        "hi\nhow much is my apartment worth?");
}
