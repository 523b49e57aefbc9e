// Passivation (ARCHITECTURE §2): thousands of contacts each activated by one message go back
// to zero live contact actors once idle, and their state, kept in SQLite, answers their next
// message. 10,000 contacts; under ASan 1,000 unless AIBUD_TEST_SOAK=1 asks for the full size.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "tests/jobs/job_loop.hpp"

using namespace aibud::testing;

namespace {

constexpr int posters = 8;

int contact_count() {
#if defined(__SANITIZE_ADDRESS__)
  const char* soak = std::getenv("AIBUD_TEST_SOAK");
  return soak && std::string(soak) == "1" ? 10000 : 1000;
#else
  return 10000;
#endif
}

std::string phone(int n) {
  return "55115" + std::to_string(10000000 + n) + "@s.whatsapp.net";
}

// Posts message `round` of every contact in [0, n) whose number is a multiple of `step`.
int post_round(job_loop& loop, int n, int step, int round, const std::string& body) {
  std::atomic<int> accepted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < posters; ++t)
    threads.emplace_back([&, t] {
      for (int c = t * step; c < n; c += posters * step) {
        wa_message m;
        m.id = "PAS-" + std::to_string(c) + "-" + std::to_string(round);
        m.remote_jid = phone(c);
        m.text = body;
        if (loop.post(m) == 200) ++accepted;
      }
    });
  for (auto& t : threads) t.join();
  return accepted;
}

}  // namespace

TEST_CASE("thousands of idle contacts are passivated to zero and their state survives") {
  const int n = contact_count();
  const int step = n / 20;  // every step-th contact writes again
  job_loop loop(2 * n);
  REQUIRE(loop.start({{"AIBUD_CONTACTS_IDLE_TIMEOUT", "1s"}}));

  REQUIRE(post_round(loop, n, 1, 1, "oi, tudo bem?") == n);
  // Contacts that just answered are still alive: passivation is what brings them down.
  CHECK(loop.active_contacts() > 0);
  REQUIRE(loop.wait_settled(n, std::chrono::seconds(300)));
  CHECK(loop.count("SELECT COUNT(*) FROM jobs WHERE status = 'done'") == n);
  CHECK(loop.count("SELECT COUNT(*) FROM contacts") == n);
  REQUIRE(wait_until([&] { return loop.active_contacts() == 0; }, std::chrono::seconds(120)));
  // What each contact was left with is in its row.
  CHECK(loop.count("SELECT COUNT(*) FROM contacts WHERE json_array_length(context) = 2") == n);
  const std::string status_after_first = loop.scalar("SELECT status FROM contacts LIMIT 1");
  CHECK(loop.count("SELECT COUNT(*) FROM contacts WHERE status = '" + status_after_first + "'") ==
        n);

  REQUIRE(post_round(loop, n, step, 2, "e quanto custa a avaliação?") == 20);
  REQUIRE(loop.wait_settled(n + 20, std::chrono::seconds(120)));
  CHECK(loop.count("SELECT COUNT(*) FROM jobs WHERE status = 'done'") == n + 20);
  // The second answer was made with the first exchange in context: four turns now.
  CHECK(loop.count("SELECT COUNT(*) FROM contacts WHERE json_array_length(context) = 4") == 20);
  for (int c = 0; c < n; c += step) {
    CAPTURE(c);
    auto rows = loop.rows(
        "SELECT i.direction, i.content FROM interactions i JOIN contacts c ON c.id = "
        "i.contact_id WHERE c.jid = '" +
        phone(c) + "' ORDER BY i.id");
    REQUIRE(rows.size() == 4);
    CHECK(rows[0] == "in|oi, tudo bem?");
    CHECK(rows[2] == "in|e quanto custa a avaliação?");
  }
  REQUIRE(wait_until([&] { return loop.active_contacts() == 0; }, std::chrono::seconds(60)));
}

TEST_CASE("a contact is passivated an idle timeout after its last job, not after its first") {
  using clock = std::chrono::system_clock;
  const auto timeout = std::chrono::milliseconds(1500);
  const auto ms = [](clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  };
  job_loop loop(10);
  REQUIRE(loop.start({{"AIBUD_CONTACTS_IDLE_TIMEOUT", "1500ms"}}));
  wa_message m;
  m.remote_jid = phone(1);
  m.id = "IDLE-1";
  m.text = "Oi";
  REQUIRE(loop.post(m) == 200);
  REQUIRE(loop.wait_settled(1));
  const int64_t first_done = loop.count("SELECT max(updated_at) FROM jobs");
  // The second message comes while the timer set after the first job is still running.
  const auto later = clock::time_point(std::chrono::milliseconds(first_done)) + timeout / 2;
  REQUIRE(wait_until([&] { return clock::now() >= later; }));
  m.id = "IDLE-2";
  m.text = "Quero vender";
  REQUIRE(loop.post(m) == 200);
  REQUIRE(loop.wait_settled(2));
  const int64_t last_done = loop.count("SELECT max(updated_at) FROM jobs");
  REQUIRE(wait_until([&] { return loop.active_contacts() == 0; }, std::chrono::seconds(30)));
  CHECK(ms(clock::now()) - last_done >= timeout.count());
}
