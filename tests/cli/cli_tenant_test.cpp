#include <doctest/doctest.h>

#include "tests/cli/cli_support.hpp"

using aibud::testing::cli_env;
using aibud::testing::line_count;

TEST_CASE("tenant create prints every contract field and defaults its credits to zero") {
  cli_env env;
  auto t = env.run_json({"tenant", "create", "acme", "--json"});
  for (const char* field :
       {"id", "name", "plan", "status", "anchor_day", "language", "credits_limit", "credits_used",
        "credits_reserved", "credits_left", "period_start", "period_end"})
    CHECK_MESSAGE(t.contains(field), field);
  CHECK(t["name"] == "acme");
  CHECK(t["credits_limit"] == 0);
  CHECK(t["credits_left"] == 0);
  CHECK(t["language"] == "en");
  int day = t["anchor_day"];
  CHECK(day >= 1);
  CHECK(day <= 28);
}

TEST_CASE("a repeated tenant name exits 4 with one line on stderr") {
  cli_env env;
  env.run_json({"tenant", "create", "acme", "--credits", "500", "--json"});
  auto r = env.run({"tenant", "create", "acme"});
  CHECK(r.exit_code == 4);
  CHECK(line_count(r.err) == 1);
  CHECK(r.err.rfind("error: conflict: ", 0) == 0);
  CHECK(r.out.empty());
}

TEST_CASE("a tenant is found by its id or its name") {
  cli_env env;
  auto created = env.run_json({"tenant", "create", "acme", "--credits", "500", "--json"});
  auto by_id = env.run_json({"tenant", "show", std::to_string(created["id"].get<int>()), "--json"});
  auto by_name = env.run_json({"tenant", "show", "acme", "--json"});
  CHECK(by_id["id"] == created["id"]);
  CHECK(by_name["id"] == created["id"]);
  auto missing = env.run({"tenant", "show", "nobody"});
  CHECK(missing.exit_code == 3);
  CHECK(missing.err.rfind("error: not_found: ", 0) == 0);
}

TEST_CASE("grant adds to the current period and update --credits sets the monthly limit") {
  cli_env env;
  env.run_json({"tenant", "create", "acme", "--credits", "500", "--anchor-day", "3", "--json"});
  auto granted = env.run_json({"tenant", "grant", "acme", "25", "--json"});
  CHECK(granted["credits_left"] == 525);
  CHECK(granted["credits_limit"] == 500);
  auto updated = env.run_json({"tenant", "update", "acme", "--credits", "100", "--json"});
  CHECK(updated["credits_limit"] == 100);
  CHECK(updated["credits_left"] == 125);
  CHECK(updated["anchor_day"] == 3);
  auto language = env.run_json({"tenant", "update", "acme", "--language", "pt-BR", "--json"});
  CHECK(language["language"] == "pt-BR");
  CHECK(language["credits_limit"] == 100);
}

TEST_CASE("tenant list --json is an array with every tenant") {
  cli_env env;
  env.run_json({"tenant", "create", "acme", "--json"});
  env.run_json({"tenant", "create", "globex", "--plan", "pro", "--json"});
  auto list = env.run_json({"tenant", "list", "--json"});
  REQUIRE(list.is_array());
  REQUIRE(list.size() == 2);
  CHECK(list[1]["name"] == "globex");
  CHECK(list[1]["plan"] == "pro");
}

TEST_CASE("bad tenant input exits 2 with one line on stderr") {
  cli_env env;
  for (auto args :
       std::vector<std::vector<std::string>>{{"tenant", "create"},
                                             {"tenant", "create", "acme", "--credits", "lots"},
                                             {"tenant", "create", "acme", "--credits", "-5"},
                                             {"tenant", "create", "acme", "--anchor-day", "29"},
                                             {"tenant", "create", "acme", "--language", "fr"},
                                             {"tenant", "grant", "acme", "0"},
                                             {"tenant", "create", "acme", "--frobnicate"}}) {
    auto r = env.run(args);
    CAPTURE(r.err);
    CHECK(r.exit_code == 2);
    CHECK(line_count(r.err) == 1);
    CHECK(r.err.rfind("error: ", 0) == 0);
  }
}

TEST_CASE("audit_log records tenant changes made from the CLI") {
  cli_env env;
  env.run_json({"tenant", "create", "acme", "--json"});
  env.run_json({"tenant", "grant", "acme", "5", "--json"});
  auto dump = aibud::testing::run({"/usr/bin/sqlite3", env.db_path(),
                                   "SELECT actor || ' ' || action || ' ' || target FROM audit_log "
                                   "ORDER BY id"});
  CHECK(dump.out == "cli tenant.create acme\ncli tenant.grant acme\n");
}

TEST_CASE("tenant update sets and clears the tenant's own models, keeping its other settings") {
  cli_env env;
  env.run_json({"tenant", "create", "acme", "--json"});
  auto t = env.run_json({"tenant", "update", "acme", "--fast-model", "gemini-x-flash",
                         "--fallback-model", "gemini-y", "--json"});
  CHECK(t["settings"]["ai"]["fast_model"] == "gemini-x-flash");
  CHECK(t["settings"]["ai"]["fallback_model"] == "gemini-y");
  CHECK_FALSE(t["settings"]["ai"].contains("strong_model"));

  t = env.run_json({"tenant", "update", "acme", "--fast-model", "", "--json"});
  CHECK_FALSE(t["settings"]["ai"].contains("fast_model"));
  CHECK(t["settings"]["ai"]["fallback_model"] == "gemini-y");
  auto shown = env.run_json({"tenant", "show", "acme", "--json"});
  CHECK(shown["settings"] == t["settings"]);
}
