#include <doctest/doctest.h>

#include "storage/audit_repo.hpp"
#include "storage/tenants_repo.hpp"
#include "storage/tokens_repo.hpp"
#include "tests/storage/storage_fixture.hpp"

using namespace aibud;
using aibud::testing::storage_fixture;

TEST_CASE("a token is found by its hash until it is revoked") {
  storage_fixture f;
  storage::tokens_repo tokens(f.db());
  auto t = tokens.create("hash-1", "admin");
  REQUIRE(t.ok());
  CHECK(t->role == "admin");
  CHECK_FALSE(t->tenant_id.has_value());
  auto found = tokens.find_by_hash("hash-1");
  REQUIRE(found.ok());
  CHECK(found->id == t->id);
  REQUIRE(tokens.touch(t->id).ok());
  CHECK(tokens.get(t->id)->last_used_at.has_value());
  REQUIRE(tokens.revoke(t->id).ok());
  CHECK(tokens.find_by_hash("hash-1").err().code == errc::not_found);
  CHECK(tokens.revoke(t->id).ok());
  CHECK(tokens.get(t->id)->revoked_at.has_value());
  CHECK(tokens.list()->size() == 1);
  CHECK(tokens.revoke(999).err().code == errc::not_found);
}

TEST_CASE("a token may be scoped to an existing tenant only") {
  storage_fixture f;
  storage::tenants_repo tenants(f.db());
  auto acme = tenants.create("acme", "standard", 0, 1, "en");
  REQUIRE(acme.ok());
  storage::tokens_repo tokens(f.db());
  auto scoped = tokens.create("h", "viewer", acme->id);
  REQUIRE(scoped.ok());
  CHECK(scoped->tenant_id == acme->id);
  CHECK(tokens.create("h2", "viewer", 999).err().code == errc::not_found);
  CHECK(tokens.create("h3", "root").err().code == errc::invalid_argument);
  CHECK(tokens.create("h", "admin").err().code == errc::conflict);
}

TEST_CASE("the audit log lists newest entries first") {
  storage_fixture f;
  storage::audit_repo audit(f.db());
  REQUIRE(audit.append("cli", "tenant.create", "acme", std::nullopt, R"({"plan":"pro"})").ok());
  REQUIRE(audit.append("token:3", "token.revoke", "4", int64_t{1}).ok());
  auto entries = audit.list(10);
  REQUIRE(entries.ok());
  REQUIRE(entries->size() == 2);
  CHECK((*entries)[0].action == "token.revoke");
  CHECK((*entries)[0].tenant_id == 1);
  CHECK((*entries)[1].details == R"({"plan":"pro"})");
  CHECK((*entries)[1].at > 0);
  CHECK(audit.list(1)->size() == 1);
}
