// The job loop against a real Evolution-kind instance (ARCHITECTURE §3.4, §3.6, §3.7): `aibud
// serve` as a child process sends through the fake Evolution API on loopback, so what goes
// over the wire (routes, `apikey`, bodies) and how upstream failures are handled are checked
// end to end, together with what the database recorded.
#include <signal.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "tests/jobs/job_loop.hpp"
#include "tests/support/fake_evolution.hpp"

using namespace aibud::testing;

namespace {

const char* const send_text = "/message/sendText/";
const char* const find_messages = "/chat/findMessages/";

std::string digits(int n) {
  return "55117" + std::to_string(10000000 + n);
}
std::string phone(int n) {
  return digits(n) + "@s.whatsapp.net";
}

wa_message text(const std::string& id, int contact, const std::string& body) {
  return text_from(id, phone(contact), body);
}

// The fake's instance, and a loop whose `acme-bot` is an Evolution instance pointing at it
// with the instance's own token as its API key.
struct world {
  fake_evolution fake;
  job_loop loop{100, evolution_instance{fake.base_url(), fake.config().instance_token}};
};

// Short retries, and a breaker that a test opens only when it means to.
std::map<std::string, std::string> fast(std::map<std::string, std::string> extra = {}) {
  std::map<std::string, std::string> env{{"AIBUD_BREAKER_FAILURES", "1000"},
                                         {"AIBUD_BREAKER_COOLDOWN", "100ms"}};
  for (auto& [k, v] : extra) env[k] = v;
  return env;
}

// The sendText requests that were answered 201 (the ones Evolution delivered).
std::vector<recorded_request> delivered(const fake_evolution& fake) {
  std::vector<recorded_request> out;
  for (auto& r : fake.requests_to(send_text))
    if (r.status == 201) out.push_back(r);
  return out;
}

std::string admin_token(job_loop& loop) {
  auto r = loop.cli({"token", "create", "--role", "admin", "--json"});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  return nlohmann::json::parse(r.out).at("token").get<std::string>();
}

}  // namespace

TEST_CASE("a text webhook on an Evolution instance sends one sendText with its apikey") {
  world w;
  REQUIRE(w.loop.start(fast()));
  // A greeting: one text reply (a seller would get the property poll too).
  REQUIRE(w.loop.post(text("EVO-1", 1, "Olá, tudo bem?")) == 200);
  REQUIRE(w.loop.wait_settled(1));
  CHECK(w.loop.scalar("SELECT status FROM jobs") == "done");

  // The key was given through the environment and is not stored in clear.
  CHECK(w.loop.scalar("SELECT api_key FROM instances").find(w.fake.config().instance_token) ==
        std::string::npos);

  auto sends = w.fake.requests_to(send_text);
  REQUIRE(sends.size() == 1);
  const recorded_request& s = sends[0];
  CHECK(s.method == "POST");
  CHECK(s.path == "/message/sendText/acme-bot");
  CHECK(s.header("apikey") == w.fake.config().instance_token);
  CHECK(s.status == 201);
  const nlohmann::json body = s.json();
  REQUIRE(body.is_object());
  REQUIRE(body.contains("number"));
  const std::string number = body["number"].get<std::string>();
  CHECK((number == phone(1) || number == digits(1)));
  const std::string reply = w.loop.scalar("SELECT content FROM interactions WHERE direction='out'");
  CHECK(!reply.empty());
  CHECK(body.value("text", "") == reply);

  // The reply's key.id is what the fake stored and what aibud recorded.
  auto stored = w.fake.stored("acme-bot");
  REQUIRE(stored.size() == 1);
  CHECK(stored[0].remote_jid == phone(1));
  CHECK(w.loop.scalar("SELECT wa_message_id FROM sent_messages WHERE job_id = 1") ==
        stored[0].key_id);
  CHECK(w.loop.count("SELECT COUNT(*) FROM credit_ledger WHERE kind = 'commit'") == 1);
  CHECK(w.loop.count("SELECT used FROM subscription_usage") == 1);

  // Evolution echoes our own send as a fromMe message with its key.id: not a takeover.
  nlohmann::json envelope = {
      {"event", "messages.upsert"},
      {"instance", "acme-bot"},
      {"data",
       {{"key", {{"remoteJid", phone(1)}, {"fromMe", true}, {"id", stored[0].key_id}}},
        {"pushName", "Loja"},
        {"status", "SERVER_ACK"},
        {"message", {{"conversation", reply}}},
        {"messageType", "conversation"},
        {"messageTimestamp", stored[0].timestamp_s},
        {"source", "web"}}},
      {"date_time", "2025-12-05T10:15:34.102Z"},
      {"sender", "5511900000000@s.whatsapp.net"}};
  auto answer = w.loop.post_event(envelope);
  REQUIRE(answer.status == 200);
  auto answered = nlohmann::json::parse(answer.body, nullptr, false);
  CHECK(answered.value("status", "") == "ignored");
  CHECK(answered.value("reason", "") == "own_send");
  CHECK(w.loop.count("SELECT COUNT(*) FROM contacts WHERE paused_until > 0") == 0);

  // The contact is still answered by the agent.
  REQUIRE(w.loop.post(text("EVO-2", 1, "Ainda está aí?")) == 200);
  REQUIRE(w.loop.wait_settled(2));
  CHECK(w.loop.rows("SELECT status FROM jobs ORDER BY id") ==
        std::vector<std::string>{"done", "done"});
  CHECK(delivered(w.fake).size() == 2);
  CHECK(w.loop.count("SELECT COUNT(*) FROM sent_messages") == 2);
  CHECK(w.loop.count("SELECT COUNT(*) FROM contacts WHERE paused_until > 0") == 0);
}

TEST_CASE("a SIGKILL after Evolution answered a send is reconciled through findMessages") {
  world w;
  REQUIRE(w.loop.start(fast({{"AIBUD_TEST_FAULT", "sent:1"}})));
  const wa_message m = text("KILL-1", 2, "quanto vale meu apartamento?");
  REQUIRE(w.loop.post(m) == 200);
  REQUIRE(w.loop.server()->wait(std::chrono::seconds(30)) == -SIGKILL);
  // The fake delivered the reply; aibud died before recording it.
  REQUIRE(delivered(w.fake).size() == 1);
  REQUIRE(w.loop.count("SELECT COUNT(*) FROM sent_messages") == 0);

  REQUIRE(w.loop.start(fast()));
  REQUIRE(w.loop.post(m) == 200);  // Evolution's retry of an acknowledged event: a duplicate
  REQUIRE(w.loop.wait_settled(1));
  CHECK(w.loop.scalar("SELECT status FROM jobs") == "done");

  auto lookups = w.fake.requests_to(find_messages);
  REQUIRE(!lookups.empty());
  CHECK(lookups[0].path == "/chat/findMessages/acme-bot");
  CHECK(lookups[0].header("apikey") == w.fake.config().instance_token);
  CHECK(lookups[0].status == 200);

  CHECK(w.fake.requests_to(send_text).size() == 1);
  auto stored = w.fake.stored("acme-bot");
  REQUIRE(stored.size() == 1);
  CHECK(w.loop.count("SELECT COUNT(*) FROM sent_messages") == 1);
  CHECK(w.loop.scalar("SELECT wa_message_id FROM sent_messages") == stored[0].key_id);
  CHECK(w.loop.count("SELECT COUNT(*) FROM interactions WHERE direction = 'out'") == 1);
  CHECK(w.loop.count("SELECT COUNT(*) FROM credit_ledger WHERE kind = 'commit'") == 1);
  CHECK(w.loop.count("SELECT used FROM subscription_usage") == 1);
  CHECK(w.loop.count("SELECT reserved FROM subscription_usage") == 0);
}

TEST_CASE("a send killed before it went out is not taken for the same words sent just before") {
  world w;
  REQUIRE(w.loop.start(fast({{"AIBUD_TEST_FAULT", "intent:2"}})));
  REQUIRE(w.loop.post(text("SAME-1", 3, "Olá, quero fazer um pedido")) == 200);
  REQUIRE(w.loop.wait_settled(1));
  // A second apart, as a lead writes, well inside the window findMessages is asked for.
  const auto first_done = std::chrono::system_clock::time_point(
      std::chrono::milliseconds(w.loop.count("SELECT max(updated_at) FROM jobs")));
  REQUIRE(wait_until(
      [&] { return std::chrono::system_clock::now() >= first_done + std::chrono::seconds(1); }));
  const wa_message again = text("SAME-2", 3, "Olá, quero fazer um pedido");
  REQUIRE(w.loop.post(again) == 200);
  // Killed with the second reply's intent saved and nothing sent: the same words as the first
  // reply, which Evolution holds and findMessages will show.
  REQUIRE(w.loop.server()->wait(std::chrono::seconds(30)) == -SIGKILL);
  REQUIRE(delivered(w.fake).size() == 1);

  REQUIRE(w.loop.start(fast()));
  REQUIRE(w.loop.post(again) == 200);
  REQUIRE(w.loop.wait_settled(2));
  CHECK_FALSE(w.fake.requests_to(find_messages).empty());
  auto sent = delivered(w.fake);
  REQUIRE(sent.size() == 2);
  CHECK(nlohmann::json::parse(sent[0].body).at("text") ==
        nlohmann::json::parse(sent[1].body).at("text"));
  CHECK(w.loop.count("SELECT COUNT(DISTINCT wa_message_id) FROM sent_messages") == 2);
  CHECK(w.loop.count("SELECT COUNT(*) FROM interactions WHERE direction = 'out'") == 2);
  CHECK(w.loop.count("SELECT COUNT(*) FROM jobs WHERE status = 'done'") == 2);
}

TEST_CASE("a 503 storm opens the instance's breaker; jobs wait and are all answered once") {
  // The storm lasts until two half-open probes failed, so at least two cool-downs; without the
  // breaker ten jobs retrying 20-200 ms apart would have made many more calls by then.
  const int messages = 10, failures = 2;
  world w;
  REQUIRE(w.loop.start({{"AIBUD_BREAKER_FAILURES", std::to_string(failures)},
                        {"AIBUD_BREAKER_COOLDOWN", "500ms"},
                        {"AIBUD_JOBS_MAX_ATTEMPTS", "5"}}));
  w.fake.fail_next(scripted_reply::unavailable(), 1000000, send_text);

  // One job trips the breaker alone, so every later 503 is a half-open probe.
  REQUIRE(w.loop.post(text("S0", 0, "oi 0")) == 200);
  REQUIRE(wait_until([&] { return w.fake.answered(send_text, 503) >= failures; }));
  // The fake has answered; the breaker opens only once the runner has seen that answer, and
  // the job then waits for the breaker: post the others after that, not before.
  REQUIRE(wait_until([&] {
    return w.loop.count("SELECT COUNT(*) FROM jobs WHERE last_error = 'circuit_open'") > 0;
  }));
  for (int c = 1; c < messages; ++c)
    REQUIRE(w.loop.post(text("S" + std::to_string(c), c, "oi " + std::to_string(c))) == 200);
  // Two probes after it opened: at least two cool-downs of storm.
  REQUIRE(wait_until([&] { return w.fake.answered(send_text, 503) >= failures + 2; }));
  const auto storm = w.fake.answered(send_text, 503);
  CHECK(w.loop.count("SELECT COUNT(*) FROM failed_jobs") == 0);
  CHECK(w.loop.count("SELECT COUNT(*) FROM jobs WHERE status IN ('failed', 'done')") == 0);
  CHECK(w.loop.count("SELECT MAX(attempts) FROM jobs") < 5);
  CHECK(w.loop.count("SELECT COUNT(*) FROM jobs WHERE last_error = 'circuit_open'") > 0);
  // A breaker that let every waiting job through would have made ~10 calls per probe.
  CHECK(storm <= static_cast<std::size_t>(failures + 2 + 1));

  w.fake.clear_failures();
  REQUIRE(w.loop.wait_settled(messages));
  CHECK(w.loop.count("SELECT COUNT(*) FROM jobs WHERE status = 'done'") == messages);
  CHECK(w.loop.count("SELECT COUNT(*) FROM failed_jobs") == 0);
  auto sent = delivered(w.fake);
  CHECK(sent.size() == static_cast<size_t>(messages));
  std::set<std::string> numbers;
  for (auto& r : sent) numbers.insert(r.json().value("number", ""));
  CHECK(numbers.size() == static_cast<size_t>(messages));
  CHECK(w.loop.count("SELECT COUNT(*) FROM sent_messages") == messages);
  CHECK(w.loop.count("SELECT COUNT(*) FROM credit_ledger WHERE kind = 'commit'") == messages);
  // Attempts count only calls actually made: one per job that succeeded, one per 503.
  const auto failed_calls = static_cast<int64_t>(w.fake.answered(send_text, 503));
  CHECK(w.loop.count("SELECT SUM(attempts) FROM jobs") <= messages + failed_calls);
}

TEST_CASE("a send that keeps failing goes to the DLQ and its replay sends exactly once") {
  world w;
  REQUIRE(w.loop.start(fast({{"AIBUD_JOBS_MAX_ATTEMPTS", "3"}})));
  w.fake.fail_next(scripted_reply::unavailable(), 1000000, send_text);
  REQUIRE(w.loop.post(text("DLQ-1", 3, "bom dia, tudo bem?")) == 200);
  REQUIRE(w.loop.wait_settled(1));
  CHECK(w.loop.scalar("SELECT status FROM jobs") == "failed");
  CHECK(w.loop.count("SELECT attempts FROM jobs") == 3);
  CHECK(w.fake.answered(send_text, 503) == 3);
  CHECK(w.loop.count("SELECT COUNT(*) FROM failed_jobs") == 1);
  CHECK(w.loop.count("SELECT COUNT(*) FROM sent_messages") == 0);
  CHECK(w.loop.count("SELECT reserved FROM subscription_usage") == 0);
  CHECK(w.loop.count("SELECT used FROM subscription_usage") == 0);

  w.fake.clear_failures();
  const std::string id = w.loop.scalar("SELECT id FROM failed_jobs");
  auto replay = w.loop.cli({"dlq", "replay", id}, {{"AIBUD_TOKEN", admin_token(w.loop)}}, true);
  REQUIRE_MESSAGE(replay.exit_code == 0, replay.err);
  const bool done = wait_until([&] { return w.loop.scalar("SELECT status FROM jobs") == "done"; });
  if (!done)
    MESSAGE("after `" << replay.out << "` the job is "
                      << w.loop.scalar("SELECT status || ' attempts=' || attempts FROM jobs"));
  REQUIRE(done);
  REQUIRE(w.loop.wait_settled(1));
  CHECK(delivered(w.fake).size() == 1);
  CHECK(w.loop.count("SELECT COUNT(*) FROM sent_messages") == 1);
  CHECK(w.loop.count("SELECT COUNT(*) FROM interactions WHERE direction = 'out'") == 1);
  CHECK(w.loop.count("SELECT COUNT(*) FROM credit_ledger WHERE kind = 'commit'") == 1);
  CHECK(w.loop.count("SELECT used FROM subscription_usage") == 1);
  CHECK(w.loop.count("SELECT reserved FROM subscription_usage") == 0);
  CHECK(w.loop.count("SELECT COUNT(*) FROM failed_jobs") == 0);
}

TEST_CASE("a 401 holds the instance's jobs until a connection.update says it is open again") {
  // A long retry_max: only the open event, not a timer, may wake the held jobs in time.
  world w;
  REQUIRE(w.loop.start(fast({{"AIBUD_JOBS_RETRY_MAX", "10m"}})));
  w.fake.fail_next(scripted_reply::unauthorized(), 1000000, send_text);
  REQUIRE(w.loop.post(text("AUTH-1", 4, "oi")) == 200);
  REQUIRE(w.loop.post(text("AUTH-2", 5, "bom dia")) == 200);
  REQUIRE(
      wait_until([&] { return w.loop.scalar("SELECT state FROM instances") == "unauthorized"; }));
  REQUIRE(wait_until(
      [&] { return w.loop.count("SELECT COUNT(*) FROM jobs WHERE status = 'waiting'") == 2; }));
  CHECK(w.loop.count("SELECT COUNT(*) FROM failed_jobs") == 0);
  CHECK(w.loop.count("SELECT MAX(attempts) FROM jobs") <= 1);
  CHECK(w.fake.answered(send_text, 401) <= 2);
  CHECK(delivered(w.fake).empty());

  w.fake.clear_failures();
  nlohmann::json open =
      nlohmann::json::parse(read_file(std::string(AIBUD_SAMPLES_DIR) + "/connection-update.json"));
  REQUIRE(open["data"]["state"] == "open");
  auto answer = w.loop.post_event(open);
  REQUIRE(answer.status == 200);
  REQUIRE(wait_until([&] { return w.loop.scalar("SELECT state FROM instances") == "open"; }));
  REQUIRE(w.loop.wait_settled(2, std::chrono::seconds(20)));
  CHECK(w.loop.count("SELECT COUNT(*) FROM jobs WHERE status = 'done'") == 2);
  CHECK(delivered(w.fake).size() == 2);
  CHECK(w.loop.count("SELECT COUNT(*) FROM sent_messages") == 2);
  CHECK(w.loop.count("SELECT COUNT(*) FROM failed_jobs") == 0);
}

TEST_CASE("with reply.typing on, each text is preceded by a composing presence for its length") {
  world w;
  REQUIRE(w.loop.start(fast({{"AIBUD_REPLY_TYPING", "on"},
                             {"AIBUD_REPLY_TYPING_PER_CHAR", "1ms"},
                             {"AIBUD_REPLY_TYPING_MIN", "10ms"},
                             {"AIBUD_REPLY_TYPING_MAX", "2s"}})));
  REQUIRE(w.loop.post(text("TYPE-1", 3, "Olá, tudo bem?")) == 200);
  REQUIRE(w.loop.wait_settled(1));
  CHECK(w.loop.scalar("SELECT status FROM jobs") == "done");

  std::vector<std::string> order;
  for (const auto& r : w.fake.requests())
    if (r.path.rfind("/chat/sendPresence/", 0) == 0 || r.path.rfind(send_text, 0) == 0)
      order.push_back(r.path);
  CHECK(order ==
        std::vector<std::string>{"/chat/sendPresence/acme-bot", "/message/sendText/acme-bot"});

  auto presences = w.fake.requests_to("/chat/sendPresence/");
  REQUIRE(presences.size() == 1);
  const nlohmann::json body = presences[0].json();
  CHECK(presences[0].header("apikey") == w.fake.config().instance_token);
  CHECK(presences[0].status == 201);
  CHECK(body.value("presence", "") == "composing");
  const std::string number = body.value("number", "");
  CHECK((number == phone(3) || number == digits(3)));
  // One millisecond per character of the reply (UTF-8 characters, not bytes).
  const std::string reply = w.loop.scalar("SELECT content FROM interactions WHERE direction='out'");
  int64_t chars = 0;
  for (unsigned char c : reply) chars += (c & 0xC0) != 0x80;
  REQUIRE(chars > 10);
  CHECK(body.value("delay", int64_t{0}) == chars);
  // A presence is a look, not a message: nothing recorded, nothing charged for it.
  CHECK(w.loop.count("SELECT COUNT(*) FROM sent_messages") == 1);
  CHECK(w.loop.count("SELECT used FROM subscription_usage") == 1);
}

TEST_CASE("typing presence is off by default and a refused presence does not stop the reply") {
  SUBCASE("off by default") {
    world w;
    REQUIRE(w.loop.start(fast()));
    REQUIRE(w.loop.post(text("TYPE-2", 4, "Olá, tudo bem?")) == 200);
    REQUIRE(w.loop.wait_settled(1));
    CHECK(w.fake.requests_to("/chat/sendPresence/").empty());
    CHECK(delivered(w.fake).size() == 1);
  }
  SUBCASE("a 500 on sendPresence") {
    world w;
    w.fake.fail_next(scripted_reply::evolution_error(500, "Connection Closed"), 1,
                     "/chat/sendPresence/");
    REQUIRE(w.loop.start(fast({{"AIBUD_REPLY_TYPING", "on"},
                               {"AIBUD_REPLY_TYPING_PER_CHAR", "1ms"},
                               {"AIBUD_REPLY_TYPING_MIN", "10ms"}})));
    REQUIRE(w.loop.post(text("TYPE-3", 5, "Olá, tudo bem?")) == 200);
    REQUIRE(w.loop.wait_settled(1));
    CHECK(w.loop.scalar("SELECT status FROM jobs") == "done");
    CHECK(w.fake.answered("/chat/sendPresence/", 500) == 1);
    CHECK(delivered(w.fake).size() == 1);
    CHECK(w.loop.count("SELECT attempts FROM jobs") == 1);
  }
}

TEST_CASE("a SIGKILL after a sendPoll answered is reconciled through findMessages: one poll") {
  world w;
  // A seller gets a text and the property-type poll: the second send is the poll.
  REQUIRE(w.loop.start(fast({{"AIBUD_TEST_FAULT", "sent:2"}})));
  const wa_message m = text("KILL-POLL", 6, "quero vender meu apartamento");
  REQUIRE(w.loop.post(m) == 200);
  REQUIRE(w.loop.server()->wait(std::chrono::seconds(30)) == -SIGKILL);
  REQUIRE(w.fake.answered("/message/sendPoll/", 201) == 1);
  REQUIRE(delivered(w.fake).size() == 1);
  REQUIRE(w.loop.count("SELECT COUNT(*) FROM sent_messages") == 0);

  REQUIRE(w.loop.start(fast()));
  REQUIRE(w.loop.wait_settled(1));
  CHECK(w.loop.scalar("SELECT status FROM jobs") == "done");
  CHECK(!w.fake.requests_to(find_messages).empty());
  // Neither the text nor the poll went out twice, and both are recorded under their key.id.
  CHECK(w.fake.requests_to("/message/sendPoll/").size() == 1);
  CHECK(w.fake.requests_to(send_text).size() == 1);
  auto stored = w.fake.stored("acme-bot");
  REQUIRE(stored.size() == 2);
  std::set<std::string> keys;
  for (const auto& s : stored) keys.insert(s.key_id);
  CHECK(keys.size() == 2);
  std::set<std::string> recorded;
  for (const auto& k : w.loop.rows("SELECT wa_message_id FROM sent_messages")) recorded.insert(k);
  CHECK(recorded == keys);
  // The open poll is the one that went out (its key.id matches votes).
  const std::string poll_key =
      w.loop.scalar("SELECT wa_message_id FROM sent_messages WHERE step = 'act.1'");
  CHECK(w.loop.scalar("SELECT open_poll FROM contacts").find(poll_key) != std::string::npos);
  CHECK(w.loop.count("SELECT COUNT(*) FROM credit_ledger WHERE kind = 'commit'") == 1);
}
