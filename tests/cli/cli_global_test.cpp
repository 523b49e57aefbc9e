#include <doctest/doctest.h>

#include "tests/cli/cli_support.hpp"
#include "tests/support/temp_dir.hpp"

using aibud::testing::cli_env;
using aibud::testing::line_count;
using aibud::testing::run_options;

TEST_CASE("global options work before and after the subcommand") {
  cli_env env;
  std::string other = env.dir().file("other.db");
  auto before = env.run({"--db", other, "--json", "tenant", "create", "acme"});
  REQUIRE(before.exit_code == 0);
  CHECK(nlohmann::json::parse(before.out)["name"] == "acme");
  auto after = env.run({"tenant", "list", "--db", other, "--json"});
  REQUIRE(after.exit_code == 0);
  CHECK(nlohmann::json::parse(after.out).size() == 1);
  // The default database (AIBUD_DB) was not touched by either.
  CHECK(env.run_json({"tenant", "list", "--json"}).empty());
}

TEST_CASE("--help works on every subcommand and exits 0") {
  cli_env env;
  for (auto args : std::vector<std::vector<std::string>>{{"--help"},
                                                         {"migrate", "--help"},
                                                         {"migrate", "up", "--help"},
                                                         {"tenant", "create", "--help"},
                                                         {"tenant", "update", "--help"},
                                                         {"instance", "create", "--help"},
                                                         {"token", "create", "--help"},
                                                         {"demo", "--help"}}) {
    auto r = env.run(args);
    CAPTURE(args);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("Usage:") != std::string::npos);
  }
  CHECK(env.run({"instance", "create", "--help"}).out.find("--evolution-key-env") !=
        std::string::npos);
}

TEST_CASE("argument parser errors are one line on stderr and exit 2") {
  cli_env env;
  for (auto args : std::vector<std::vector<std::string>>{{},
                                                         {"frobnicate"},
                                                         {"tenant"},
                                                         {"--no-such-flag", "tenant", "list"},
                                                         {"token", "create"},
                                                         {"migrate", "up", "--to", "x"}}) {
    auto r = env.run(args);
    CAPTURE(args);
    CAPTURE(r.err);
    CHECK(r.exit_code == 2);
    CHECK(line_count(r.err) == 1);
    CHECK(r.err.rfind("error: usage: ", 0) == 0);
  }
}

TEST_CASE("a configuration error names its key and exits 2") {
  cli_env env;
  run_options bad_env;
  bad_env.env["AIBUD_JOBS_MAX_ATTEMPTS"] = "many";
  auto r = env.run({"tenant", "list"}, bad_env);
  CHECK(r.exit_code == 2);
  CHECK(line_count(r.err) == 1);
  CHECK(r.err.find("jobs.max_attempts") != std::string::npos);

  aibud::testing::write_file(env.dir().file("bad.json"),
                             R"({"listen": "127.0.0.1:8787", "colour": 1})");
  auto unknown = env.run({"--config", env.dir().file("bad.json"), "tenant", "list"});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err.find("colour") != std::string::npos);

  auto missing = env.run({"--config", env.dir().file("missing.json"), "tenant", "list"});
  CHECK(missing.exit_code == 2);
  CHECK(line_count(missing.err) == 1);
}

TEST_CASE("the database named in the configuration file is used") {
  cli_env env;
  std::string db = env.dir().file("from-file.db");
  aibud::testing::write_file(env.dir().file("aibud.json"), "{\"db\": \"" + db + "\"}");
  run_options file_only;
  file_only.unset_env.push_back("AIBUD_DB");  // the file is the only source of `db`
  file_only.env["AIBUD_TEST_MARKER"] = "1";   // AIBUD_TEST_* is never an error
  auto r =
      env.run({"--config", env.dir().file("aibud.json"), "tenant", "create", "acme"}, file_only);
  CAPTURE(r.err);
  CHECK(r.exit_code == 0);
  CHECK(aibud::testing::read_file(db).size() > 0);
}
