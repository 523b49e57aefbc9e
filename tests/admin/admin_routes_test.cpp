#include <doctest/doctest.h>

#include <SQLiteCpp/Database.h>

#include "storage/contacts_repo.hpp"
#include "storage/database.hpp"
#include "storage/jobs_repo.hpp"
#include "tests/admin/admin_fixture.hpp"

using aibud::testing::admin_fixture;
using nlohmann::json;

namespace {

void check_fields(const json& object, std::initializer_list<const char*> fields) {
  for (const char* field : fields) CHECK_MESSAGE(object.contains(field), field);
}

// The job row as the database holds it now.
aibud::storage::job job_row(admin_fixture& api, int64_t id) {
  aibud::storage::db_options o;
  o.path = api.db_path();
  auto db = aibud::storage::open_ready(o);
  return aibud::storage::jobs_repo(**db).get(id).value();
}

}  // namespace

TEST_CASE("jobs are paged by id with next_after until the last page") {
  admin_fixture api;
  std::vector<int64_t> seen;
  std::string after = "0";
  int pages = 0;
  for (;;) {
    auto r = api.call("GET", "/api/v1/jobs?limit=3&after=" + after, api.viewer);
    REQUIRE(r.status == 200);
    ++pages;
    for (const auto& j : r.body["items"]) seen.push_back(j["id"]);
    if (r.body["next_after"].is_null()) break;
    CHECK(r.body["items"].size() == 3);
    CHECK(r.body["next_after"] == seen.back());
    after = std::to_string(r.body["next_after"].get<int64_t>());
  }
  CHECK(pages == 3);
  CHECK(seen.size() == 7);
  CHECK(std::is_sorted(seen.begin(), seen.end()));
  auto first = api.call("GET", "/api/v1/jobs?limit=1", api.viewer).body["items"][0];
  check_fields(first, {"id", "instance", "contact", "status", "attempts", "created_at",
                       "updated_at", "last_error"});
}

TEST_CASE("jobs filter by status and instance and refuse a bad status or limit") {
  admin_fixture api;
  auto failed = api.call("GET", "/api/v1/jobs?status=failed", api.viewer);
  REQUIRE(failed.body["items"].size() == 2);
  CHECK(failed.body["items"][0]["status"] == "failed");
  CHECK(failed.body["items"][0]["last_error"] == "ai: 500 upstream");
  auto other = api.call("GET", "/api/v1/jobs?instance=other&status=pending", api.viewer);
  REQUIRE(other.body["items"].size() == 1);
  CHECK(other.body["items"][0]["id"] == api.other_jobs[1]);
  for (const char* bad : {"/api/v1/jobs?status=lost", "/api/v1/jobs?limit=0",
                          "/api/v1/jobs?limit=x", "/api/v1/jobs?after=-1"}) {
    auto r = api.call("GET", bad, api.viewer);
    CAPTURE(bad);
    CHECK(r.status == 400);
    CHECK(r.body["error"]["code"] == "invalid_argument");
  }
  CHECK(api.call("GET", "/api/v1/jobs?instance=nowhere", api.viewer).status == 404);
}

TEST_CASE("dead letters are listed and shown with their contract fields, unknown ids are 404") {
  admin_fixture api;
  auto list = api.call("GET", "/api/v1/dlq", api.viewer);
  REQUIRE(list.body.size() == 2);
  check_fields(list.body[0],
               {"id", "job_id", "instance", "contact", "error", "attempts", "failed_at"});
  CHECK(list.body[0]["job_id"] == api.shop_jobs[0]);
  auto one = api.call("GET", "/api/v1/dlq/" + std::to_string(api.shop_dead), api.viewer);
  CHECK(one.body["error"] == "ai: 500 upstream");
  CHECK(one.body["payload"]["event"] == "messages.upsert");
  CHECK(api.call("GET", "/api/v1/dlq/999", api.viewer).status == 404);
  CHECK(api.call("GET", "/api/v1/dlq/abc", api.viewer).status == 400);
}

TEST_CASE("replaying a dead letter requeues its job and audits the token") {
  admin_fixture api;
  auto r = api.call("POST", "/api/v1/dlq/" + std::to_string(api.shop_dead) + "/replay", api.admin);
  REQUIRE(r.status == 200);
  CHECK(r.body["jobs"] == json::array({api.shop_jobs[0]}));
  CHECK(job_row(api, api.shop_jobs[0]).status == "pending");
  CHECK(api.call("GET", "/api/v1/dlq", api.viewer).body.size() == 1);
  auto audit = api.audit();
  REQUIRE(audit.size() == 1);
  CHECK(audit[0].actor == "token:" + std::to_string(api.admin_id));
  CHECK(audit[0].action == "dlq.replay");
  CHECK(api.call("POST", "/api/v1/dlq/" + std::to_string(api.shop_dead) + "/replay", api.admin)
            .status == 404);
}

TEST_CASE("purging one dead letter, then all, empties the queue and audits each") {
  admin_fixture api;
  auto one = api.call("DELETE", "/api/v1/dlq/" + std::to_string(api.shop_dead), api.admin);
  CHECK(one.body["purged"] == 1);
  auto all = api.call("DELETE", "/api/v1/dlq", api.admin);
  CHECK(all.body["purged"] == 1);
  CHECK(api.call("GET", "/api/v1/dlq", api.viewer).body.empty());
  CHECK(job_row(api, api.shop_jobs[0]).status == "failed");
  auto audit = api.audit();
  REQUIRE(audit.size() == 2);
  CHECK(audit[0].action == "dlq.purge");
  CHECK(audit[0].target == std::to_string(api.shop_dead));
  CHECK(audit[1].target == "all");
}

TEST_CASE("tenants are shown, granted credits and changed by an owner") {
  admin_fixture api;
  auto list = api.call("GET", "/api/v1/tenants", api.viewer);
  REQUIRE(list.body.size() == 2);
  check_fields(list.body[0],
               {"id", "name", "plan", "status", "anchor_day", "language", "credits_limit",
                "credits_used", "credits_reserved", "credits_left", "period_start", "period_end"});
  auto grant = api.call("POST", "/api/v1/tenants/acme/grant", api.admin, R"({"credits":25})");
  REQUIRE(grant.status == 200);
  CHECK(grant.body["credits_left"] == 125);
  CHECK(api.call("POST", "/api/v1/tenants/acme/grant", api.admin, R"({"credits":0})").status ==
        400);
  CHECK(api.call("POST", "/api/v1/tenants/acme/grant", api.admin, "{oops").status == 400);
  CHECK(api.call("POST", "/api/v1/tenants/nobody/grant", api.admin, R"({"credits":1})").status ==
        404);

  auto patch = api.call("PATCH", "/api/v1/tenants/" + std::to_string(api.acme), api.owner,
                        R"({"plan":"pro","credits_limit":40,"language":"pt-BR"})");
  REQUIRE(patch.status == 200);
  CHECK(patch.body["plan"] == "pro");
  CHECK(patch.body["language"] == "pt-BR");
  CHECK(patch.body["credits_limit"] == 40);
  CHECK(patch.body["credits_left"] == 65);
  CHECK(api.call("PATCH", "/api/v1/tenants/acme", api.owner, R"({"colour":"red"})").status == 400);
  CHECK(api.call("PATCH", "/api/v1/tenants/acme", api.owner, R"({"language":"fr"})").status == 400);

  auto audit = api.audit();
  REQUIRE(audit.size() == 2);
  CHECK(audit[0].action == "tenant.grant");
  CHECK(audit[1].action == "tenant.update");
  CHECK(audit[1].actor == "token:" + std::to_string(api.owner_id));
}

TEST_CASE("instances are listed and shown, and deleted only by an owner") {
  admin_fixture api;
  auto list = api.call("GET", "/api/v1/instances", api.viewer);
  REQUIRE(list.body.size() == 2);
  check_fields(list.body[0],
               {"id", "name", "tenant_id", "kind", "evolution_url", "state", "webhook_url"});
  CHECK(list.body[0]["webhook_url"] == "https://bot.example/webhook/evolution/shop");
  CHECK(api.call("GET", "/api/v1/instances/shop", api.viewer).body["kind"] == "sandbox");
  CHECK(api.call("GET", "/api/v1/instances/nowhere", api.viewer).status == 404);
  auto gone = api.call("DELETE", "/api/v1/instances/other", api.owner);
  CHECK(gone.body["deleted"] == "other");
  CHECK(api.call("GET", "/api/v1/instances/other", api.viewer).status == 404);
  auto audit = api.audit();
  REQUIRE(audit.size() == 1);
  CHECK(audit[0].action == "instance.delete");
}

TEST_CASE("a contact is found by its phone JID, its LID or bare digits") {
  admin_fixture api;
  auto list = api.call("GET", "/api/v1/instances/shop/contacts", api.viewer);
  REQUIRE(list.body.size() == 1);
  check_fields(list.body[0],
               {"jid", "name", "status", "paused", "paused_until", "last_activity_at"});
  for (const char* jid : {"5511999990001@s.whatsapp.net", "123456@lid", "5511999990001"}) {
    auto r = api.call("GET", std::string("/api/v1/instances/shop/contacts/") + jid, api.viewer);
    CAPTURE(jid);
    CHECK(r.status == 200);
    CHECK(r.body["jid"] == "5511999990001@s.whatsapp.net");
  }
  CHECK(api.call("GET", "/api/v1/instances/shop/contacts/5500000", api.viewer).status == 404);
  CHECK(api.call("GET", "/api/v1/instances/shop/contacts/abc", api.viewer).status == 400);
}

TEST_CASE("pausing hands a contact off and resuming restores its earlier status") {
  admin_fixture api;
  auto paused = api.call("POST", "/api/v1/instances/shop/contacts/123456@lid/pause", api.admin,
                         R"({"for":"90s"})");
  REQUIRE(paused.status == 200);
  CHECK(paused.body["status"] == "handed_off");
  CHECK(paused.body["paused"] == true);
  CHECK(paused.body["paused_until"].is_string());
  auto forever = api.call("POST", "/api/v1/instances/shop/contacts/5511999990001/pause", api.admin,
                          R"({"for":"0"})");
  CHECK(forever.body["paused"] == true);
  CHECK(forever.body["paused_until"].is_null());
  CHECK(forever.body["status_before_handoff"] == "qualified");
  CHECK(api.call("POST", "/api/v1/instances/shop/contacts/123456@lid/pause", api.admin,
                 R"({"for":"soon"})")
            .status == 400);

  auto resumed = api.call("POST", "/api/v1/instances/shop/contacts/123456@lid/resume", api.admin);
  REQUIRE(resumed.status == 200);
  CHECK(resumed.body["status"] == "qualified");
  CHECK(resumed.body["paused"] == false);
  auto audit = api.audit();
  REQUIRE(audit.size() == 3);
  CHECK(audit[0].action == "contact.pause");
  CHECK(audit[2].action == "contact.resume");
  CHECK(audit[2].target == "5511999990001@s.whatsapp.net");
}

TEST_CASE("the actor listing has the contract fields") {
  admin_fixture api;
  auto r = api.call("GET", "/api/v1/actors", api.viewer);
  REQUIRE(r.status == 200);
  REQUIRE(r.body.is_array());
  REQUIRE(!r.body.empty());
  check_fields(r.body[0], {"path", "kind", "state", "mailbox", "job", "restarts", "last_activity"});
}
