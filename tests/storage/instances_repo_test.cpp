#include <doctest/doctest.h>

#include "storage/instances_repo.hpp"
#include "storage/jobs_repo.hpp"
#include "storage/tenants_repo.hpp"
#include "tests/storage/storage_fixture.hpp"

using namespace aibud;
using aibud::testing::storage_fixture;

namespace {
int64_t make_tenant(SQLite::Database& db, const std::string& name = "acme") {
  storage::tenants_repo tenants(db);
  auto t = tenants.create(name, "standard", 0, 1, "en");
  REQUIRE(t.ok());
  return t->id;
}
}  // namespace

TEST_CASE("an instance is created, found by name and listed per tenant") {
  storage_fixture f;
  int64_t acme = make_tenant(f.db());
  int64_t other = make_tenant(f.db(), "other");
  storage::instances_repo instances(f.db());
  auto created =
      instances.create("sales", acme, "evolution", "http://evo:8080", "enc:v1:k", "enc:v1:s");
  REQUIRE(created.ok());
  CHECK(created->state == "created");
  REQUIRE(instances.create("lab", other, "sandbox", "", "", "enc:v1:t").ok());
  auto found = instances.find_by_name("sales");
  REQUIRE(found.ok());
  CHECK(found->tenant_id == acme);
  CHECK(found->kind == "evolution");
  CHECK(found->evolution_url == "http://evo:8080");
  CHECK(found->api_key == "enc:v1:k");
  CHECK(found->webhook_secret == "enc:v1:s");
  CHECK(instances.list()->size() == 2);
  auto mine = instances.list(acme);
  REQUIRE(mine->size() == 1);
  CHECK((*mine)[0].name == "sales");
}

TEST_CASE("a repeated instance name is a conflict and an unknown tenant not_found") {
  storage_fixture f;
  int64_t acme = make_tenant(f.db());
  storage::instances_repo instances(f.db());
  REQUIRE(instances.create("sales", acme, "sandbox", "", "", "s").ok());
  auto again = instances.create("sales", acme, "sandbox", "", "", "s");
  REQUIRE_FALSE(again.ok());
  CHECK(again.err().code == errc::conflict);
  CHECK(instances.create("x", 999, "sandbox", "", "", "s").err().code == errc::not_found);
  CHECK(instances.create("y", acme, "telegram", "", "", "s").err().code == errc::invalid_argument);
}

TEST_CASE("a connection state is recorded with its QR code") {
  storage_fixture f;
  int64_t acme = make_tenant(f.db());
  storage::instances_repo instances(f.db());
  REQUIRE(instances.create("sales", acme, "evolution", "http://e", "k", "s").ok());
  REQUIRE(
      instances.update_state("sales", "connecting", std::string("qr-data"), std::string("ABCD1234"))
          .ok());
  auto i = instances.find_by_name("sales");
  CHECK(i->state == "connecting");
  CHECK(i->qr_code == "qr-data");
  CHECK(i->pairing_code == "ABCD1234");
  CHECK(i->state_updated_at.has_value());
  REQUIRE(instances.update_state("sales", "open").ok());
  i = instances.find_by_name("sales");
  CHECK(i->state == "open");
  CHECK_FALSE(i->qr_code.has_value());
  CHECK(instances.update_state("nope", "open").err().code == errc::not_found);
}

TEST_CASE("deleting an instance removes its jobs") {
  storage_fixture f;
  int64_t acme = make_tenant(f.db());
  storage::instances_repo instances(f.db());
  auto i = instances.create("sales", acme, "sandbox", "", "", "s");
  REQUIRE(i.ok());
  storage::jobs_repo jobs(f.db());
  storage::new_job j;
  j.instance_id = i->id;
  j.wa_message_id = "M1";
  j.event = "messages.upsert";
  j.payload = "{}";
  auto job_id = jobs.insert(j);
  REQUIRE(job_id.ok());
  REQUIRE(instances.remove("sales").ok());
  CHECK(instances.find_by_name("sales").err().code == errc::not_found);
  CHECK(jobs.get(*job_id).err().code == errc::not_found);
  CHECK(instances.remove("sales").err().code == errc::not_found);
}

TEST_CASE("resealing seals every clear secret once and leaves sealed ones alone") {
  storage_fixture f;
  int64_t acme = make_tenant(f.db());
  storage::instances_repo instances(f.db());
  REQUIRE(instances.create("old", acme, "evolution", "http://e", "clear-key", "clear-secret").ok());
  REQUIRE(instances.create("new", acme, "evolution", "http://e", "enc:v1:a", "enc:v1:b").ok());
  REQUIRE(instances.create("box", acme, "sandbox", "", "", "clear-2").ok());
  auto seal = [](std::string_view clear) { return "enc:v1:<" + std::string(clear) + ">"; };
  auto is_sealed = [](std::string_view v) { return v.rfind("enc:v1:", 0) == 0; };
  auto sealed = storage::reseal_instance_secrets(f.db(), seal, is_sealed);
  REQUIRE(sealed.ok());
  CHECK(*sealed == 3);
  CHECK(instances.find_by_name("old")->api_key == "enc:v1:<clear-key>");
  CHECK(instances.find_by_name("old")->webhook_secret == "enc:v1:<clear-secret>");
  CHECK(instances.find_by_name("new")->api_key == "enc:v1:a");
  CHECK(instances.find_by_name("box")->api_key == "");
  CHECK(instances.find_by_name("box")->webhook_secret == "enc:v1:<clear-2>");
  CHECK(*storage::reseal_instance_secrets(f.db(), seal, is_sealed) == 0);
}
