#include <doctest/doctest.h>

#include "tests/admin/admin_fixture.hpp"

using aibud::testing::admin_fixture;

TEST_CASE("a request without a token, with a bad one or a revoked one is 401 unauthorized") {
  admin_fixture api;
  for (const std::string& token : {std::string(), std::string("not-a-token"), api.revoked}) {
    auto r = api.call("GET", "/api/v1/tenants", token);
    CHECK(r.status == 401);
    CHECK(r.body["error"]["code"] == "unauthorized");
  }
  auto ok = api.call("GET", "/api/v1/tenants", api.viewer);
  CHECK(ok.status == 200);
}

TEST_CASE("a viewer may read but not replay, and an admin may not change a tenant") {
  admin_fixture api;
  auto replay =
      api.call("POST", "/api/v1/dlq/" + std::to_string(api.shop_dead) + "/replay", api.viewer);
  CHECK(replay.status == 403);
  CHECK(replay.body["error"]["code"] == "forbidden");
  auto patch = api.call("PATCH", "/api/v1/tenants/acme", api.admin, R"({"plan":"pro"})");
  CHECK(patch.status == 403);
  auto remove = api.call("DELETE", "/api/v1/instances/shop", api.admin);
  CHECK(remove.status == 403);
  // Nothing was changed by the refused calls.
  CHECK(api.call("GET", "/api/v1/dlq", api.viewer).body.size() == 2);
  CHECK(api.call("GET", "/api/v1/tenants/acme", api.viewer).body["plan"] == "standard");
  CHECK(api.audit().empty());
}

TEST_CASE("a tenant-scoped token sees only its tenant and is refused another tenant's objects") {
  admin_fixture api;
  auto contacts = api.call("GET", "/api/v1/instances/other/contacts", api.acme_viewer);
  CHECK(contacts.status == 403);
  CHECK(contacts.body["error"]["code"] == "forbidden");
  CHECK(api.call("GET", "/api/v1/tenants/globex", api.acme_viewer).status == 403);
  CHECK(api.call("GET", "/api/v1/jobs?instance=other", api.acme_viewer).status == 403);
  CHECK(api.call("GET", "/api/v1/dlq/" + std::to_string(api.other_dead), api.acme_viewer).status ==
        403);

  auto tenants = api.call("GET", "/api/v1/tenants", api.acme_viewer);
  REQUIRE(tenants.body.size() == 1);
  CHECK(tenants.body[0]["name"] == "acme");
  auto instances = api.call("GET", "/api/v1/instances", api.acme_viewer);
  REQUIRE(instances.body.size() == 1);
  CHECK(instances.body[0]["name"] == "shop");
  auto dlq = api.call("GET", "/api/v1/dlq", api.acme_viewer);
  REQUIRE(dlq.body.size() == 1);
  CHECK(dlq.body[0]["instance"] == "shop");
  // The server's own parts belong to no tenant.
  CHECK(api.call("GET", "/api/v1/actors", api.acme_viewer).body == nlohmann::json::array());
  auto jobs = api.call("GET", "/api/v1/jobs", api.acme_viewer);
  CHECK(jobs.body["items"].size() == api.shop_jobs.size());
  for (const auto& j : jobs.body["items"]) CHECK(j["instance"] == "shop");
}

TEST_CASE("a tenant-scoped admin replaying every dead letter replays only its tenant's") {
  admin_fixture api;
  auto r = api.call("POST", "/api/v1/dlq/replay", api.acme_admin);
  REQUIRE(r.status == 200);
  CHECK(r.body["replayed"] == 1);
  CHECK(r.body["jobs"][0] == api.shop_jobs[0]);
  auto left = api.call("GET", "/api/v1/dlq", api.viewer);
  REQUIRE(left.body.size() == 1);
  CHECK(left.body[0]["id"] == api.other_dead);
}

TEST_CASE("a full reader queue answers 503 unavailable with Retry-After") {
  admin_fixture api(0);
  auto r = api.call("GET", "/api/v1/tenants", api.viewer);
  CHECK(r.status == 503);
  CHECK(r.body["error"]["code"] == "unavailable");
  CHECK(r.retry_after == "1");
}
