#include "runtime/serve.hpp"

#include <malloc.h>
#include <cstdlib>
#include <sstream>

#include <SQLiteCpp/Database.h>

#include "adapters/ai/offline_warning.hpp"
#include "adapters/http/router.hpp"
#include "adapters/http/server.hpp"
#include "adapters/http/webhook_handler.hpp"
#include "base/log.hpp"
#include "runtime/admin_api.hpp"
#include "runtime/database_options.hpp"
#include "runtime/db_lock.hpp"
#include "runtime/intake.hpp"
#include "runtime/job_system.hpp"
#include "runtime/secrets.hpp"
#include "runtime/storage_control.hpp"
#include "storage/database.hpp"
#include "storage/instances_repo.hpp"
#include "storage/reader.hpp"
#include "storage/writer.hpp"

namespace aibud::runtime {
namespace {

http::server_options server_options_of(const config::config& cfg, const config::host_port& at) {
  http::server_options options;
  options.host = at.host;
  options.port = at.port;
  options.threads = static_cast<unsigned>(cfg.http.threads);
  options.body_limit = static_cast<std::size_t>(cfg.http.body_limit);
  options.header_timeout = cfg.http.header_timeout;
  options.body_timeout = cfg.http.body_timeout;
  options.max_connections = static_cast<std::size_t>(cfg.http.max_connections);
  options.handle_signals = true;
  return options;
}

std::string metrics_text(const http::webhook_counters& c, const storage::writer_stats& w) {
  std::ostringstream out;
  auto counter = [&](const char* name, const char* help, uint64_t value, const char* labels = "") {
    out << "# HELP " << name << " " << help << "\n# TYPE " << name << " counter\n"
        << name << labels << " " << value << "\n";
  };
  auto load = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  out << "# HELP aibud_webhooks_total Webhooks answered, by outcome.\n"
      << "# TYPE aibud_webhooks_total counter\n";
  std::pair<const char*, uint64_t> outcomes[] = {
      {"accepted", load(c.accepted)},
      {"duplicate", load(c.duplicate)},
      {"ignored_group", load(c.ignored_group)},
      {"ignored_broadcast", load(c.ignored_broadcast)},
      {"ignored_own_send", load(c.ignored_own_send)},
      {"ignored_unsupported_event", load(c.ignored_unsupported_event)},
      {"ignored_unsupported_message", load(c.ignored_unsupported_message)},
      {"unauthorized", load(c.unauthorized)},
      {"invalid", load(c.invalid)},
      {"unknown_instance", load(c.unknown_instance)},
      {"overloaded", load(c.overloaded)},
      {"unavailable", load(c.unavailable)}};
  for (const auto& [outcome, value] : outcomes)
    out << "aibud_webhooks_total{outcome=\"" << outcome << "\"} " << value << "\n";
  counter("aibud_storage_writes_total", "Writes run by the storage writer.", w.writes);
  counter("aibud_storage_transactions_total", "Group commits by the storage writer.",
          w.transactions);
  counter("aibud_storage_rejected_total", "Writes refused because the queue was full.", w.rejected);
  counter("aibud_storage_checkpoints_total", "WAL checkpoints run.", w.checkpoints);
  return out.str();
}

bool trim_on_metrics() {
  static const bool on = [] {
    const char* v = std::getenv("AIBUD_TEST_MALLOC_TRIM");
    return v && std::string(v) == "1";
  }();
  return on;
}

// AIBUD_TEST_INTAKE_COMMIT=skip answers every event as accepted without storing it: the
// ceiling the intake benchmark compares durable intake against. Never set in production.
bool skip_commits() {
  const char* value = std::getenv("AIBUD_TEST_INTAKE_COMMIT");
  return value && std::string(value) == "skip";
}

// AIBUD_TEST_JOBS=hold keeps the job pipeline from starting: committed jobs wait in storage
// for the next start. The intake benchmark sets it so that (b) measures the inbox alone, as
// its ceiling does, rather than the inbox sharing the writer with the replies (bench/e2e
// measures those). Never set in production.
bool hold_jobs() {
  const char* value = std::getenv("AIBUD_TEST_JOBS");
  return value && std::string(value) == "hold";
}

// Real leads answered by canned rules is rarely what an operator meant (ARCHITECTURE §8).
void warn_if_offline(const config::config& cfg, SQLite::Database& db) {
  auto instances = storage::instances_repo(db).list();
  if (!instances) return;
  std::vector<std::string> real;
  for (const auto& i : *instances)
    if (i.kind == "evolution") real.push_back(i.name);
  if (auto warning = ai::offline_warning(cfg.ai_provider(), real)) log::warn(*warning);
}

}  // namespace

status serve(const config::config& cfg, const serve_hooks& hooks) {
  auto at = config::parse_host_port(cfg.listen);
  if (!at) return at.err();
  auto sealer = secrets::sealer::from_env();
  if (!sealer) return sealer.err();

  auto lock = db_lock::acquire(cfg.db);
  if (!lock) return lock.err();
  {
    // The schema gate and the secrets check run before anything is served.
    auto db = storage::open_ready(database_options(cfg));
    if (!db) return db.err();
    if (auto s = secrets::verify_instance_secrets(**db, *sealer); !s) return s;
    warn_if_offline(cfg, **db);
  }

  storage::writer_options writer_options;
  writer_options.db = database_options(cfg);
  writer_options.queue_capacity = static_cast<std::size_t>(cfg.writer.queue_limit);
  writer_options.max_batch = static_cast<std::size_t>(cfg.writer.max_batch);
  auto writer = storage::writer::start(writer_options);
  if (!writer) return writer.err();

  intake inbox(**writer, *sealer);
  job_system jobs(cfg, **writer, *sealer);  // docs/jobs.md; stopped before the writer
  if (hold_jobs()) {
    log::warn("AIBUD_TEST_JOBS=hold: jobs are stored but not run");
  } else {
    if (auto s = jobs.start(); !s) {
      (*writer)->stop();
      return s;
    }
    inbox.on_committed(jobs.committed_fn());
    inbox.on_connection(jobs.connection_fn());
  }
  http::webhook_counters counters;
  http::intake_commit commit = inbox.commit_fn();
  if (skip_commits()) {
    log::warn("AIBUD_TEST_INTAKE_COMMIT=skip: events are acknowledged without being stored");
    commit = [](int64_t, evolution::event, std::function<void(http::commit_result)> done) {
      done({http::commit_result::outcome::accepted, 0});
    };
  }
  http::webhook_handler webhooks(inbox.lookup_fn(), commit, counters);

  storage::reader_options reader_options;
  reader_options.db = database_options(cfg);
  auto reads = storage::reader::start(reader_options);
  if (!reads) {
    (*writer)->stop();
    return reads.err();
  }
  // Until the actor tree owns tenant, contact and DLQ state, the admin API changes it
  // through the storage writer.
  storage_control control(
      **writer, [&inbox](const std::string& name) { inbox.forget(name); },
      [&jobs](const std::vector<int64_t>& replayed) {
        for (int64_t id : replayed) jobs.nudge(id);
      });
  control.show_tree([&jobs] { return jobs.live_tree(); });

  http::router routes;
  add_admin_routes(routes, **reads, control, {cfg.public_base_url(), cfg.takeover.pause});
  routes.get("/healthz", [](http::request, http::responder respond) {
    respond(http::json_response(R"({"status":"ok"})"));
  });
  routes.get("/readyz", [](http::request, http::responder respond) {
    respond(http::json_response(R"({"status":"ready"})"));
  });
  storage::writer& w = **writer;
  routes.get("/metrics", [&counters, &w, &jobs](http::request, http::responder respond) {
    http::response r;
    r.content_type = "text/plain; version=0.0.4";
    // AIBUD_TEST_MALLOC_TRIM=1 (benchmarks): memory freed by passivated contacts is handed
    // back first, so the RSS read after this answer counts only what is still held.
    if (trim_on_metrics()) malloc_trim(0);
    r.body = metrics_text(counters, w.stats());
    r.body +=
        "# HELP aibud_contact_actors_active Contact actors alive (not passivated).\n"
        "# TYPE aibud_contact_actors_active gauge\naibud_contact_actors_active " +
        std::to_string(jobs.active_contacts()) + "\n";
    respond(std::move(r));
  });
  auto on_webhook = [&webhooks](http::request req, http::responder respond) {
    webhooks(std::move(req), std::move(respond));
  };
  routes.post("/webhook/evolution/{instance}", on_webhook);
  routes.post("/webhook/evolution/{instance}/{event}", on_webhook);

  http::server server(server_options_of(cfg, *at), routes.as_handler());
  if (auto s = server.start(); !s) {
    (*reads)->stop();
    (*writer)->stop();
    return s;
  }
  log::info("listening",
            {{"address", at->host + ":" + std::to_string(server.port())}, {"db", cfg.db}});
  if (hooks.on_listening) hooks.on_listening(server.port(), [&server] { server.request_stop(); });
  server.wait();
  // Every in-flight request has been answered; what they queued is committed by stop().
  jobs.stop();
  (*reads)->stop();
  (*writer)->stop();
  log::info("stopped");
  return ok_status();
}

}  // namespace aibud::runtime
