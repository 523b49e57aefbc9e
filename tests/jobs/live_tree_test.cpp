// The live actor tree of a running server (`aibud actors`, GET /api/v1/actors) and the
// passivation of idle contact actors (docs/jobs.md): contacts leave memory, not their history.
#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "tests/jobs/job_loop.hpp"

using namespace aibud::testing;

namespace {

std::string phone(int n) {
  return "55118" + std::to_string(10000000 + n) + "@s.whatsapp.net";
}

wa_message text(const std::string& id, int contact, const std::string& body) {
  return text_from(id, phone(contact), body);
}

std::string token(job_loop& loop, const std::vector<std::string>& scope) {
  std::vector<std::string> args{"token", "create", "--json"};
  args.insert(args.end(), scope.begin(), scope.end());
  auto r = loop.cli(args);
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  return nlohmann::json::parse(r.out).at("token").get<std::string>();
}

nlohmann::json actors(job_loop& loop, const std::string& tok) {
  auto r = loop.cli({"actors", "--json"}, {{"AIBUD_TOKEN", tok}}, true);
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  return nlohmann::json::parse(r.out);
}

bool has_path(const nlohmann::json& tree, const std::string& suffix) {
  for (const auto& a : tree) {
    const std::string p = a.at("path").get<std::string>();
    if (p.size() >= suffix.size() &&
        p.compare(p.size() - suffix.size(), suffix.size(), suffix) == 0)
      return true;
  }
  return false;
}

// Posts one message from each of contacts [first, first + n), from 8 threads.
int post_all(job_loop& loop, int first, int n, const std::string& tag) {
  std::atomic<int> accepted{0}, next{first};
  std::vector<std::thread> posters;
  for (int t = 0; t < 8; ++t)
    posters.emplace_back([&] {
      for (int c = next++; c < first + n; c = next++)
        if (loop.post(text(tag + std::to_string(c), c, "Oi, tudo bem?")) == 200) ++accepted;
    });
  for (auto& p : posters) p.join();
  return accepted.load();
}

}  // namespace

TEST_CASE("aibud actors lists the running server's tree with each active contact") {
  job_loop loop(100);
  const std::string owner = token(loop, {"--role", "owner"});
  const std::string scoped = token(loop, {"--role", "viewer", "--tenant", "acme"});
  REQUIRE(loop.start({{"AIBUD_CONTACTS_IDLE_TIMEOUT", "600s"}}));
  for (int c = 1; c <= 3; ++c)
    REQUIRE(loop.post(text("TREE-" + std::to_string(c), c, "Oi")) == 200);
  REQUIRE(loop.wait_settled(3));

  auto all = actors(loop, owner);
  CHECK(has_path(all, "/storage-writer"));
  CHECK(has_path(all, "/jobs"));
  CHECK(has_path(all, "/tenants/tenant:1"));
  CHECK(has_path(all, "/tenants/tenant:1/instance:acme-bot"));
  for (int c = 1; c <= 3; ++c)
    CHECK(has_path(all, "/tenants/tenant:1/instance:acme-bot/contact:" + phone(c)));
  for (const auto& a : all) {
    if (a.at("kind") != "contact") continue;
    CHECK(a.at("state") == "idle");  // every job done
    CHECK(a.at("restarts") == 0);
  }

  // A tenant's token sees its own subtree only: no root, writer or dispatcher.
  auto mine = actors(loop, scoped);
  CHECK(mine.size() < all.size());
  CHECK_FALSE(has_path(mine, "/storage-writer"));
  CHECK(has_path(mine, "/contact:" + phone(2)));
  for (const auto& a : mine)
    CHECK(a.at("path").get<std::string>().rfind("/tenants/tenant:1", 0) == 0);
}

TEST_CASE("idle contacts are passivated and answer again with their history") {
  const bool soak =
      std::getenv("AIBUD_TEST_SOAK") && std::string(std::getenv("AIBUD_TEST_SOAK")) == "1";
  const int contacts = soak ? 10000 : 2000;
  job_loop loop(3 * contacts);
  REQUIRE(loop.start({{"AIBUD_CONTACTS_IDLE_TIMEOUT", "200ms"}}));
  REQUIRE(post_all(loop, 1, contacts, "PASS-") == contacts);
  REQUIRE(loop.wait_settled(contacts, std::chrono::seconds(soak ? 600 : 180)));
  CHECK(loop.count("SELECT COUNT(*) FROM jobs WHERE status = 'done'") == contacts);
  REQUIRE(wait_until([&] { return loop.active_contacts() == 0; }, std::chrono::seconds(30)));

  // Ten of them write again: new actors load the same rows.
  for (int c = 1; c <= 10; ++c)
    REQUIRE(loop.post(text("AGAIN-" + std::to_string(c), c, "Ainda tenho interesse")) == 200);
  REQUIRE(loop.wait_settled(contacts + 10));
  for (int c = 1; c <= 10; ++c) {
    CHECK(loop.rows("SELECT i.direction FROM interactions i JOIN contacts k ON k.id = "
                    "i.contact_id WHERE k.jid = '" +
                    phone(c) + "' ORDER BY i.id") ==
          std::vector<std::string>{"in", "out", "in", "out"});
  }
  CHECK(loop.count("SELECT COUNT(*) FROM contacts") == contacts);
  REQUIRE(wait_until([&] { return loop.active_contacts() == 0; }, std::chrono::seconds(30)));
}
