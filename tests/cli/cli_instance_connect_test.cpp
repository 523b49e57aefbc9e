// `aibud instance connect` against a fake Evolution API on loopback: provisioning, the
// webhook registration, the QR code and the recorded connection state.
#include <doctest/doctest.h>

#include <future>
#include <string>

#include "tests/cli/cli_support.hpp"
#include "tests/support/fake_evolution.hpp"

using aibud::testing::cli_env;
using aibud::testing::fake_evolution;
using aibud::testing::line_count;
using aibud::testing::run_options;
using aibud::testing::run_result;
using aibud::testing::wait_until;
using json = nlohmann::json;

namespace {

const std::string secret_key = "provision-test-secret-key-0123456789abcdef";
const std::string public_url = "https://bot.example.com";

// A tenant, and an Evolution instance named `name` at the fake whose stored key is `key`;
// returns the webhook secret `instance create` printed.
std::string add_instance(cli_env& env, const fake_evolution& fake, const std::string& name,
                         const std::string& key) {
  env.secret_key = secret_key;
  env.run_json({"tenant", "create", "acme", "--json"});
  run_options options;
  options.env["EVO_INSTANCE_KEY"] = key;
  auto created =
      env.run_json({"instance", "create", name, "--tenant", "acme", "--evolution-url",
                    fake.base_url(), "--evolution-key-env", "EVO_INSTANCE_KEY", "--json"},
                   options);
  return created["webhook_secret"].get<std::string>();
}

run_options connect_env(const std::string& global_key = "") {
  run_options options;
  options.env["AIBUD_PUBLIC_URL"] = public_url;
  if (!global_key.empty()) options.env["EVO_GLOBAL_KEY"] = global_key;
  return options;
}

std::string show_state(const cli_env& env, const std::string& name) {
  return env.run_json({"instance", "show", name, "--json"})["state"].get<std::string>();
}

// Waits until `path` was requested, or the run ended (its output then says why).
bool requested_or_ended(const fake_evolution& fake, const std::string& path,
                        std::future<run_result>& run) {
  return wait_until([&] {
    return !fake.requests_to(path).empty() ||
           run.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  });
}

bool has_qr(const std::string& text) {
  return text.find("\u2588") != std::string::npos && text.find("\u2580") != std::string::npos;
}

}  // namespace

TEST_CASE("connect creates a missing instance with the global key and stores its key sealed") {
  fake_evolution fake;
  cli_env env;
  add_instance(env, fake, "main", "placeholder-key");
  const std::string global = fake.config().global_key;

  auto linking = std::async(std::launch::async, [&] {
    return env.run({"instance", "connect", "main", "--evolution-key-env", "EVO_GLOBAL_KEY",
                    "--timeout", "20s"},
                   connect_env(global));
  });
  REQUIRE(requested_or_ended(fake, "/instance/connect/main", linking));
  fake.set_state("main", "open");
  run_result r = linking.get();
  INFO(r.err);
  CHECK(r.exit_code == 0);

  auto creates = fake.requests_to("/instance/create");
  REQUIRE(creates.size() == 1);
  CHECK(creates[0].header("apikey") == global);
  json body = creates[0].json();
  CHECK(body["instanceName"] == "main");
  CHECK(body["integration"] == "WHATSAPP-BAILEYS");
  CHECK(body["qrcode"] == false);
  CHECK(has_qr(r.out));
  CHECK(r.out.find(global) == std::string::npos);
  CHECK(show_state(env, "main") == "open");

  // The key Evolution returned is what aibud now holds: a second connect needs no global key,
  // and the key is not in the database in clear.
  auto again = env.run({"instance", "connect", "main", "--timeout", "5s"}, connect_env());
  CHECK(again.exit_code == 0);
  auto by_stored_key = fake.requests_to("/instance/connectionState/main").back();
  const std::string instance_key = by_stored_key.header("apikey");
  CHECK(instance_key.rfind("E2F1", 0) == 0);
  CHECK(env.database_bytes().find(instance_key) == std::string::npos);
  CHECK(fake.requests_to("/instance/create").size() == 1);
}

TEST_CASE("connect leaves an instance Evolution already has and registers the webhook") {
  fake_evolution fake;  // has acme-bot, open
  cli_env env;
  const std::string secret = add_instance(env, fake, "acme-bot", fake.config().instance_token);

  auto r = env.run({"instance", "connect", "acme-bot", "--json"}, connect_env());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(json::parse(r.out)["state"] == "open");
  CHECK(fake.requests_to("/instance/create").empty());

  auto sets = fake.requests_to("/webhook/set/acme-bot");
  REQUIRE(sets.size() == 1);
  CHECK(sets[0].header("apikey") == fake.config().instance_token);
  json webhook = sets[0].json()["webhook"];
  CHECK(webhook["url"] == public_url + "/webhook/evolution/acme-bot");
  CHECK(webhook["enabled"] == true);
  CHECK(webhook["byEvents"] == false);
  CHECK(webhook["events"] == json{"MESSAGES_UPSERT", "CONNECTION_UPDATE", "QRCODE_UPDATED"});
  // 2.3.7 signs a JWT with jwt_key: the secret itself is never sent.
  CHECK(webhook["headers"] == json{{"jwt_key", secret}});
  CHECK(fake.webhook("acme-bot")["url"] == webhook["url"]);
}

TEST_CASE("a server older than 2.3.0 gets the secret in X-Aibud-Secret") {
  fake_evolution::options old_server;
  old_server.version = "2.2.3";
  fake_evolution fake(old_server);
  cli_env env;
  const std::string secret = add_instance(env, fake, "acme-bot", fake.config().instance_token);

  auto r = env.run({"instance", "connect", "acme-bot"}, connect_env());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  json webhook = fake.requests_to("/webhook/set/acme-bot").at(0).json()["webhook"];
  CHECK(webhook["headers"] == json{{"X-Aibud-Secret", secret}});
  CHECK(webhook["byEvents"] == false);
}

TEST_CASE("connect shows the QR until the state is open, and instance show says so") {
  fake_evolution fake;
  fake.set_state("acme-bot", "close");
  cli_env env;
  add_instance(env, fake, "acme-bot", fake.config().instance_token);

  auto linking = std::async(std::launch::async, [&] {
    return env.run({"instance", "connect", "acme-bot", "--timeout", "20s"}, connect_env());
  });
  REQUIRE(requested_or_ended(fake, "/instance/connect/acme-bot", linking));
  // While it waits, the instance row says it is connecting.
  REQUIRE(wait_until([&] { return show_state(env, "acme-bot") == "connecting"; }));
  fake.set_state("acme-bot", "open");
  run_result r = linking.get();
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(has_qr(r.out));
  CHECK(r.out.find("connected") != std::string::npos);
  CHECK(show_state(env, "acme-bot") == "open");
}

TEST_CASE("a pairing phone gets a pairing code besides the QR") {
  fake_evolution fake;
  fake.set_state("acme-bot", "close");
  cli_env env;
  add_instance(env, fake, "acme-bot", fake.config().instance_token);
  auto r = env.run({"instance", "connect", "acme-bot", "--pairing-phone", "+55 11 90000-0000",
                    "--timeout", "1s"},
                   connect_env());
  CHECK(r.out.find("WZYEH1YY") != std::string::npos);
  CHECK(fake.requests_to("/instance/connect/acme-bot").at(0).target ==
        "/instance/connect/acme-bot?number=5511900000000");
}

TEST_CASE("connect that times out exits 5 with one line on stderr and records the state") {
  fake_evolution fake;
  fake.set_state("acme-bot", "close");
  cli_env env;
  add_instance(env, fake, "acme-bot", fake.config().instance_token);

  auto r = env.run({"instance", "connect", "acme-bot", "--timeout", "2s"}, connect_env());
  CHECK(r.exit_code == 5);
  CHECK(line_count(r.err) == 1);
  CHECK(r.err.rfind("error: unavailable: ", 0) == 0);
  CHECK(r.err.find("2s") != std::string::npos);
  CHECK(has_qr(r.out));
  CHECK(show_state(env, "acme-bot") == "connecting");
}

TEST_CASE("connect refuses an unset key variable, an unknown instance, a sandbox and a bad phone") {
  fake_evolution fake;
  cli_env env;
  add_instance(env, fake, "acme-bot", fake.config().instance_token);
  env.run_json({"instance", "create", "try", "--tenant", "acme", "--sandbox", "--json"});

  run_options unset = connect_env();
  unset.unset_env.push_back("EVO_GLOBAL_KEY");
  auto missing_var =
      env.run({"instance", "connect", "acme-bot", "--evolution-key-env", "EVO_GLOBAL_KEY"}, unset);
  CHECK(missing_var.exit_code == 2);
  CHECK(missing_var.err.rfind("error: usage: ", 0) == 0);
  CHECK(line_count(missing_var.err) == 1);
  CHECK(fake.requests().empty());

  auto unknown = env.run({"instance", "connect", "nope"}, connect_env());
  CHECK(unknown.exit_code == 3);
  CHECK(line_count(unknown.err) == 1);

  auto sandbox = env.run({"instance", "connect", "try"}, connect_env());
  CHECK(sandbox.exit_code == 2);
  CHECK(line_count(sandbox.err) == 1);

  auto bad_phone =
      env.run({"instance", "connect", "acme-bot", "--pairing-phone", "call me"}, connect_env());
  CHECK(bad_phone.exit_code == 2);
  CHECK(line_count(bad_phone.err) == 1);
  CHECK(fake.requests().empty());
}

TEST_CASE("a missing instance without the global key is a usage error naming the option") {
  fake_evolution fake;
  cli_env env;
  add_instance(env, fake, "main", "placeholder-key");
  auto r = env.run({"instance", "connect", "main"}, connect_env());
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--evolution-key-env") != std::string::npos);
  CHECK(fake.requests_to("/instance/create").empty());
}

TEST_CASE("a refused key and an unreachable server are clear errors that never show the key") {
  fake_evolution fake;
  cli_env env;
  add_instance(env, fake, "acme-bot", "wrong-key-5f1d");
  auto refused = env.run({"instance", "connect", "acme-bot"}, connect_env());
  CHECK(refused.exit_code == 2);
  CHECK(line_count(refused.err) == 1);
  CHECK(refused.err.find("401") != std::string::npos);
  CHECK(refused.err.find("wrong-key-5f1d") == std::string::npos);
  CHECK(refused.out.find("wrong-key-5f1d") == std::string::npos);

  auto bad_global = connect_env("global-but-wrong-77");
  auto refused_global = env.run(
      {"instance", "connect", "acme-bot", "--evolution-key-env", "EVO_GLOBAL_KEY"}, bad_global);
  CHECK(refused_global.exit_code == 2);
  CHECK(refused_global.err.find("EVO_GLOBAL_KEY") != std::string::npos);
  CHECK(refused_global.err.find("global-but-wrong-77") == std::string::npos);

  std::string gone_url;
  {
    fake_evolution gone;
    gone_url = gone.base_url();
  }
  cli_env other;
  other.secret_key = secret_key;
  other.run_json({"tenant", "create", "acme", "--json"});
  run_options with_key;
  with_key.env["EVO_INSTANCE_KEY"] = "k-unreachable-42";
  other.run_json({"instance", "create", "far", "--tenant", "acme", "--evolution-url", gone_url,
                  "--evolution-key-env", "EVO_INSTANCE_KEY", "--json"},
                 with_key);
  auto unreachable = other.run({"instance", "connect", "far"}, connect_env());
  CHECK(unreachable.exit_code == 5);
  CHECK(line_count(unreachable.err) == 1);
  CHECK(unreachable.err.find("unreachable") != std::string::npos);
  CHECK(unreachable.err.find("k-unreachable-42") == std::string::npos);
}
