// Per-contact order under load (ARCHITECTURE §3.3): many contacts post many messages at once,
// interleaved across threads, through `aibud serve` to the fake Evolution API on loopback.
// Each contact's replies must follow its own messages' order, and every message is answered
// exactly once.
#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "tests/jobs/job_loop.hpp"
#include "tests/support/fake_evolution.hpp"

using namespace aibud::testing;

namespace {

#if defined(__SANITIZE_ADDRESS__)
// ASan runs the server several times slower; the shape of the load stays the same.
constexpr int contacts = 50, per_contact = 10;
#else
constexpr int contacts = 100, per_contact = 20;
#endif
constexpr int posters = 8;

std::string phone(int n) {
  return "55116" + std::to_string(10000000 + n) + "@s.whatsapp.net";
}

// Rows "key|value" grouped by key, in row order.
std::map<std::string, std::vector<std::string>> grouped(const std::vector<std::string>& rows) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& r : rows) {
    auto bar = r.find('|');
    out[r.substr(0, bar)].push_back(r.substr(bar + 1));
  }
  return out;
}

}  // namespace

TEST_CASE("under concurrent load each contact's replies follow its messages' order") {
  fake_evolution fake;
  // One credit more than the replies cost: every message holds 2 (a new lead may be sent a
  // poll) and is charged 1, so the last one needs 2 available.
  job_loop loop(contacts * per_contact + 1,
                evolution_instance{fake.base_url(), fake.config().instance_token});
  REQUIRE(loop.start({{"AIBUD_BREAKER_FAILURES", "1000"}}));

  // Thread t posts for contacts t, t+8, ...: message i of each of its contacts, then i+1, so
  // contacts interleave within a thread and across threads, while one contact's messages
  // leave in order.
  std::atomic<int> accepted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < posters; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < per_contact; ++i)
        for (int c = t; c < contacts; c += posters) {
          wa_message m;
          m.id = "ORD-" + std::to_string(c) + "-" + std::to_string(i);
          m.remote_jid = phone(c);
          m.text = "pergunta " + std::to_string(i);
          if (loop.post(m) == 200) ++accepted;
        }
    });
  for (auto& t : threads) t.join();
  const int total = contacts * per_contact;
  REQUIRE(accepted == total);
  REQUIRE(loop.wait_settled(total, std::chrono::seconds(180)));
  CHECK(loop.count("SELECT COUNT(*) FROM jobs WHERE status = 'done'") == total);
  CHECK(loop.count("SELECT COUNT(*) FROM sent_messages") == total);
  CHECK(loop.count("SELECT COUNT(*) FROM credit_ledger WHERE kind = 'commit'") == total);

  // What Evolution received, per number, in the order it received it.
  std::map<std::string, std::vector<std::string>> received;
  for (const auto& r : fake.stored("acme-bot")) received[r.remote_jid].push_back(r.key_id);
  CHECK(fake.requests_to("/message/sendText/").size() == static_cast<size_t>(total));
  REQUIRE(received.size() == static_cast<size_t>(contacts));

  // What aibud recorded: each contact's sends in job (arrival) order, and its transcript.
  auto sent = grouped(loop.rows(
      "SELECT c.jid, s.wa_message_id FROM sent_messages s JOIN contacts c ON c.id = s.contact_id "
      "ORDER BY c.jid, s.job_id"));
  auto transcripts = grouped(loop.rows(
      "SELECT c.jid, i.direction, i.content FROM interactions i JOIN contacts c ON c.id = "
      "i.contact_id ORDER BY c.jid, i.id"));
  int out_of_order = 0;
  for (int c = 0; c < contacts; ++c) {
    const std::string jid = phone(c);
    CAPTURE(jid);
    CHECK(received[jid].size() == static_cast<size_t>(per_contact));
    if (received[jid] != sent[jid]) ++out_of_order;
    const auto& rows = transcripts[jid];
    REQUIRE(rows.size() == static_cast<size_t>(2 * per_contact));
    for (int i = 0; i < per_contact; ++i) {
      if (rows[2 * i] != "in|pergunta " + std::to_string(i)) ++out_of_order;
      if (rows[2 * i + 1].rfind("out|", 0) != 0) ++out_of_order;
    }
  }
  CHECK(out_of_order == 0);
}
