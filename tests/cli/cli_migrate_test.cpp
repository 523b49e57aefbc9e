#include <doctest/doctest.h>

#include <sys/stat.h>

#include "tests/cli/cli_support.hpp"

using aibud::testing::cli_env;
using aibud::testing::line_count;

TEST_CASE("migrate status on an empty path reports every migration pending") {
  cli_env env;
  auto status = env.run_json({"migrate", "status", "--json"});
  CHECK(status["current"] == 0);
  int latest = status["latest"];
  CHECK(latest >= 1);
  CHECK(status["pending"].size() == static_cast<std::size_t>(latest));
  CHECK(status["applied"].empty());
}

TEST_CASE("any other command creates a new database at the latest schema, mode 0600") {
  cli_env env;
  env.run_json({"tenant", "list", "--json"});
  auto status = env.run_json({"migrate", "status", "--json"});
  CHECK(status["current"] == status["latest"]);
  CHECK(status["pending"].empty());
  struct stat st {};
  REQUIRE(stat(env.db_path().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("a database behind the binary is refused by every command but migrate") {
  cli_env env;
  env.run_json({"tenant", "create", "acme", "--json"});
  auto latest = env.run_json({"migrate", "status", "--json"})["latest"].get<int>();
  auto down = env.run_json({"migrate", "down", "--to", std::to_string(latest - 1), "--json"});
  CHECK(down["current"] == latest - 1);

  auto r = env.run({"tenant", "list"});
  CHECK(r.exit_code == 5);
  CHECK(line_count(r.err) == 1);
  CHECK(r.err == "error: unavailable: schema " + std::to_string(latest - 1) +
                     ", this binary needs " + std::to_string(latest) + ": run aibud migrate up\n");

  auto up = env.run_json({"migrate", "up", "--json"});
  CHECK(up["current"] == latest);
  CHECK(env.run_json({"tenant", "list", "--json"}).size() == 1);
}

TEST_CASE("a database ahead of the binary is refused") {
  cli_env env;
  env.run_json({"tenant", "list", "--json"});
  auto sql = aibud::testing::run(
      {"/usr/bin/sqlite3", env.db_path(),
       "INSERT INTO schema_migrations(version, name, applied_at) VALUES (999, 'future', 0)"});
  REQUIRE(sql.exit_code == 0);
  auto r = env.run({"tenant", "list"});
  CHECK(r.exit_code == 5);
  CHECK(r.err.find("schema 999, this binary needs") != std::string::npos);
}

TEST_CASE("migrate down to 0 and up again leaves a working database") {
  cli_env env;
  env.run_json({"tenant", "list", "--json"});
  CHECK(env.run_json({"migrate", "down", "--to", "0", "--json"})["current"] == 0);
  auto tables = aibud::testing::run(
      {"/usr/bin/sqlite3", env.db_path(),
       "SELECT count(*) FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
       "AND name <> 'schema_migrations'"});
  CHECK(tables.out == "0\n");
  env.run_json({"migrate", "up", "--json"});
  CHECK(env.run_json({"tenant", "create", "acme", "--json"})["name"] == "acme");
  auto bad = env.run({"migrate", "up", "--to", "999"});
  CHECK(bad.exit_code == 2);
  CHECK(line_count(bad.err) == 1);
}
