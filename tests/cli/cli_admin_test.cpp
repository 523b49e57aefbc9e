// jobs, dlq, contact and actors, without a server (the CLI writes the database) and with one
// (`aibud serve` as a child holds the database: changes go through its admin API).
#include <doctest/doctest.h>

#include <SQLiteCpp/Database.h>

#include <csignal>
#include <regex>

#include "storage/audit_repo.hpp"
#include "storage/contacts_repo.hpp"
#include "storage/database.hpp"
#include "storage/failed_jobs_repo.hpp"
#include "storage/jobs_repo.hpp"
#include "tests/cli/cli_support.hpp"

using aibud::testing::cli_env;
using nlohmann::json;

namespace {

// A tenant, a sandbox instance "shop" with contact 5511999990001@s.whatsapp.net (status
// qualified, alias 77@lid), three jobs, and the first one dead-lettered.
struct seeded {
  int64_t dead = 0;
  std::vector<int64_t> jobs;
};

std::unique_ptr<SQLite::Database> open(const cli_env& env) {
  aibud::storage::db_options o;
  o.path = env.db_path();
  return std::move(aibud::storage::open_ready(o).value());
}

seeded seed(const cli_env& env) {
  env.run_json({"tenant", "create", "acme", "--credits", "10", "--json"});
  env.run_json({"instance", "create", "shop", "--tenant", "acme", "--sandbox", "--json"});
  auto db = open(env);
  int64_t shop = db->execAndGet("SELECT id FROM instances WHERE name = 'shop'").getInt64();
  aibud::storage::contacts_repo contacts(*db);
  auto c = contacts.create(shop, "5511999990001@s.whatsapp.net", "Ana").value();
  c.status = "qualified";
  REQUIRE(contacts.save(c));
  REQUIRE(aibud::storage::contact_aliases_repo(*db).add(shop, "77@lid", c.id));
  seeded out;
  aibud::storage::jobs_repo jobs(*db);
  for (int n = 0; n < 3; ++n) {
    aibud::storage::new_job j;
    j.instance_id = shop;
    j.wa_message_id = "m" + std::to_string(n);
    j.event = "messages.upsert";
    j.contact_key = c.jid;
    j.payload = "{}";
    out.jobs.push_back(jobs.insert(j).value());
  }
  out.dead = aibud::storage::failed_jobs_repo(*db).record(out.jobs[0], "ai: 500").value();
  return out;
}

std::vector<aibud::storage::audit_entry> audit(const cli_env& env) {
  auto db = open(env);
  auto entries = aibud::storage::audit_repo(*db).list(1000).value();
  return {entries.rbegin(), entries.rend()};
}

// Marks the pending jobs done, so that a server's job runner leaves them alone.
void finish_pending(const cli_env& env) {
  open(env)->exec("UPDATE jobs SET status = 'done' WHERE status = 'pending'");
}

// `aibud serve` on an ephemeral port, holding env's database.
class server {
 public:
  explicit server(const cli_env& env)
      : child_({AIBUD_BINARY, "serve", "--listen", "127.0.0.1:0"}, options(env)) {
    std::smatch m;
    static const std::regex listening("\"address\":\"127\\.0\\.0\\.1:([0-9]+)\"");
    bool up = aibud::testing::wait_until([&] {
      std::string out = child_.output();
      if (!std::regex_search(out, m, listening)) return false;
      url_ = "http://127.0.0.1:" + m[1].str();
      return true;
    });
    if (!up) throw std::runtime_error("serve did not start: " + child_.output());
  }
  ~server() {
    child_.kill(SIGTERM);
    child_.wait();
  }
  const std::string& url() const { return url_; }

 private:
  static aibud::testing::run_options options(const cli_env& env) {
    aibud::testing::run_options o;
    o.env["AIBUD_DB"] = env.db_path();
    o.unset_env = {"AIBUD_TOKEN", "AIBUD_SERVER", "AIBUD_LISTEN", "AIBUD_CONFIG"};
    o.cwd = env.dir().path();
    return o;
  }
  aibud::testing::child child_;
  std::string url_;
};

aibud::testing::run_options with_token(const std::string& token, const std::string& url = "") {
  aibud::testing::run_options o;
  o.env["AIBUD_TOKEN"] = token;
  if (!url.empty()) o.env["AIBUD_SERVER"] = url;
  return o;
}

}  // namespace

TEST_CASE("without a server, jobs list prints the inbox with the contract fields") {
  cli_env env;
  auto s = seed(env);
  auto all = env.run_json({"jobs", "list", "--json"});
  REQUIRE(all.size() == 3);
  for (const char* field : {"id", "instance", "contact", "status", "attempts", "created_at",
                            "updated_at", "last_error"})
    CHECK_MESSAGE(all[0].contains(field), field);
  CHECK(all[0]["status"] == "failed");
  auto pending =
      env.run_json({"jobs", "list", "--status", "pending", "--instance", "shop", "--json"});
  CHECK(pending.size() == 2);
  auto bad = env.run({"jobs", "list", "--status", "lost"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.rfind("error: invalid_argument: ", 0) == 0);
  CHECK(env.run({"jobs", "list", "--instance", "nowhere"}).exit_code == 3);
}

TEST_CASE("without a server, dlq list, show, replay and purge work on the database") {
  cli_env env;
  auto s = seed(env);
  auto list = env.run_json({"dlq", "list", "--json"});
  REQUIRE(list.size() == 1);
  for (const char* field :
       {"id", "job_id", "instance", "contact", "error", "attempts", "failed_at"})
    CHECK_MESSAGE(list[0].contains(field), field);
  auto shown = env.run_json({"dlq", "show", std::to_string(s.dead), "--json"});
  CHECK(shown["error"] == "ai: 500");
  CHECK(env.run({"dlq", "replay"}).exit_code == 2);
  CHECK(env.run({"dlq", "replay", "999"}).exit_code == 3);
  auto replayed = env.run_json({"dlq", "replay", std::to_string(s.dead), "--json"});
  CHECK(replayed["jobs"] == json::array({s.jobs[0]}));
  CHECK(env.run_json({"dlq", "list", "--json"}).empty());
  CHECK(env.run_json({"jobs", "list", "--status", "pending", "--json"}).size() == 3);
  auto purged = env.run_json({"dlq", "purge", "--all", "--json"});
  CHECK(purged["purged"] == 0);
  auto entries = audit(env);
  CHECK(entries[entries.size() - 2].action == "dlq.replay");
  CHECK(entries.back().action == "dlq.purge");
  CHECK(entries.back().actor == "cli");
}

TEST_CASE("without a server, contact pause --for 0 holds until resume restores the status") {
  cli_env env;
  seed(env);
  auto list = env.run_json({"contact", "list", "--instance", "shop", "--json"});
  REQUIRE(list.size() == 1);
  CHECK(list[0]["jid"] == "5511999990001@s.whatsapp.net");
  auto by_lid = env.run_json({"contact", "show", "77@lid", "--instance", "shop", "--json"});
  CHECK(by_lid["status"] == "qualified");
  auto paused = env.run_json(
      {"contact", "pause", "5511999990001", "--instance", "shop", "--for", "0", "--json"});
  CHECK(paused["status"] == "handed_off");
  CHECK(paused["paused"] == true);
  CHECK(paused["paused_until"].is_null());
  auto resumed = env.run_json({"contact", "resume", "77@lid", "--instance", "shop", "--json"});
  CHECK(resumed["status"] == "qualified");
  CHECK(resumed["paused"] == false);
  auto bad = env.run({"contact", "pause", "77@lid", "--instance", "shop", "--for", "soon"});
  CHECK(bad.exit_code == 2);
  CHECK(env.run({"contact", "show", "12", "--instance", "shop"}).exit_code == 3);
  auto entries = audit(env);
  CHECK(entries.back().action == "contact.resume");
  CHECK(entries.back().actor == "cli");
}

TEST_CASE("actors without a running server fails unavailable") {
  cli_env env;
  seed(env);
  auto r = env.run({"actors"});
  CHECK(r.exit_code == 5);
  CHECK(r.err.rfind("error: unavailable: no server is running", 0) == 0);
}

TEST_CASE("with a server, changes go through its admin API and are audited as the token") {
  cli_env env;
  auto s = seed(env);
  auto token = env.run_json({"token", "create", "--role", "admin", "--json"});
  std::string secret = token["token"];
  std::string actor = "token:" + std::to_string(token["id"].get<int64_t>());
  finish_pending(env);
  server srv(env);

  // The URL comes from AIBUD_SERVER here and from --server below.
  auto paused =
      env.run_json({"contact", "pause", "77@lid", "--instance", "shop", "--for", "30m", "--json"},
                   with_token(secret, srv.url()));
  CHECK(paused["status"] == "handed_off");
  CHECK(paused["paused_until"].is_string());
  env.run_json(
      {"contact", "resume", "77@lid", "--instance", "shop", "--server", srv.url(), "--json"},
      with_token(secret));
  auto replayed = env.run_json({"dlq", "replay", "--all", "--json"}, with_token(secret, srv.url()));
  CHECK(replayed["jobs"] == json::array({s.jobs[0]}));
  auto granted =
      env.run_json({"tenant", "grant", "acme", "5", "--json"}, with_token(secret, srv.url()));
  CHECK(granted["credits_left"] == 15);
  auto tree = env.run_json({"actors", "--json"}, with_token(secret, srv.url()));
  REQUIRE(tree.is_array());
  REQUIRE(!tree.empty());
  CHECK(tree[0].contains("path"));

  std::vector<std::string> actions;
  for (const auto& e : audit(env))
    if (e.actor == actor) actions.push_back(e.action);
  CHECK(actions ==
        std::vector<std::string>{"contact.pause", "contact.resume", "dlq.replay", "tenant.grant"});
}

TEST_CASE("with a server, a missing, refused or underpowered token fails with exit 2") {
  cli_env env;
  seed(env);
  auto viewer = env.run_json({"token", "create", "--role", "viewer", "--json"});
  finish_pending(env);
  server srv(env);
  auto missing =
      env.run({"contact", "pause", "77@lid", "--instance", "shop"}, with_token("", srv.url()));
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("AIBUD_TOKEN") != std::string::npos);
  auto bad = env.run({"dlq", "purge", "--all"}, with_token("nope", srv.url()));
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.rfind("error: invalid_argument: server refused the token (unauthorized)", 0) == 0);
  auto weak = env.run({"instance", "delete", "shop"}, with_token(viewer["token"], srv.url()));
  CHECK(weak.exit_code == 2);
  CHECK(weak.err.find("forbidden") != std::string::npos);
  // Reads still work straight from the database while the server runs.
  CHECK(env.run_json({"instance", "list", "--json"}).size() == 1);
}
