#include "runtime/job_system.hpp"

#include <sched.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <thread>

#include <SQLiteCpp/Database.h>
#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/job_actors.hpp"
#include "adapters/ai/gemini_provider.hpp"
#include "adapters/ai/offline_provider.hpp"
#include "adapters/ai/openai_provider.hpp"
#include "adapters/evolution/rest_client.hpp"
#include "adapters/http/client.hpp"
#include "base/log.hpp"
#include "base/time.hpp"
#include "runtime/actor_system.hpp"
#include "runtime/actor_system_internal.hpp"
#include "runtime/database_options.hpp"
#include "storage/database.hpp"
#include "storage/instances_repo.hpp"
#include "storage/jobs_repo.hpp"
#include "storage/writer.hpp"

namespace aibud::runtime {
namespace {

// The cores this process may run on: its affinity mask, which taskset and a container's
// cpuset narrow (hardware_concurrency() counts every core of the host).
std::int64_t usable_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
  return std::thread::hardware_concurrency();
}

using actors::job_atom;
using actors::job_services;
using actors::load_atom;
using actors::online_atom;
using actors::send_result;
using actors::send_target;

// The dispatcher: hands each job to the actor of its instance, creating instance and tenant
// actors on first use (linked: they end with the dispatcher, and a restarted dispatcher
// reloads every unfinished job from storage).
using dispatcher_actor =
    caf::typed_actor<caf::reacts_to<job_atom, int64_t, int64_t, int64_t, std::vector<std::string>,
                                    actors::job_hint_ptr>,
                     caf::reacts_to<load_atom, int64_t, int64_t, int64_t>,
                     caf::reacts_to<online_atom, int64_t>>;

const caf::atom_value dispatcher_key = caf::atom("jobs_disp");

struct dispatcher_state {
  std::shared_ptr<job_services> services;
  int64_t started_ms = 0;  // jobs running since were started by this dispatcher
  std::map<int64_t, actors::tenant_actor> tenants;
  std::map<int64_t, actors::instance_actor> instances;

  static inline const char* name = "aibud.dispatcher";
};

using dispatcher_ptr = dispatcher_actor::stateful_pointer<dispatcher_state>;

std::vector<std::string> jids_of(const std::string& sender_jids, const std::string& contact_key) {
  std::vector<std::string> out;
  auto parsed = nlohmann::json::parse(sender_jids, nullptr, false);
  if (parsed.is_array())
    for (const auto& v : parsed)
      if (v.is_string()) out.push_back(v.get<std::string>());
  if (out.empty() && !contact_key.empty()) out.push_back(contact_key);
  return out;
}

void route(dispatcher_ptr self, int64_t job, int64_t instance_id, int64_t tenant_id,
           const std::vector<std::string>& jids, const actors::job_hint_ptr& hint) {
  auto& st = self->state;
  auto t = st.tenants.find(tenant_id);
  if (t == st.tenants.end()) {
    t = st.tenants.emplace(tenant_id, actors::spawn_tenant(self, tenant_id)).first;
    if (st.services->tree) st.services->tree->tenant_started(tenant_id);
  }
  auto i = st.instances.find(instance_id);
  if (i == st.instances.end())
    i = st.instances
            .emplace(instance_id, actors::spawn_instance(self, st.services, t->second, instance_id))
            .first;
  self->send(i->second, job_atom::value, job, jids, hint);
}

// Every unfinished job, in id order, a page per writer call so that the first jobs run while
// later pages are still read (a large backlog after a crash starts at once); `running` ones
// (left by a crash) become pending again first. Routing is only a nudge: each contact reloads
// its own jobs from storage in order, so pages and fresh commits may interleave.
struct backlog_load {
  std::shared_ptr<job_services> services;
  caf::weak_actor_ptr dispatcher;
  std::map<int64_t, int64_t> tenant_of;  // instance → tenant, read once per instance
  int64_t after = 0;       // the last job routed; 0 until the first page (which requeues)
  int64_t count = 0;       // jobs routed so far
  int64_t attempt = 0;     // failed tries of the page being read
  int64_t started_ms = 0;  // the dispatcher's start: jobs running since are its own
};

constexpr int backlog_page = 1000;

// A page that could not be read (the database busy or failing) is read again with backoff,
// from where the load stopped: without it the backlog would wait for the next restart.
// The first page's requeue is in the same write, so it is redone only if it was undone, and
// it leaves alone the jobs this dispatcher started meanwhile.
void retry_load(const backlog_load& load, const std::string& why) {
  if (load.services->stopping.load()) return;  // the writer refuses because it is stopping
  const int64_t attempt = load.attempt + 1;
  const auto delay = actors::retry_delay(load.services->settings, attempt, std::nullopt);
  log::error("could not load unfinished jobs: retrying",
             {{"error", why}, {"attempt", attempt}, {"retry_in_ms", delay.count()}});
  auto strong = load.dispatcher.lock();
  if (!strong) return;
  caf::delayed_anon_send(caf::actor_cast<dispatcher_actor>(strong), delay, load_atom::value,
                         load.after, load.count, attempt);
}

void load_page(std::shared_ptr<backlog_load> load) {
  struct found {
    int64_t job, instance, tenant;
    std::vector<std::string> jids;
  };
  auto page = std::make_shared<std::vector<found>>();
  auto tree = load->services->tree;
  bool queued = load->services->writer->try_submit(
      [load, page, tree](storage::write_context& w) -> status {
        if (load->after == 0)
          if (auto r = w.jobs().requeue_running(load->started_ms); !r) return r.err();
        auto refs = w.jobs().unfinished_refs(backlog_page, load->after);
        if (!refs) return refs.err();
        for (const auto& j : *refs) {
          auto t = load->tenant_of.find(j.instance_id);
          if (t == load->tenant_of.end()) {
            auto inst = w.instances().get(j.instance_id);
            if (!inst) return inst.err();
            t = load->tenant_of.emplace(j.instance_id, inst->tenant_id).first;
            if (tree) tree->describe_instance(j.instance_id, inst->tenant_id, inst->name);
          }
          page->push_back({j.id, j.instance_id, t->second, jids_of(j.sender_jids, j.contact_key)});
        }
        return ok_status();
      },
      [load, page](const status& s) {
        if (load->services->stopping.load()) return;
        if (!s) return retry_load(*load, s.err().message);
        auto strong = load->dispatcher.lock();
        if (!strong) return;
        auto me = caf::actor_cast<dispatcher_actor>(strong);
        for (auto& f : *page)
          caf::anon_send(me, job_atom::value, f.job, f.instance, f.tenant, f.jids,
                         actors::job_hint_ptr{});
        load->attempt = 0;
        load->count += static_cast<int64_t>(page->size());
        if (page->size() == static_cast<std::size_t>(backlog_page)) {
          load->after = page->back().job;
          return load_page(load);
        }
        if (load->count > 0) log::info("resuming unfinished jobs", {{"count", load->count}});
      });
  if (!queued) retry_load(*load, "storage writer queue is full");
}

// From job `after` on, `count` routed already, after `attempt` failed tries: (0, 0, 0) at
// start, a retry's position otherwise (retry_load).
void load_unfinished(dispatcher_ptr self, int64_t after, int64_t count, int64_t attempt) {
  auto load = std::make_shared<backlog_load>();
  load->services = self->state.services;
  load->dispatcher = caf::actor_cast<caf::weak_actor_ptr>(self);
  load->after = after;
  load->count = count;
  load->attempt = attempt;
  load->started_ms = self->state.started_ms;
  load_page(std::move(load));
}

// An instance without an actor has no unfinished job (every one is routed at start and on
// commit): nothing to wake.
void wake_instance(dispatcher_ptr self, int64_t instance_id) {
  auto i = self->state.instances.find(instance_id);
  if (i != self->state.instances.end()) self->send(i->second, online_atom::value);
}

dispatcher_actor::behavior_type dispatcher_behavior(dispatcher_ptr self,
                                                    std::shared_ptr<job_services> services) {
  self->state.services = std::move(services);
  self->state.started_ms = time::now_ms();
  self->system().registry().put(dispatcher_key, caf::actor_cast<caf::strong_actor_ptr>(self));
  self->send(self, load_atom::value, int64_t{0}, int64_t{0}, int64_t{0});
  return {
      [self](job_atom, int64_t job, int64_t instance, int64_t tenant,
             const std::vector<std::string>& jids,
             const actors::job_hint_ptr& hint) { route(self, job, instance, tenant, jids, hint); },
      [self](load_atom, int64_t after, int64_t count, int64_t attempt) {
        load_unfinished(self, after, count, attempt);
      },
      [self](online_atom, int64_t instance_id) { wake_instance(self, instance_id); },
  };
}

send_result::kind kind_of(evolution::outcome_kind k) {
  switch (k) {
    case evolution::outcome_kind::ok:
      return send_result::kind::ok;
    case evolution::outcome_kind::retryable:
      return send_result::kind::retryable;
    case evolution::outcome_kind::not_connected:
      return send_result::kind::not_connected;
    case evolution::outcome_kind::unauthorized:
      return send_result::kind::unauthorized;
    case evolution::outcome_kind::not_found:
    case evolution::outcome_kind::rejected:
      return send_result::kind::rejected;
  }
  return send_result::kind::rejected;
}

send_result failure_of(const evolution::outcome& o) {
  return {kind_of(o.kind), "",
          o.message.empty() ? std::string(evolution::to_string(o.kind)) : o.message, o.retry_after};
}

}  // namespace

struct job_system::impl {
  config::config cfg;
  storage::writer& writer;
  const secrets::sealer& sealer;

  std::unique_ptr<http::client> client;
  std::unique_ptr<ai::provider> provider;
  std::shared_ptr<job_services> services;
  std::unique_ptr<system> rt;
  bool started = false;
  bool stopped = false;

  // A read-only connection for the nudges: the job row a commit just made, read on the
  // writer's callback thread (the only caller), so routing costs the writer no extra write.
  std::mutex read_mutex;
  std::unique_ptr<SQLite::Database> reader;
  std::unique_ptr<storage::jobs_repo> jobs;
  std::unique_ptr<storage::instances_repo> instances;
  std::map<int64_t, int64_t> tenant_of;  // instance id → tenant id
  std::shared_ptr<actors::live_tree> tree = std::make_shared<actors::live_tree>();

  impl(const config::config& c, storage::writer& w, const secrets::sealer& s)
      : cfg(c), writer(w), sealer(s) {}

  std::optional<evolution::evolution_client> client_for(const send_target& to,
                                                        std::string& problem) {
    auto key = sealer.open(to.api_key, "instance " + to.instance_name + ": api_key");
    if (!key) {
      problem = key.err().message;
      return std::nullopt;
    }
    evolution::endpoint ep;
    ep.base_url = to.evolution_url;
    ep.api_key = *key;
    return evolution::evolution_client(client->as_transport(), ep);
  }
};

job_system::job_system(const config::config& cfg, storage::writer& writer,
                       const secrets::sealer& sealer)
    : impl_(std::make_unique<impl>(cfg, writer, sealer)) {}

job_system::~job_system() {
  stop();
}

status job_system::start() {
  impl& m = *impl_;
  storage::db_options ro = database_options(m.cfg);
  ro.read_only = true;
  auto db = storage::open_database(ro);
  if (!db) return db.err();
  m.reader = std::move(*db);
  m.jobs = std::make_unique<storage::jobs_repo>(*m.reader);
  m.instances = std::make_unique<storage::instances_repo>(*m.reader);

  m.client = std::make_unique<http::client>();
  const std::string which = m.cfg.ai_provider();
  if (which == "gemini") {
    ai::gemini::settings g;
    g.base_url = m.cfg.ai.gemini.base_url;
    g.api_key = m.cfg.ai.gemini.api_key;
    g.model = m.cfg.ai.gemini.fast_model;
    g.fallback_model = m.cfg.ai.gemini.fallback_model;
    g.timeout = m.cfg.ai.timeout;
    g.max_in_flight = m.cfg.ai.max_concurrency;
    m.provider = std::make_unique<ai::gemini_provider>(g, m.client->as_transport());
  } else if (which == "openai") {
    ai::openai::settings o;
    o.base_url = m.cfg.ai.openai.base_url;
    o.api_key = m.cfg.ai.openai.api_key;
    o.model = m.cfg.ai.openai.model;
    o.timeout = m.cfg.ai.timeout;
    o.max_in_flight = m.cfg.ai.max_concurrency;
    m.provider = std::make_unique<ai::openai_provider>(o, m.client->as_transport());
  } else {
    m.provider = std::make_unique<ai::offline_provider>();
  }

  auto services = std::make_shared<job_services>();
  services->writer = &m.writer;
  services->provider = m.provider.get();
  services->idle_timeout = m.cfg.contacts.idle_timeout;
  services->tree = m.tree;
  auto& s = services->settings;
  s.max_attempts = m.cfg.jobs.max_attempts;
  s.retry_base = m.cfg.jobs.retry_base;
  s.retry_max = m.cfg.jobs.retry_max;
  s.max_wait = m.cfg.jobs.max_wait;
  s.credit_wait = std::max(m.cfg.jobs.retry_base, std::chrono::milliseconds(1));
  s.agent.max_message_age = m.cfg.jobs.max_message_age;
  s.agent.takeover_pause = m.cfg.takeover.pause;
  s.agent.reply_cost = m.cfg.credits.text_reply;
  s.agent.poll_cost = m.cfg.credits.poll;
  s.agent.valuation_cost = m.cfg.credits.valuation;
  s.text_burst = {m.cfg.merge.quiet_period, m.cfg.merge.max_wait};
  s.shaping.max_length = static_cast<std::size_t>(m.cfg.reply.max_length);
  s.shaping.typing = m.cfg.reply.typing == "on";
  s.shaping.ms_per_char = m.cfg.reply.typing_per_char.count();
  s.shaping.min_delay_ms = m.cfg.reply.typing_min.count();
  s.shaping.max_delay_ms = m.cfg.reply.typing_max.count();
  s.photo_burst = {m.cfg.merge.photo_window,
                   std::max(m.cfg.merge.max_wait, m.cfg.merge.photo_window)};
  // One set for the process: every contact's runner sees the same "ai" and
  // "evolution:<instance id>" breakers.
  if (which == "gemini")
    s.models = {m.cfg.ai.gemini.fast_model, m.cfg.ai.gemini.strong_model,
                m.cfg.ai.gemini.fallback_model};
  else if (which == "openai")
    s.models = {m.cfg.ai.openai.model, m.cfg.ai.openai.model, ""};
  s.breakers = std::make_shared<actors::breaker_set>(
      actors::breaker_settings{m.cfg.breaker.failures, m.cfg.breaker.cooldown});
  impl* self = &m;
  services->send_text = [self](const send_target& to, const std::string& text,
                               std::function<void(send_result)> done) {
    std::string problem;
    auto c = self->client_for(to, problem);
    if (!c) return done({send_result::kind::unauthorized, "", problem, {}});
    evolution::send_text_request req;
    req.number = to.jid;
    req.text = text;
    c->send_text(to.instance_name, req, [done](evolution::call_result<evolution::sent_message> r) {
      if (!r.ok()) return done(failure_of(r.status));
      done({send_result::kind::ok, r.value.id, "", {}});
    });
  };
  services->find_sent = [self](const send_target& to, const actors::sent_content& what,
                               int64_t since_ms, std::function<void(send_result)> done) {
    std::string problem;
    auto c = self->client_for(to, problem);
    if (!c) return done({send_result::kind::unauthorized, "", problem, {}});
    auto query = evolution::reconciliation_query(to.jid, since_ms, time::now_ms());
    auto jids = to.jids;
    c->find_messages(to.instance_name, query,
                     [done, jids, what](evolution::call_result<evolution::message_page> r) {
                       if (!r.ok()) return done(failure_of(r.status));
                       auto key = what.poll ? evolution::find_sent_poll(r.value, jids, what.text,
                                                                        what.options, what.taken)
                                            : evolution::find_sent_text(r.value, jids, what.text,
                                                                        what.taken);
                       done({send_result::kind::ok, key.value_or(""), "", {}});
                     });
  };
  services->send_poll = [self](const send_target& to, const std::string& question,
                               const std::vector<std::string>& options, int selectable_count,
                               std::function<void(send_result)> done) {
    std::string problem;
    auto c = self->client_for(to, problem);
    if (!c) return done({send_result::kind::unauthorized, "", problem, {}});
    evolution::send_poll_request req;
    req.number = to.jid;
    req.name = question;
    req.values = options;
    req.selectable_count = selectable_count;
    c->send_poll(to.instance_name, req, [done](evolution::call_result<evolution::sent_message> r) {
      if (!r.ok()) return done(failure_of(r.status));
      done({send_result::kind::ok, r.value.id, "", {}});
    });
  };
  services->send_presence = [self](const send_target& to, int64_t delay_ms,
                                   std::function<void(send_result)> done) {
    std::string problem;
    auto c = self->client_for(to, problem);
    if (!c) return done({send_result::kind::unauthorized, "", problem, {}});
    evolution::send_presence_request req;
    req.number = to.jid;
    req.presence = "composing";
    req.delay_ms = delay_ms;
    c->send_presence(to.instance_name, req, [done](evolution::call_result<unit> r) {
      if (!r.ok()) return done(failure_of(r.status));
      done({send_result::kind::ok, "", "", {}});
    });
  };
  services->fetch_media_base64 = [self](
                                     const send_target& to, const std::string& message_id,
                                     std::function<void(send_result, actors::media_bytes)> done) {
    std::string problem;
    auto c = self->client_for(to, problem);
    if (!c) return done({send_result::kind::unauthorized, "", problem, {}}, {});
    c->get_base64(to.instance_name, message_id,
                  [done](evolution::call_result<evolution::media_download> r) {
                    if (!r.ok()) return done(failure_of(r.status), {});
                    done({send_result::kind::ok, "", "", {}},
                         {std::move(r.value.base64), std::move(r.value.mimetype)});
                  });
  };
  m.services = services;

  system_options actor_options;
  actor_options.threads = m.cfg.actors.threads > 0 ? m.cfg.actors.threads
                                                   : std::max<std::int64_t>(1, usable_cores() / 2);
  m.rt = std::make_unique<system>(actor_options);
  caf::scoped_actor scoped{caf_system(*m.rt)};
  child_spec spec;
  spec.name = "jobs";
  spec.kind = "dispatcher";
  spec.start = [services](caf::local_actor* sup) {
    return caf::actor_cast<caf::actor>(sup->system().spawn(dispatcher_behavior, services));
  };
  auto added = add_child(scoped, root_supervisor(*m.rt), std::move(spec));
  if (!added) return added.err();
  m.started = true;
  log::info("job system started", {{"ai_provider", m.provider->name()}});
  return ok_status();
}

void job_system::nudge(int64_t job_id) {
  impl& m = *impl_;
  if (!m.started || m.services->stopping.load()) return;
  int64_t instance_id = 0;
  std::vector<std::string> jids;
  {
    std::lock_guard<std::mutex> lock(m.read_mutex);
    auto j = m.jobs->get_without_payload(job_id);
    if (!j) {
      log::warn("committed job not readable; it runs at the next start",
                {{"job", job_id}, {"error", j.err().message}});
      return;
    }
    instance_id = j->instance_id;
    jids = jids_of(j->sender_jids, j->contact_key);
  }
  dispatch(job_id, instance_id, std::move(jids), nullptr);
}

void job_system::committed(int64_t job_id, int64_t instance_id, const evolution::event& event) {
  impl& m = *impl_;
  if (!m.started || m.services->stopping.load()) return;
  auto hint = actors::hint_of(job_id, event);
  if (!hint) return nudge(job_id);
  // The row's sender_jids are the message's JIDs (intake::job_of), so routing by them is
  // routing by the row (no JID at all: the instance's contact "", as for the row).
  std::vector<std::string> jids = hint->in.jids;
  dispatch(job_id, instance_id, std::move(jids), std::move(hint));
}

void job_system::dispatch(int64_t job_id, int64_t instance_id, std::vector<std::string> jids,
                          std::shared_ptr<const actors::job_hint> hint) {
  impl& m = *impl_;
  int64_t tenant_id = 0;
  {
    std::lock_guard<std::mutex> lock(m.read_mutex);
    auto t = m.tenant_of.find(instance_id);
    if (t == m.tenant_of.end()) {
      auto inst = m.instances->get(instance_id);
      if (!inst) return;
      t = m.tenant_of.emplace(instance_id, inst->tenant_id).first;
      m.tree->describe_instance(instance_id, inst->tenant_id, inst->name);
    }
    tenant_id = t->second;
  }
  auto& sys = caf_system(*m.rt);
  auto target = sys.registry().get(dispatcher_key);
  if (!target) return;  // restarting: it reloads every unfinished job itself
  caf::anon_send(caf::actor_cast<dispatcher_actor>(target), job_atom::value, job_id, instance_id,
                 tenant_id, std::move(jids), std::move(hint));
}

void job_system::instance_changed(int64_t instance_id) {
  impl& m = *impl_;
  if (!m.started || m.services->stopping.load()) return;
  auto target = caf_system(*m.rt).registry().get(dispatcher_key);
  if (!target) return;  // restarting: it reloads every unfinished job itself
  caf::anon_send(caf::actor_cast<dispatcher_actor>(target), online_atom::value, instance_id);
}

void job_system::connection_changed(int64_t instance_id, const std::string& state) {
  if (state == "open") instance_changed(instance_id);
}

void job_system::stop() {
  impl& m = *impl_;
  if (m.stopped || !m.started) return;
  m.stopped = true;
  m.services->stopping = true;
  caf_system(*m.rt).registry().erase(dispatcher_key);
  m.rt->shutdown();
  m.client->stop();
  log::info("job system stopped");
}

system& job_system::actors() {
  return *impl_->rt;
}

std::vector<actor_entry> job_system::live_tree() const {
  const impl& m = *impl_;
  std::vector<actor_entry> out;
  if (!m.started || m.stopped) return out;
  // The supervisors and the dispatcher answer for themselves (their restarts); the tenants,
  // instances and contacts come from the snapshot their actors keep.
  auto supervised = m.rt->tree(std::chrono::seconds(2));
  if (supervised) {
    std::function<void(const nlohmann::json&, const std::string&)> walk =
        [&](const nlohmann::json& node, const std::string& parent) {
          actor_entry e;
          const std::string name = node.value("name", "");
          e.path = parent.empty() ? "/" : (parent == "/" ? "/" : parent + "/") + name;
          e.kind = node.value("kind", "");
          e.state = node.value("state", "running");
          e.restarts = node.value("restarts", int64_t{0});
          out.push_back(e);
          if (node.contains("children"))
            for (const auto& c : node["children"]) walk(c, e.path);
        };
    walk(*supervised, "");
  }
  actor_entry writer;
  writer.path = "/storage-writer";
  writer.kind = "writer";
  writer.state = "running";
  writer.last_activity = time::now_ms();
  out.push_back(writer);
  for (auto& n : m.tree->snapshot()) {
    actor_entry e;
    e.path = std::move(n.path);
    e.kind = std::move(n.kind);
    e.state = std::move(n.state);
    e.mailbox = n.mailbox;
    e.job = n.job;
    e.restarts = n.restarts;
    e.last_activity = n.last_activity;
    out.push_back(std::move(e));
  }
  return out;
}

int64_t job_system::active_contacts() const {
  return impl_->tree->active_contacts();
}

}  // namespace aibud::runtime
