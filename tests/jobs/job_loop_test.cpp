// The job pipeline end to end (docs/jobs.md, ARCHITECTURE §3): webhooks in, replies recorded
// by a sandbox instance, credits charged, over a real `aibud serve` on loopback.
#include <signal.h>

#include <atomic>
#include <thread>

#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <doctest/doctest.h>

namespace doctest {
template <>
struct StringMaker<std::vector<std::string>> {
  static String convert(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += "[" + s + "] ";
    return out.c_str();
  }
};
}  // namespace doctest

#include "tests/jobs/job_loop.hpp"

using namespace aibud::testing;

namespace {

std::string phone(int n) {
  return "55119" + std::to_string(10000000 + n) + "@s.whatsapp.net";
}
std::string lid(int n) {
  return std::to_string(200000000000000 + n) + "@lid";
}

wa_message text(const std::string& id, int contact, const std::string& body) {
  wa_message m;
  m.id = id;
  m.remote_jid = phone(contact);
  m.remote_jid_alt = lid(contact);
  m.text = body;
  return m;
}

// Each row is "direction|content" of one contact's interactions in id order.
std::vector<std::string> transcript(job_loop& loop, const std::string& jid) {
  return loop.rows(
      "SELECT i.direction, i.content, i.job_id FROM interactions i JOIN contacts c ON c.id = "
      "i.contact_id WHERE c.jid = '" +
      jid + "' ORDER BY i.id");
}

}  // namespace

TEST_CASE("a text webhook gets exactly one reply, one charge and a done job") {
  job_loop loop(10);
  REQUIRE(loop.start());
  // A greeting: one text reply (a seller would get the property poll too, lead_flow_test).
  REQUIRE(loop.post(text("MSG-1", 1, "Olá, tudo bem?")) == 200);
  REQUIRE(loop.wait_settled(1));
  CHECK(loop.scalar("SELECT status FROM jobs") == "done");
  CHECK(loop.count("SELECT COUNT(*) FROM sent_messages WHERE job_id = 1") == 1);
  CHECK(loop.rows("SELECT direction FROM interactions ORDER BY id") ==
        std::vector<std::string>{"in", "out"});
  CHECK(loop.count("SELECT COUNT(*) FROM credit_ledger WHERE kind = 'commit'") == 1);
  CHECK(loop.count("SELECT used FROM subscription_usage") == 1);
  CHECK(loop.count("SELECT reserved FROM subscription_usage") == 0);
  CHECK(loop.scalar("SELECT status FROM contacts") == "new");
  const std::string m = loop.metrics();
  MESSAGE("metrics after one message:\n" << m.substr(m.find("aibud_storage_writes_total")));
}

TEST_CASE("the jobs of one contact run in arrival order while contacts run in parallel") {
  const int contacts = 20, per_contact = 10;
  job_loop loop(1000);
  REQUIRE(loop.start());
  std::atomic<int> accepted{0};
  std::vector<std::thread> posters;
  for (int c = 0; c < contacts; ++c)
    posters.emplace_back([&, c] {
      for (int i = 0; i < per_contact; ++i)
        if (loop.post(text("C" + std::to_string(c) + "-" + std::to_string(i), c,
                           "pergunta " + std::to_string(i))) == 200)
          ++accepted;
    });
  for (auto& t : posters) t.join();
  REQUIRE(accepted == contacts * per_contact);
  REQUIRE(loop.wait_settled(contacts * per_contact));
  CHECK(loop.count("SELECT COUNT(*) FROM jobs WHERE status = 'done'") == contacts * per_contact);
  CHECK(loop.count("SELECT COUNT(*) FROM sent_messages") == contacts * per_contact);
  for (int c = 0; c < contacts; ++c) {
    auto rows = transcript(loop, phone(c));
    REQUIRE(rows.size() == static_cast<size_t>(2 * per_contact));
    for (int i = 0; i < per_contact; ++i) {
      CHECK(rows[2 * i].rfind("in|pergunta " + std::to_string(i) + "|", 0) == 0);
      CHECK(rows[2 * i + 1].rfind("out|", 0) == 0);
    }
  }
  const std::string m = loop.metrics();
  MESSAGE("metrics after 200 messages:\n" << m.substr(m.find("aibud_storage_writes_total")));
}

TEST_CASE("no interleaving of contacts overspends a budget; the rest get one grace message") {
  const int contacts = 200, credits = 50;
  job_loop loop(credits);
  REQUIRE(loop.start());
  std::vector<std::thread> posters;
  std::atomic<int> accepted{0};
  for (int t = 0; t < 8; ++t)
    posters.emplace_back([&, t] {
      for (int c = t; c < contacts; c += 8)
        if (loop.post(text("B" + std::to_string(c), c, "quanto vale meu apartamento?")) == 200)
          ++accepted;
    });
  for (auto& t : posters) t.join();
  REQUIRE(accepted == contacts);
  REQUIRE(loop.wait_settled(contacts, std::chrono::seconds(120)));
  // A new lead's message holds 2 (a reply, and a poll it may start) and is charged 1: the
  // last credit alone cannot hold a reply, so it is left over.
  const int answered = credits - 1;
  CHECK(loop.count("SELECT COUNT(*) FROM jobs WHERE status = 'done'") == answered);
  CHECK(loop.count("SELECT COUNT(*) FROM jobs WHERE status = 'out_of_credits'") ==
        contacts - answered);
  CHECK(loop.count("SELECT SUM(amount) FROM credit_ledger WHERE kind = 'commit'") == answered);
  CHECK(loop.count("SELECT used FROM subscription_usage") == answered);
  CHECK(loop.count("SELECT reserved FROM subscription_usage") == 0);
  CHECK(loop.count("SELECT COUNT(*) FROM interactions WHERE agent = 'grace'") ==
        contacts - answered);
  CHECK(loop.count("SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM interactions WHERE agent = "
                   "'grace' GROUP BY contact_id)") == 1);
  CHECK(loop.count("SELECT COUNT(*) FROM audit_log WHERE action = 'credits.alert_80'") == 1);
  CHECK(loop.count("SELECT COUNT(*) FROM audit_log WHERE action = 'credits.alert_100'") == 1);
}

TEST_CASE("a contact out of credits gets the grace message only once per period") {
  job_loop loop(0);
  REQUIRE(loop.start());
  REQUIRE(loop.post(text("G1", 1, "oi")) == 200);
  REQUIRE(loop.wait_settled(1));
  REQUIRE(loop.post(text("G2", 1, "oi de novo")) == 200);
  REQUIRE(loop.wait_settled(2));
  CHECK(loop.rows("SELECT status FROM jobs ORDER BY id") ==
        std::vector<std::string>{"out_of_credits", "done"});
  CHECK(loop.count("SELECT COUNT(*) FROM sent_messages") == 1);
  CHECK(loop.count("SELECT COUNT(*) FROM credit_ledger") == 0);
}

TEST_CASE("after a SIGKILL at any step boundary every message has one reply and one charge") {
  for (std::string fault : {"start:2", "intent:2", "done:2", "start:1", "intent:1"}) {
    CAPTURE(fault);
    const int messages = 4;
    job_loop loop(100);
    REQUIRE(loop.start({{"AIBUD_TEST_FAULT", fault}}));
    for (int i = 0; i < messages; ++i)
      loop.post(text("K" + std::to_string(i), i % 2, "oi " + std::to_string(i)));
    REQUIRE(loop.server()->wait(std::chrono::seconds(30)) == -SIGKILL);
    REQUIRE(loop.start());
    // Evolution retries what was not acknowledged; repeats of acknowledged ones are duplicates.
    for (int i = 0; i < messages; ++i)
      REQUIRE(loop.post(text("K" + std::to_string(i), i % 2, "oi " + std::to_string(i))) == 200);
    REQUIRE(loop.wait_settled(messages));
    CHECK(loop.count("SELECT COUNT(*) FROM jobs WHERE status = 'done'") == messages);
    CHECK(loop.count("SELECT COUNT(*) FROM sent_messages") == messages);
    CHECK(loop.count(
              "SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM sent_messages GROUP BY job_id)") == 1);
    CHECK(loop.count("SELECT COUNT(*) FROM credit_ledger WHERE kind = 'commit'") == messages);
    CHECK(loop.count("SELECT used FROM subscription_usage") == messages);
    CHECK(loop.count("SELECT COUNT(*) FROM interactions WHERE direction = 'out'") == messages);
    for (int c = 0; c < 2; ++c) {
      auto rows = transcript(loop, phone(c));
      CAPTURE(rows);
      REQUIRE(rows.size() == 4);
      CHECK(rows[0].rfind("in|oi " + std::to_string(c) + "|", 0) == 0);
      CHECK(rows[2].rfind("in|oi " + std::to_string(c + 2) + "|", 0) == 0);
    }
  }
}

TEST_CASE("unfinished jobs the start-up could not read are read again once it can") {
  job_loop loop(10);
  REQUIRE(loop.start({{"AIBUD_TEST_FAULT", "start:1"}}));  // killed after the job's write (A)
  REQUIRE(loop.post(text("R1", 1, "oi")) == 200);
  REQUIRE(loop.server()->wait(std::chrono::seconds(30)) == -SIGKILL);
  // Another process holds the write lock while the server starts: its read of the unfinished
  // jobs fails (busy), and must be tried again rather than left for the next restart.
  SQLite::Database blocker(loop.db_path(), SQLite::OPEN_READWRITE);
  blocker.exec("BEGIN IMMEDIATE");
  REQUIRE(loop.start({{"AIBUD_STORAGE_BUSY_TIMEOUT", "50ms"}}));
  REQUIRE(wait_until([&] {
    return loop.server()->output().find("could not load unfinished jobs: retrying") !=
           std::string::npos;
  }));
  blocker.exec("ROLLBACK");
  REQUIRE(loop.wait_settled(1));
  CHECK(loop.scalar("SELECT status FROM jobs") == "done");
  CHECK(loop.count("SELECT COUNT(*) FROM sent_messages") == 1);
  CHECK(loop.count("SELECT COUNT(*) FROM credit_ledger WHERE kind = 'commit'") == 1);
}

TEST_CASE("a job that crashes its contact every time ends in the DLQ with its credits released") {
  job_loop loop(10);
  REQUIRE(loop.start({{"AIBUD_TEST_FAULT", "start:0:throw"}, {"AIBUD_JOBS_MAX_ATTEMPTS", "3"}}));
  REQUIRE(loop.post(text("P1", 1, "oi")) == 200);
  REQUIRE(loop.wait_settled(1, std::chrono::seconds(30)));
  CHECK(loop.scalar("SELECT status FROM jobs") == "failed");
  CHECK(loop.count("SELECT attempts FROM jobs") == 3);
  CHECK(loop.count("SELECT COUNT(*) FROM failed_jobs") == 1);
  CHECK(loop.count("SELECT reserved FROM subscription_usage") == 0);
  CHECK(loop.count("SELECT COUNT(*) FROM credit_ledger WHERE kind = 'release'") == 1);
  CHECK(loop.count("SELECT COUNT(*) FROM sent_messages") == 0);
  CHECK(loop.server()->running());
}

TEST_CASE("a business message pauses the contact and is never answered") {
  job_loop loop(10);
  REQUIRE(loop.start());
  wa_message business = text("BIZ-1", 1, "Oi Maria, aqui é o João da imobiliária");
  business.from_me = true;
  REQUIRE(loop.post(business) == 200);
  REQUIRE(loop.wait_settled(1));
  REQUIRE(loop.post(text("AFTER-1", 1, "Oi João!")) == 200);
  REQUIRE(loop.wait_settled(2));
  CHECK(loop.rows("SELECT status FROM jobs ORDER BY id") ==
        std::vector<std::string>{"done", "done"});
  CHECK(loop.count("SELECT COUNT(*) FROM contacts WHERE paused_until > 0") == 1);
  CHECK(loop.count("SELECT COUNT(*) FROM sent_messages") == 0);
  CHECK(loop.count("SELECT COUNT(*) FROM credit_ledger") == 0);
  CHECK(loop.count("SELECT COUNT(*) FROM interactions") == 2);
}

TEST_CASE("a backlog older than max_message_age is recorded and skipped, not answered") {
  job_loop loop(10);
  REQUIRE(loop.start({{"AIBUD_JOBS_MAX_MESSAGE_AGE", "15m"}}));
  wa_message old = text("OLD-1", 1, "oi, alguém aí?");
  old.timestamp_s = std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count() -
                    3600;
  REQUIRE(loop.post(old) == 200);
  REQUIRE(loop.wait_settled(1));
  CHECK(loop.scalar("SELECT status FROM jobs") == "skipped");
  CHECK(loop.count("SELECT COUNT(*) FROM interactions WHERE direction = 'in'") == 1);
  CHECK(loop.count("SELECT COUNT(*) FROM sent_messages") == 0);
  CHECK(loop.count("SELECT COUNT(*) FROM credit_ledger") == 0);
}

TEST_CASE("a LID-only message and then a phone+LID message of one person make one contact") {
  job_loop loop(10);
  REQUIRE(loop.start());
  wa_message first;
  first.id = "LID-1";
  first.remote_jid = lid(7);
  first.text = "primeira";
  wa_message second = text("LID-2", 7, "segunda");
  REQUIRE(loop.post(first) == 200);
  REQUIRE(loop.post(second) == 200);
  REQUIRE(loop.wait_settled(2));
  CHECK(loop.count("SELECT COUNT(*) FROM contacts") == 1);
  CHECK(loop.scalar("SELECT jid FROM contacts") == phone(7));
  CHECK(loop.count("SELECT COUNT(*) FROM contact_aliases") == 2);
  auto rows = transcript(loop, phone(7));
  REQUIRE(rows.size() == 4);
  CHECK(rows[0].rfind("in|primeira|", 0) == 0);
  CHECK(rows[1].rfind("out|", 0) == 0);
  CHECK(rows[2].rfind("in|segunda|", 0) == 0);
  CHECK(rows[3].rfind("out|", 0) == 0);
}

TEST_CASE("a contact idle past its timeout still answers the next message with its history") {
  job_loop loop(10);
  REQUIRE(loop.start({{"AIBUD_CONTACTS_IDLE_TIMEOUT", "50ms"}}));
  REQUIRE(loop.post(text("I1", 3, "oi")) == 200);
  REQUIRE(loop.wait_settled(1));
  REQUIRE(loop.post(text("I2", 3, "quero alugar")) == 200);
  REQUIRE(loop.wait_settled(2));
  CHECK(loop.count("SELECT COUNT(*) FROM sent_messages") == 3);  // a reply; a reply and a poll
  // The second request carried the first exchange: the context window holds all four turns.
  CHECK(loop.scalar("SELECT json_array_length(context) FROM contacts") == "4");
}

TEST_CASE("a message naming only the instance's own number ends in the DLQ, not pending forever") {
  job_loop loop(10);
  REQUIRE(loop.start());
  wa_message self_chat;
  self_chat.id = "SELF-1";
  self_chat.remote_jid = "5511900000000@s.whatsapp.net";  // the envelope's `sender`
  self_chat.text = "nota para mim";
  REQUIRE(loop.post(self_chat) == 200);
  REQUIRE(loop.post(text("NEXT-1", 1, "oi")) == 200);
  REQUIRE(loop.wait_settled(2));
  CHECK(loop.rows("SELECT status FROM jobs ORDER BY id") ==
        std::vector<std::string>{"failed", "done"});
  CHECK(loop.count("SELECT COUNT(*) FROM failed_jobs") == 1);
}
