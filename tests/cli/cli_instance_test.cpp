#include <doctest/doctest.h>

#include "tests/cli/cli_support.hpp"

using aibud::testing::cli_env;
using aibud::testing::line_count;
using aibud::testing::run_options;

namespace {

run_options with_env(const std::string& name, const std::string& value) {
  run_options options;
  options.env[name] = value;
  return options;
}

}  // namespace

TEST_CASE("instance create with an Evolution URL takes the key from the named variable") {
  cli_env env;
  env.run_json({"tenant", "create", "acme", "--credits", "500", "--json"});
  auto i = env.run_json({"instance", "create", "main", "--tenant", "acme", "--evolution-url",
                         "http://127.0.0.1:9", "--evolution-key-env", "EVO_KEY", "--json"},
                        with_env("EVO_KEY", "k"));
  for (const char* field : {"id", "name", "tenant_id", "kind", "evolution_url", "state",
                            "webhook_url", "webhook_secret"})
    CHECK_MESSAGE(i.contains(field), field);
  CHECK(i["kind"] == "evolution");
  CHECK(i["evolution_url"] == "http://127.0.0.1:9");
  CHECK(i["webhook_url"] == "http://127.0.0.1:8787/webhook/evolution/main");
  CHECK(i["webhook_secret"].get<std::string>().size() >= 32);

  auto shown = env.run_json({"instance", "show", "main", "--json"});
  CHECK(shown["id"] == i["id"]);
  CHECK_FALSE(shown.contains("webhook_secret"));
}

TEST_CASE("instance create reads the key from stdin when no variable is named") {
  cli_env env;
  env.run_json({"tenant", "create", "acme", "--json"});
  run_options options;
  options.stdin_data = "key-from-stdin\n";
  auto r = env.run({"instance", "create", "main", "--tenant", "acme", "--evolution-url",
                    "https://evo.example.com", "--json"},
                   options);
  CHECK(r.exit_code == 0);
  auto empty = env.run({"instance", "create", "other", "--tenant", "acme", "--evolution-url",
                        "https://evo.example.com"});
  CHECK(empty.exit_code == 2);
  CHECK(line_count(empty.err) == 1);
}

TEST_CASE("a sandbox instance needs no URL or key") {
  cli_env env;
  env.run_json({"tenant", "create", "acme", "--json"});
  auto i = env.run_json({"instance", "create", "try", "--tenant", "acme", "--sandbox", "--json"});
  CHECK(i["kind"] == "sandbox");
  CHECK(i["evolution_url"].is_null());
  auto list = env.run_json({"instance", "list", "--json"});
  REQUIRE(list.size() == 1);
  CHECK(list[0]["name"] == "try");
}

TEST_CASE("public_url is the base of the webhook URL") {
  cli_env env;
  env.run_json({"tenant", "create", "acme", "--json"});
  auto i = env.run_json({"instance", "create", "try", "--tenant", "acme", "--sandbox", "--json"},
                        with_env("AIBUD_PUBLIC_URL", "https://bot.example.com/"));
  CHECK(i["webhook_url"] == "https://bot.example.com/webhook/evolution/try");
}

TEST_CASE("bad instance input gets the right exit code and one line on stderr") {
  cli_env env;
  env.run_json({"tenant", "create", "acme", "--json"});
  env.run_json({"instance", "create", "taken", "--tenant", "acme", "--sandbox", "--json"});
  struct expectation {
    std::vector<std::string> args;
    int exit_code;
  };
  for (const auto& e : std::vector<expectation>{
           {{"instance", "create", "x", "--tenant", "nobody", "--sandbox"}, 3},
           {{"instance", "create", "taken", "--tenant", "acme", "--sandbox"}, 4},
           {{"instance", "create", "x", "--tenant", "acme"}, 2},
           {{"instance", "create", "x", "--sandbox"}, 2},
           {{"instance", "create", "bad/name", "--tenant", "acme", "--sandbox"}, 2},
           {{"instance", "create", "-dash", "--tenant", "acme", "--sandbox"}, 2},
           {{"instance", "create", std::string(65, 'a'), "--tenant", "acme", "--sandbox"}, 2},
           {{"instance", "create", "x", "--tenant", "acme", "--evolution-url", "http://",
             "--evolution-key-env", "EVO_KEY"},
            2},
           {{"instance", "create", "x", "--tenant", "acme", "--evolution-url", "https:///path",
             "--evolution-key-env", "EVO_KEY"},
            2},
           {{"instance", "create", "x", "--tenant", "acme", "--evolution-url", "http://h/a b",
             "--evolution-key-env", "EVO_KEY"},
            2},
           {{"instance", "create", "x", "--tenant", "acme", "--sandbox", "--evolution-url",
             "http://h"},
            2},
           {{"instance", "create", "x", "--tenant", "acme", "--evolution-url", "ftp://h",
             "--evolution-key-env", "EVO_KEY"},
            2},
           {{"instance", "create", "x", "--tenant", "acme", "--evolution-url", "http://h",
             "--evolution-key-env", "UNSET_VARIABLE_FOR_TEST"},
            2},
           {{"instance", "show", "nothing"}, 3},
           {{"instance", "delete", "nothing"}, 3}}) {
    auto r = env.run(e.args, with_env("EVO_KEY", "k"));
    CAPTURE(e.args);
    CAPTURE(r.err);
    CHECK(r.exit_code == e.exit_code);
    CHECK(line_count(r.err) == 1);
    CHECK(r.err.rfind("error: ", 0) == 0);
  }
}

TEST_CASE("instance delete removes it") {
  cli_env env;
  env.run_json({"tenant", "create", "acme", "--json"});
  env.run_json({"instance", "create", "try", "--tenant", "acme", "--sandbox", "--json"});
  CHECK(env.run({"instance", "delete", "try"}).exit_code == 0);
  CHECK(env.run({"instance", "show", "try"}).exit_code == 3);
}
