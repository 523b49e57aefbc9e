// Many concurrent deliveries: deduplication under races (ARCHITECTURE §3.2) and the answers
// of a full writer queue (503 overloaded, never an acknowledgement without a commit).
#include <doctest/doctest.h>

#include <algorithm>
#include <mutex>
#include <random>
#include <set>

#include "tests/intake/intake_support.hpp"

using aibud::testing::has_status;
using aibud::testing::http_response;
using aibud::testing::intake_server;
using aibud::testing::is_error;
using aibud::testing::json_body;
using aibud::testing::server_env;
using aibud::testing::text_message;
using aibud::testing::thread_group;
using aibud::testing::wait_until;

namespace {

// wa_message_id → job id of every row whose id starts with `prefix`.
std::map<std::string, std::int64_t> jobs_with_prefix(const intake_server& s,
                                                     const std::string& prefix) {
  std::map<std::string, std::int64_t> out;
  auto rows =
      s.query("SELECT id, wa_message_id FROM jobs WHERE wa_message_id LIKE '" + prefix + "%'");
  for (const auto& row : rows)
    out[row["wa_message_id"].get<std::string>()] = row["id"].get<std::int64_t>();
  return out;
}

std::int64_t job_of(const http_response& r) {
  auto body = json_body(r);
  return body.is_object() && body.contains("job") ? body["job"].get<std::int64_t>() : 0;
}

}  // namespace

TEST_CASE("1,000 concurrent posts of 200 messages give 200 accepted, 800 duplicates, 200 jobs") {
  intake_server s;
  s.start();
  constexpr int messages = 200;
  constexpr int copies = 5;
  constexpr int threads = 32;
  std::vector<std::string> ids, bodies;
  for (int m = 0; m < messages; ++m) {
    ids.push_back("DEDUP-" + std::to_string(m));
    bodies.push_back(text_message(ids.back()));
  }
  std::vector<int> order;
  for (int m = 0; m < messages; ++m)
    for (int c = 0; c < copies; ++c) order.push_back(m);
  std::shuffle(order.begin(), order.end(), std::mt19937(7));

  std::vector<http_response> answers(order.size());
  std::atomic<std::size_t> next{0};
  {
    thread_group group;
    group.spawn(threads, [&](int) {
      for (std::size_t k; (k = next++) < order.size();) answers[k] = s.post(bodies[order[k]]);
    });
    group.join();
  }

  int accepted = 0, duplicate = 0, other = 0;
  std::map<std::string, std::int64_t> acked;  // message id → job id of its acceptance
  std::set<std::int64_t> job_ids;
  for (std::size_t k = 0; k < order.size(); ++k) {
    const auto& r = answers[k];
    if (has_status(r, "accepted")) {
      ++accepted;
      job_ids.insert(job_of(r));
      CHECK(acked.emplace(ids[order[k]], job_of(r)).second);  // accepted once per message
    } else if (has_status(r, "duplicate")) {
      ++duplicate;
    } else {
      ++other;
    }
  }
  CHECK(accepted == messages);
  CHECK(duplicate == messages * (copies - 1));
  CHECK(other == 0);
  CHECK(job_ids.size() == static_cast<std::size_t>(messages));
  CHECK(s.job_count() == messages);
  CHECK(jobs_with_prefix(s, "DEDUP-") == acked);
}

TEST_CASE("a full writer queue answers 503 overloaded with Retry-After and never acks unstored") {
  intake_server s(server_env{{"AIBUD_WRITER_QUEUE_LIMIT", "1"}});
  s.start();
  constexpr int threads = 32;
  constexpr int min_posts = 20;   // per thread
  constexpr int max_posts = 300;  // per thread, should the queue never fill
  struct outcome {
    std::string id;
    http_response answer;
  };
  std::vector<std::vector<outcome>> results(threads);
  std::atomic<bool> saw_overloaded{false};
  {
    thread_group group;
    group.spawn(threads, [&](int t) {
      for (int k = 0; k < max_posts && !group.stopping(); ++k) {
        if (k >= min_posts && saw_overloaded) break;
        std::string id = "OVER-" + std::to_string(t) + "-" + std::to_string(k);
        auto r = s.post(text_message(id));
        if (r.status == 503) saw_overloaded = true;
        results[t].push_back({id, std::move(r)});
      }
    });
    group.join();
  }

  std::map<std::string, std::int64_t> acked;
  std::vector<std::string> refused;
  int malformed = 0;
  for (const auto& per_thread : results) {
    for (const auto& [id, r] : per_thread) {
      if (has_status(r, "accepted") || has_status(r, "duplicate")) {
        if (has_status(r, "accepted")) acked[id] = job_of(r);
      } else if (is_error(r, 503, "overloaded") && !r.header("Retry-After").empty()) {
        refused.push_back(id);
      } else {
        ++malformed;
        CAPTURE(r.status);
        CAPTURE(r.body);
        CAPTURE(r.error);
        CHECK_MESSAGE(false, "an answer that is neither an acknowledgement nor 503 overloaded");
      }
    }
  }
  CHECK(malformed == 0);
  REQUIRE_MESSAGE(!refused.empty(), "the queue of one never filled");
  CHECK(!acked.empty());
  auto stored = jobs_with_prefix(s, "OVER-");
  for (const auto& [id, job] : acked) {
    CAPTURE(id);
    REQUIRE(stored.count(id) == 1);
    CHECK(stored[id] == job);
  }

  // A refused event was not stored: delivered again once the queue has room, it is new.
  refused.resize(std::min<std::size_t>(refused.size(), 40));
  for (const auto& id : refused) {
    CAPTURE(id);
    CHECK(stored.count(id) == 0);
    http_response again;
    REQUIRE(wait_until([&] { return (again = s.post(text_message(id))).status != 503; }));
    CHECK(has_status(again, "accepted"));
  }
}
