// aibud demo: the whole loop offline and on its own. A temporary database, a tenant with a
// small budget, a sandbox instance (sends are recorded, not sent) and the offline provider;
// the server runs in this process on a loopback port and the scripted leads talk to it through
// real webhooks, each waiting for its answer like a person would.
#include <cstdlib>
#include <filesystem>
#include <future>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>

#include "actors/poll_manager.hpp"
#include "adapters/http/client.hpp"
#include "base/crypto.hpp"
#include "base/time.hpp"
#include "cli/commands.hpp"
#include "cli/context.hpp"
#include "cli/demo_script.hpp"
#include "cli/demo_transcript.hpp"
#include "cli/output.hpp"
#include "runtime/logging.hpp"
#include "runtime/serve.hpp"
#include "storage/contacts_repo.hpp"
#include "storage/failed_jobs_repo.hpp"
#include "storage/instances_repo.hpp"
#include "storage/interactions_repo.hpp"
#include "storage/jobs_repo.hpp"
#include "storage/tenants_repo.hpp"
#include "storage/usage_repo.hpp"

namespace aibud::cli {
namespace {

using nlohmann::json;

constexpr int64_t demo_credits = 20;
constexpr int max_other_leads = 40;
const std::chrono::seconds settle_timeout{60};

std::string temporary_database() {
  std::string dir = (std::filesystem::temp_directory_path() / "aibud-demo-XXXXXX").string();
  if (!mkdtemp(dir.data())) fail(errc::unavailable, "cannot create a temporary directory");
  return dir + "/demo.db";
}

// The running demo: the server's address, the instance and a read view of the database.
class demo_run {
 public:
  demo_run(SQLite::Database& db, storage::instance instance, std::string secret, uint16_t port)
      : db_(db), instance_(std::move(instance)), secret_(std::move(secret)), port_(port) {}

  // Posts one webhook and returns the job it made (0 when it was not a job).
  int64_t post(const json& body) {
    http_call call;
    call.method = "POST";
    call.url = "http://127.0.0.1:" + std::to_string(port_) + "/webhook/evolution/" + instance_.name;
    call.headers = {{"X-Aibud-Secret", secret_}, {"Content-Type", "application/json"}};
    call.body = body.dump();
    std::promise<http_reply> answered;
    client_.perform(std::move(call), [&answered](http_reply r) { answered.set_value(r); });
    http_reply reply = answered.get_future().get();
    if (reply.status != 200)
      fail(errc::internal, "the demo server answered a webhook with HTTP " +
                               std::to_string(reply.status) + ": " + reply.body);
    return json::parse(reply.body).value("job", int64_t{0});
  }

  // Waits until no job is pending, running or waiting (deferred bursts included).
  void settle() {
    auto deadline = std::chrono::steady_clock::now() + settle_timeout;
    storage::jobs_repo jobs(db_);
    while (true) {
      auto open = jobs.unfinished(1);
      if (open && open->empty()) return;
      if (std::chrono::steady_clock::now() > deadline)
        fail(errc::internal, "the demo's jobs did not finish within 60 s");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling a database
    }
  }

  // Prints what was said since the last call.
  void print_new(const std::map<int64_t, std::string>& names) {
    auto fresh = storage::interactions_repo(db_).for_instance(instance_.id, 1000, last_seen_);
    if (!fresh) fail(fresh.err());
    for (const auto& i : *fresh) {
      demo::print_interaction(std::cout, i, names);
      last_seen_ = i.id;
    }
    std::cout.flush();
  }

  std::optional<storage::contact> contact_of(const demo::lead& who) {
    auto c = storage::contacts_repo(db_).find(instance_.id, who.jid());
    if (!c) return std::nullopt;
    return *c;
  }

  std::string job_status(int64_t job) {
    auto j = storage::jobs_repo(db_).get(job);
    return j ? j->status : "";
  }

  std::string next_id() { return "DEMO" + crypto::random_hex(8); }
  const storage::instance& instance() const { return instance_; }

 private:
  SQLite::Database& db_;
  storage::instance instance_;
  std::string secret_;
  uint16_t port_;
  http::client client_;
  int64_t last_seen_ = 0;
};

// The poll open on a contact and the option to vote for: the one `wanted` names, as a lead
// would type it (the poll manager's own matching), else the first.
std::optional<std::pair<std::string, std::string>> choose_vote(const storage::contact& c,
                                                               const std::string& wanted) {
  if (!c.open_poll) return std::nullopt;
  auto poll = actors::parse_open_poll(*c.open_poll);
  if (!poll || poll->labels.empty()) return std::nullopt;
  auto index = actors::match_option(*poll, wanted).value_or(0);
  return std::make_pair(poll->message_id, poll->labels[index]);
}

void talk(demo_run& run, std::map<int64_t, std::string>& names) {
  auto lead = demo::main_lead();
  std::cout << "Conversation with " << lead.name << " (+" << lead.phone << ")\n";
  int photo = 0;
  for (const auto& line : demo::main_script()) {
    int64_t now_s = time::now_ms() / 1000;
    switch (line.what) {
      case demo::line::kind::text:
        run.post(demo::text_webhook(run.instance().name, lead, run.next_id(), line.text, now_s));
        break;
      case demo::line::kind::photo:
        run.post(demo::photo_webhook(run.instance().name, lead, run.next_id(), line.text,
                                     demo::demo_photo(++photo), now_s));
        break;
      case demo::line::kind::vote: {
        auto contact = run.contact_of(lead);
        auto vote = contact ? choose_vote(*contact, line.text) : std::nullopt;
        if (!vote) continue;  // the flow asked fewer questions than the script can answer
        run.post(demo::vote_webhook(run.instance().name, lead, run.next_id(), vote->first,
                                    {vote->second}, now_s));
        break;
      }
    }
    if (line.burst_with_next) continue;
    run.settle();
    if (auto c = run.contact_of(lead)) names[c->id] = lead.name;
    run.print_new(names);
  }
}

// Other leads write until one of them finds the credits spent.
void exhaust_credits(demo_run& run, std::map<int64_t, std::string>& names) {
  std::cout << "\nOther leads write in until the credits run out\n";
  for (int n = 0; n < max_other_leads; ++n) {
    auto lead = demo::other_lead(n);
    int64_t job = run.post(demo::text_webhook(run.instance().name, lead, run.next_id(),
                                              demo::other_lead_message(n), time::now_ms() / 1000));
    run.settle();
    if (auto c = run.contact_of(lead)) names[c->id] = lead.name;
    run.print_new(names);
    if (run.job_status(job) == storage::job_status::out_of_credits) return;
  }
}

void run_demo(context& ctx) {
  if (ctx.options().db.empty()) ctx.set_flag("db", temporary_database());
  ctx.set_flag("listen", "127.0.0.1:0");
  ctx.set_flag("ai.provider", "offline");
  // Bursts still merge (three photos are one valuation), on a demo's patience rather than a
  // person's typing speed.
  ctx.set_flag("merge.quiet_period", "500ms");
  ctx.set_flag("merge.photo_window", "1500ms");
  if (!std::getenv("AIBUD_LOG_LEVEL")) ctx.set_flag("log_level", "error");
  auto& db = ctx.db();
  runtime::setup_logging(ctx.cfg());

  auto tenant =
      must(storage::tenants_repo(db).create("demo-realty", "demo", demo_credits, 1, "en"));
  // A sandbox records its sends instead of calling Evolution, and the database is a
  // throwaway, so its secret stays unsealed.
  std::string secret = crypto::random_base64url(32);
  auto instance = must(
      storage::instances_repo(db).create("demo-sandbox", tenant.id, "sandbox", "", "", secret));
  std::cout << "aibud demo: tenant " << tenant.name << " with " << demo_credits
            << " credits, sandbox instance " << instance.name << ", offline AI\n"
            << "database " << ctx.cfg().db << "\n\n";

  std::promise<std::pair<uint16_t, std::function<void()>>> listening;
  status served = ok_status();
  std::thread server([&] {
    runtime::serve_hooks hooks;
    hooks.on_listening = [&listening](uint16_t port, std::function<void()> stop) {
      listening.set_value({port, std::move(stop)});
    };
    served = runtime::serve(ctx.cfg(), hooks);
    if (!served) listening.set_exception(std::make_exception_ptr(std::runtime_error("")));
  });
  std::pair<uint16_t, std::function<void()>> up;
  try {
    up = listening.get_future().get();
  } catch (const std::exception&) {
    server.join();
    fail(served.err());
  }

  std::map<int64_t, std::string> names;
  try {
    demo_run run(db, instance, secret, up.first);
    talk(run, names);
    exhaust_credits(run, names);
  } catch (...) {
    up.second();
    server.join();
    throw;
  }
  up.second();
  server.join();
  if (!served) fail(served.err());

  auto contacts = must(storage::contacts_repo(db).list(instance.id));
  for (auto& c : contacts)
    if (auto n = names.find(c.id); n != names.end()) c.name = n->second;
  auto usage = must(storage::usage_repo(db).current(tenant.id, time::now_ms()));
  auto dlq = must(storage::failed_jobs_repo(db).list());
  demo::print_summary(std::cout, contacts, usage, dlq);
}

}  // namespace

void add_demo_command(CLI::App& app, context& ctx) {
  app.add_subcommand("demo", "the whole loop offline, on a temporary database")->callback([&ctx] {
    run_demo(ctx);
  });
}

}  // namespace aibud::cli
