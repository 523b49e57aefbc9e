#include <doctest/doctest.h>

#include "tests/cli/cli_support.hpp"

using aibud::testing::cli_env;
using aibud::testing::line_count;
using aibud::testing::occurrences;
using aibud::testing::run_options;

namespace {

const std::string key_a = "an-operator-chosen-secret-key-of-40-chars";
const std::string key_b = "another-operator-secret-key-also-long-enough";

run_options evo_key(const std::string& value) {
  run_options options;
  options.env["EVO_KEY"] = value;
  return options;
}

}  // namespace

TEST_CASE("with AIBUD_SECRET_KEY set, secrets are printed once and stored nowhere in clear") {
  cli_env env;
  env.secret_key = key_a;
  env.run_json({"tenant", "create", "acme", "--json"});
  const std::string api_key = "evolution-api-key-7f3a9c";
  auto created = env.run({"instance", "create", "main", "--tenant", "acme", "--evolution-url",
                          "http://127.0.0.1:9", "--evolution-key-env", "EVO_KEY", "--json"},
                         evo_key(api_key));
  REQUIRE(created.exit_code == 0);
  CHECK(created.err.empty());  // no warning: the secrets were encrypted
  auto instance = nlohmann::json::parse(created.out);
  std::string secret = instance["webhook_secret"];

  auto token_run = env.run({"token", "create", "--role", "admin", "--json"});
  REQUIRE(token_run.exit_code == 0);
  std::string token = nlohmann::json::parse(token_run.out)["token"];

  CHECK(occurrences(created.out, secret) == 1);
  CHECK(occurrences(token_run.out, token) == 1);
  CHECK(occurrences(created.out, api_key) == 0);
  std::string bytes = env.database_bytes();
  REQUIRE_FALSE(bytes.empty());
  CHECK(occurrences(bytes, secret) == 0);
  CHECK(occurrences(bytes, token) == 0);
  CHECK(occurrences(bytes, api_key) == 0);
  CHECK(occurrences(bytes, key_a) == 0);

  // Listings never show them again.
  auto listings = env.run({"instance", "list", "--json"}).out +
                  env.run({"instance", "show", "main", "--json"}).out +
                  env.run({"token", "list", "--json"}).out;
  CHECK(occurrences(listings, secret) == 0);
  CHECK(occurrences(listings, token) == 0);
}

TEST_CASE("without AIBUD_SECRET_KEY, storing a secret warns once on stderr after success") {
  cli_env env;
  env.run_json({"tenant", "create", "acme", "--json"});
  auto r = env.run({"instance", "create", "try", "--tenant", "acme", "--sandbox", "--json"});
  CHECK(r.exit_code == 0);
  CHECK(line_count(r.err) == 1);
  CHECK(r.err.rfind("warning: ", 0) == 0);
  CHECK(r.err.find("AIBUD_SECRET_KEY") != std::string::npos);
  // A token is only ever hashed, so creating one needs no key and warns about nothing.
  auto t = env.run({"token", "create", "--role", "viewer", "--json"});
  CHECK(t.exit_code == 0);
  CHECK(t.err.empty());
}

TEST_CASE("migrate up encrypts secrets that were stored in clear once the key is set") {
  cli_env env;
  env.run_json({"tenant", "create", "acme", "--json"});
  const std::string api_key = "evolution-api-key-cleartext-1";
  auto created = env.run({"instance", "create", "main", "--tenant", "acme", "--evolution-url",
                          "http://127.0.0.1:9", "--evolution-key-env", "EVO_KEY", "--json"},
                         evo_key(api_key));
  REQUIRE(created.exit_code == 0);
  std::string secret = nlohmann::json::parse(created.out)["webhook_secret"];
  REQUIRE(occurrences(env.database_bytes(), secret) == 1);

  env.secret_key = key_a;
  auto up = env.run_json({"migrate", "up", "--json"});
  CHECK(up["sealed"] == 2);
  std::string bytes = env.database_bytes();
  CHECK(occurrences(bytes, secret) == 0);
  CHECK(occurrences(bytes, api_key) == 0);
  // Sealing twice seals nothing more.
  CHECK(env.run_json({"migrate", "up", "--json"})["sealed"] == 0);
}

TEST_CASE("secrets that cannot be decrypted exit 5 naming them") {
  cli_env env;
  env.secret_key = key_a;
  env.run_json({"tenant", "create", "acme", "--json"});
  env.run_json({"instance", "create", "main", "--tenant", "acme", "--evolution-url",
                "http://127.0.0.1:9", "--evolution-key-env", "EVO_KEY", "--json"},
               evo_key("k"));

  env.secret_key = key_b;
  auto wrong = env.run({"migrate", "up"});
  CHECK(wrong.exit_code == 5);
  CHECK(line_count(wrong.err) == 1);
  CHECK(wrong.err.rfind("error: unavailable: instance main: ", 0) == 0);
  CHECK(wrong.err.find(key_b) == std::string::npos);

  env.secret_key.clear();
  auto unset = env.run({"migrate", "up"});
  CHECK(unset.exit_code == 5);
  CHECK(unset.err.find("AIBUD_SECRET_KEY is not set") != std::string::npos);
}

TEST_CASE("a secret key shorter than 32 characters is refused") {
  cli_env env;
  env.secret_key = "too-short";
  env.run_json({"tenant", "create", "acme", "--json"});
  auto r = env.run({"instance", "create", "try", "--tenant", "acme", "--sandbox"});
  CHECK(r.exit_code == 2);
  CHECK(line_count(r.err) == 1);
  CHECK(r.err.find("AIBUD_SECRET_KEY") != std::string::npos);
  CHECK(r.err.find("too-short") == std::string::npos);
}

TEST_CASE("admin tokens are random, printed once and stored as their SHA-256") {
  cli_env env;
  auto a = env.run_json({"token", "create", "--role", "owner", "--json"});
  auto b = env.run_json({"token", "create", "--role", "viewer", "--json"});
  std::string token_a = a["token"], token_b = b["token"];
  CHECK(token_a != token_b);
  CHECK(token_a.size() >= 32);
  for (const char* field : {"id", "role", "tenant_id", "created_at"})
    CHECK_MESSAGE(a.contains(field), field);
  auto hashes = aibud::testing::run(
      {"/usr/bin/sqlite3", env.db_path(), "SELECT token_hash FROM api_tokens ORDER BY id"});
  CHECK(hashes.out.find(token_a) == std::string::npos);
  CHECK(line_count(hashes.out) == 2);
  CHECK(hashes.out.substr(0, 64).find_first_not_of("0123456789abcdef") == std::string::npos);

  auto revoked = env.run_json({"token", "revoke", std::to_string(a["id"].get<int>()), "--json"});
  CHECK_FALSE(revoked["revoked_at"].is_null());
  CHECK(env.run({"token", "revoke", "999"}).exit_code == 3);
}

TEST_CASE("a tenant-scoped token names its tenant") {
  cli_env env;
  auto t = env.run_json({"tenant", "create", "acme", "--json"});
  auto token = env.run_json({"token", "create", "--role", "viewer", "--tenant", "acme", "--json"});
  CHECK(token["tenant_id"] == t["id"]);
  CHECK(env.run({"token", "create", "--role", "viewer", "--tenant", "nobody"}).exit_code == 3);
}
