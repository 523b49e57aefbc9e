#include <doctest/doctest.h>

#include "storage/tenants_repo.hpp"
#include "tests/storage/storage_fixture.hpp"

using namespace aibud;
using aibud::testing::storage_fixture;

TEST_CASE("a created tenant is found by id and by name after a reopen") {
  storage_fixture f;
  int64_t id = 0;
  {
    storage::tenants_repo tenants(f.db());
    auto t = tenants.create("acme", "pro", 500, 12, "pt-BR");
    REQUIRE(t.ok());
    CHECK(t->name == "acme");
    CHECK(t->plan == "pro");
    CHECK(t->status == "active");
    CHECK(t->credits_limit == 500);
    CHECK(t->anchor_day == 12);
    CHECK(t->language == "pt-BR");
    CHECK(t->created_at > 0);
    id = t->id;
  }
  f.reopen();
  storage::tenants_repo tenants(f.db());
  auto by_id = tenants.find(std::to_string(id));
  REQUIRE(by_id.ok());
  CHECK(by_id->name == "acme");
  auto by_name = tenants.find("acme");
  REQUIRE(by_name.ok());
  CHECK(by_name->id == id);
}

TEST_CASE("a repeated tenant name is a conflict") {
  storage_fixture f;
  storage::tenants_repo tenants(f.db());
  REQUIRE(tenants.create("acme", "standard", 0, 1, "en").ok());
  auto again = tenants.create("acme", "standard", 0, 1, "en");
  REQUIRE_FALSE(again.ok());
  CHECK(again.err().code == errc::conflict);
  CHECK(again.err().message == "tenant acme already exists");
}

TEST_CASE("a name made of digits is found when no tenant has that id") {
  storage_fixture f;
  storage::tenants_repo tenants(f.db());
  auto first = tenants.create("first", "standard", 0, 1, "en");
  auto digits = tenants.create("2024", "standard", 0, 1, "en");
  REQUIRE(first.ok());
  REQUIRE(digits.ok());
  CHECK(tenants.find("1")->name == "first");
  CHECK(tenants.find("2024")->id == digits->id);
  auto missing = tenants.find("nobody");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.err().code == errc::not_found);
}

TEST_CASE("tenant creation rejects bad anchor days, languages and credits") {
  storage_fixture f;
  storage::tenants_repo tenants(f.db());
  CHECK(tenants.create("a", "standard", 0, 29, "en").err().code == errc::invalid_argument);
  CHECK(tenants.create("a", "standard", 0, 0, "en").err().code == errc::invalid_argument);
  CHECK(tenants.create("a", "standard", 0, 1, "fr").err().code == errc::invalid_argument);
  CHECK(tenants.create("a", "standard", -1, 1, "en").err().code == errc::invalid_argument);
  CHECK(tenants.create("", "standard", 0, 1, "en").err().code == errc::invalid_argument);
  CHECK(tenants.list()->empty());
}

TEST_CASE("tenant update changes only the given columns") {
  storage_fixture f;
  storage::tenants_repo tenants(f.db());
  auto t = tenants.create("acme", "standard", 100, 5, "en");
  REQUIRE(t.ok());
  storage::tenant_changes changes;
  changes.language = "pt-BR";
  auto updated = tenants.update(t->id, changes);
  REQUIRE(updated.ok());
  CHECK(updated->language == "pt-BR");
  CHECK(updated->plan == "standard");
  CHECK(updated->credits_limit == 100);
  changes = {};
  changes.plan = "pro";
  changes.credits_limit = 7;
  updated = tenants.update(t->id, changes);
  REQUIRE(updated.ok());
  CHECK(updated->plan == "pro");
  CHECK(updated->credits_limit == 7);
  CHECK(updated->language == "pt-BR");
  CHECK(tenants.update(999, changes).err().code == errc::not_found);
}

TEST_CASE("tenants list in id order") {
  storage_fixture f;
  storage::tenants_repo tenants(f.db());
  REQUIRE(tenants.create("b", "standard", 0, 1, "en").ok());
  REQUIRE(tenants.create("a", "standard", 0, 1, "en").ok());
  auto all = tenants.list();
  REQUIRE(all.ok());
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].name == "b");
  CHECK((*all)[1].name == "a");
}
