// contact:<slot> — one person's conversation (docs/jobs.md). The database is the queue: the
// actor learns job ids from its instance (nudges) and from storage when it starts, and runs
// them one at a time, lowest id first, through the job runner.
//
//   start ──load──▶ idle ──job──▶ running ──ran: finished/failed──▶ next job or idle
//                                     │
//                                     └─ran: deferred/waiting──▶ blocked ──wake/timer──▶ running
//   an instance wake (connected again) that comes while a job runs is kept and applied when
//   that run ends: the run may be the one about to wait for it.
//   idle ──idle_timeout──▶ asks its instance to passivate it ──stop──▶ gone
#include <chrono>
#include <map>
#include <set>
#include <utility>

#include <caf/all.hpp>

#include "actors/job_actors.hpp"
#include "base/log.hpp"
#include "base/time.hpp"
#include "storage/jobs_repo.hpp"
#include "storage/writer.hpp"

namespace aibud::actors {
namespace {

// Effects whose answers come back as resume messages to the contact. Shared by the contact
// and its runs; once the contact is gone (or the system stops) answers are dropped, so a run
// that outlives its contact ends without touching it.
class posted_effects final : public effects {
 public:
  posted_effects(std::shared_ptr<job_services> services, caf::weak_actor_ptr self)
      : services_(std::move(services)), self_(std::move(self)) {}

  void write(storage::write_fn fn, std::function<void(const status&)> done) override {
    auto post = poster();
    bool queued = services_->writer->try_submit(
        std::move(fn), [post, done](const status& s) { post([done, s] { done(s); }); });
    if (!queued)
      post([done] { done(make_error(errc::unavailable, "storage writer queue is full")); });
  }
  void generate(ai::ai_request request, std::function<void(ai::ai_response)> done) override {
    auto post = poster();
    services_->provider->generate(std::move(request), [post, done](ai::ai_response r) {
      post([done, r = std::move(r)]() mutable { done(std::move(r)); });
    });
  }
  void send_text(const send_target& to, const std::string& text,
                 std::function<void(send_result)> done) override {
    auto post = poster();
    if (!services_->send_text)
      return post([done] { done({send_result::kind::rejected, "", "no Evolution client", {}}); });
    services_->send_text(to, text, [post, done](send_result r) { post([done, r] { done(r); }); });
  }
  void find_sent(const send_target& to, const sent_content& what, int64_t since_ms,
                 std::function<void(send_result)> done) override {
    auto post = poster();
    if (!services_->find_sent)
      return post([done] { done({send_result::kind::rejected, "", "no Evolution client", {}}); });
    services_->find_sent(to, what, since_ms,
                         [post, done](send_result r) { post([done, r] { done(r); }); });
  }
  void send_poll(const send_target& to, const std::string& question,
                 const std::vector<std::string>& options, int selectable_count,
                 std::function<void(send_result)> done) override {
    auto post = poster();
    if (!services_->send_poll)
      return post([done] { done({send_result::kind::rejected, "", "no Evolution client", {}}); });
    services_->send_poll(to, question, options, selectable_count,
                         [post, done](send_result r) { post([done, r] { done(r); }); });
  }
  void send_presence(const send_target& to, int64_t delay_ms,
                     std::function<void(send_result)> done) override {
    auto post = poster();
    if (!services_->send_presence)
      return post([done] { done({send_result::kind::rejected, "", "no Evolution client", {}}); });
    services_->send_presence(to, delay_ms,
                             [post, done](send_result r) { post([done, r] { done(r); }); });
  }
  void fetch_media_base64(const send_target& to, const std::string& message_id,
                          std::function<void(send_result, media_bytes)> done) override {
    auto post = poster();
    if (!services_->fetch_media_base64)
      return post([done] {
        done({send_result::kind::rejected, "", "no Evolution client", {}}, {});
      });
    services_->fetch_media_base64(to, message_id, [post, done](send_result r, media_bytes b) {
      post([done, r, b = std::move(b)]() mutable { done(r, std::move(b)); });
    });
  }

 private:
  // Posts a continuation to the contact; dropped when it is gone or the system is stopping.
  std::function<void(std::function<void()>)> poster() const {
    return [services = services_, self = self_](std::function<void()> fn) {
      if (services->stopping.load()) return;
      auto strong = self.lock();
      if (!strong) return;
      caf::anon_send(caf::actor_cast<contact_actor>(strong), resume_atom::value,
                     resume_fn{std::move(fn)});
    };
  }

  std::shared_ptr<job_services> services_;
  caf::weak_actor_ptr self_;
};

struct contact_state {
  std::shared_ptr<job_services> services;
  caf::actor instance;
  tenant_actor tenant;
  int64_t instance_id = 0;
  uint64_t slot = 0;
  std::vector<std::string> keys;

  std::shared_ptr<posted_effects> fx;
  std::unique_ptr<job_runner> runner;
  std::set<int64_t> queue;                       // unfinished jobs known to this contact
  std::map<int64_t, job_hint_ptr> hints;         // the intake's parse of queued jobs, by id
  std::optional<int64_t> running;                // the job in the runner
  bool blocked = false;                          // the head job waits (deferred or for credits)
  bool burst_wait = false;                       // ... for the rest of its burst
  bool newer_arrived = false;                    // a newer job came while one ran
  bool loaded = false;                           // storage answered: no earlier job can be missing
  wake_reason pending_wake = wake_reason::none;  // a wake that came while a job ran
  uint64_t nudges = 0;                           // job messages received from the instance
  // One idle timer at a time, however many jobs come and go: it fires at most an idle
  // timeout after it was set and looks at how long the contact has really been idle.
  bool tick_pending = false;
  std::chrono::steady_clock::time_point idle_since;

  static inline const char* name = "aibud.contact";
};

using self_ptr = contact_actor::stateful_pointer<contact_state>;

void start_next(self_ptr self, wake_reason why = wake_reason::none);

void arm_idle_timer(self_ptr self, std::chrono::steady_clock::duration after) {
  self->state.tick_pending = true;
  // Rounded up: a timer that fires a fraction early would re-arm for nothing, again and again.
  self->delayed_send(self, std::chrono::ceil<std::chrono::milliseconds>(after), tick_atom::value);
}

void schedule_idle(self_ptr self) {
  auto& st = self->state;
  st.idle_since = std::chrono::steady_clock::now();
  if (!st.tick_pending) arm_idle_timer(self, st.services->idle_timeout);
}

void on_tick(self_ptr self) {
  auto& st = self->state;
  st.tick_pending = false;
  // Busy now: the next time the contact goes idle arms the timer again.
  if (st.running || !st.queue.empty()) return;
  const auto left = st.idle_since + st.services->idle_timeout - std::chrono::steady_clock::now();
  if (left > std::chrono::milliseconds(0)) return arm_idle_timer(self, left);
  self->send(caf::actor_cast<instance_actor>(st.instance), idle_atom::value, st.slot, st.nudges);
}

void add_job(self_ptr self, int64_t id, job_hint_ptr hint) {
  auto& st = self->state;
  const bool newer = st.queue.empty() || id > *st.queue.rbegin();
  st.queue.insert(id);
  if (hint && st.running != id) st.hints[id] = std::move(hint);
  if (newer && st.running) st.newer_arrived = true;
  // A newer message of a waiting burst: the head re-plans now and merges into it at once.
  if (st.burst_wait && newer && !st.running) return start_next(self, wake_reason::burst);
  start_next(self);
}

void on_ran(self_ptr self, const run_result& r) {
  auto& st = self->state;
  const int64_t id = st.running.value_or(0);
  st.running.reset();
  if ((r.settled || r.alert_80 || r.alert_100) && st.tenant)
    self->send(st.tenant, settle_atom::value, r.alert_80, r.alert_100);
  switch (r.what) {
    case run_result::kind::finished:
    case run_result::kind::failed:
      st.queue.erase(id);
      st.hints.erase(id);
      break;
    case run_result::kind::waiting_credits:
      if (st.tenant) self->send(st.tenant, wait_atom::value, caf::actor_cast<caf::actor>(self));
      [[fallthrough]];
    case run_result::kind::burst_wait:
    case run_result::kind::deferred:
    case run_result::kind::not_due:
    case run_result::kind::retry_later: {
      st.blocked = true;
      // The queue may wait long (an instance held for hours): its jobs parse their payloads
      // when they run rather than keep the intake's parse in memory meanwhile.
      st.hints.clear();
      const int64_t delay = std::max<int64_t>(1, r.not_before - time::now_ms());
      self->delayed_send(self, std::chrono::milliseconds(delay), wake_atom::value);
      break;
    }
  }
  st.burst_wait = r.what == run_result::kind::burst_wait ||
                  (r.what == run_result::kind::not_due && r.error == waiting_for_burst);
  // The run may have planned its burst before that newer job was committed: plan again.
  const bool replan = st.burst_wait && std::exchange(st.newer_arrived, false);
  st.newer_arrived = false;
  const wake_reason pending = std::exchange(st.pending_wake, wake_reason::none);
  start_next(self, replan ? wake_reason::burst : pending);
}

void on_wake(self_ptr self, wake_reason why) {
  auto& st = self->state;
  if (!st.running) return start_next(self, why);
  // The running job may be about to wait for its instance: keep that wake for when it ends.
  // (A job waiting for credits has its own short timer; timers use this path too.)
  if (why == wake_reason::instance) st.pending_wake = why;
}

void start_next(self_ptr self, wake_reason why) {
  auto& st = self->state;
  if (why != wake_reason::none) st.blocked = false;
  // A nudge can arrive before the load: running it first would overtake older jobs.
  if (st.running || st.blocked || !st.loaded) return;
  if (st.queue.empty()) {
    if (st.services->tree) st.services->tree->contact_running(st.instance_id, st.slot, {}, 0);
    return schedule_idle(self);
  }
  const int64_t id = *st.queue.begin();
  st.running = id;
  // Only the first run of a job takes its hint; a retry reads the stored payload.
  job_hint_ptr hint;
  if (auto h = st.hints.find(id); h != st.hints.end()) {
    hint = std::move(h->second);
    st.hints.erase(h);
  }
  if (st.services->tree)
    st.services->tree->contact_running(st.instance_id, st.slot, id,
                                       static_cast<int64_t>(st.queue.size()) - 1);
  caf::weak_actor_ptr weak = caf::actor_cast<caf::weak_actor_ptr>(self);
  auto services = st.services;
  st.runner->run(
      id,
      [weak, services](run_result r) {
        // Called through a resume message (every effect answer is), so on this actor's thread.
        if (services->stopping.load()) return;
        if (auto strong = weak.lock())
          caf::anon_send(caf::actor_cast<contact_actor>(strong), ran_atom::value, std::move(r));
      },
      why, std::move(hint));
}

// Reads the unfinished jobs stored under this contact's keys: a restarted contact's mailbox
// was lost, the database was not.
void load_jobs(self_ptr self) {
  auto& st = self->state;
  auto ids = std::make_shared<std::vector<int64_t>>();
  auto keys = st.keys;
  const int64_t instance_id = st.instance_id;
  st.fx->write(
      [ids, keys, instance_id](storage::write_context& w) -> status {
        for (const auto& key : keys) {
          auto jobs = w.jobs().unfinished_for_contact(instance_id, key);
          if (!jobs) return jobs.err();
          for (const auto& j : *jobs) ids->push_back(j.id);
        }
        return ok_status();
      },
      [self, ids](const status& s) {
        if (!s) log::warn("contact could not load its jobs", {{"error", s.err().message}});
        self->send(self, load_atom::value, *ids);
      });
}

contact_actor::behavior_type contact_behavior(self_ptr self, std::shared_ptr<job_services> services,
                                              caf::actor instance, tenant_actor tenant,
                                              int64_t instance_id, uint64_t slot,
                                              std::vector<std::string> keys) {
  auto& st = self->state;
  st.services = services;
  st.instance = instance;
  st.tenant = tenant;
  st.instance_id = instance_id;
  st.slot = slot;
  st.keys = std::move(keys);
  st.fx = std::make_shared<posted_effects>(services, caf::actor_cast<caf::weak_actor_ptr>(self));
  // The process's settings, shared through the services rather than copied per contact.
  st.runner = std::make_unique<job_runner>(
      st.fx, std::shared_ptr<const runner_settings>(services, &services->settings));
  self->set_exception_handler([self](std::exception_ptr& e) -> caf::error {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      log::error("contact crashed",
                 {{"job", self->state.running.value_or(0)}, {"error", x.what()}});
    } catch (...) {
    }
    self->demonitor(self->state.instance);
    if (self->state.running) return make_error(supervision_error::crashed_in_job);
    return caf::exit_reason::unhandled_exception;
  });
  // Counted as live until the actor has really ended, not from when its instance asked it to
  // stop: read right after the ask, the gauge said 0 while thousands of ending contacts still
  // held their memory. A crash is the instance's to report (it restarts the contact).
  if (auto tree = services->tree)
    self->attach_functor([tree, instance_id, slot](const caf::error& reason) {
      if (!reason) tree->contact_stopped(instance_id, slot);
    });
  self->monitor(instance);
  self->set_down_handler([self](const caf::down_msg&) { self->quit(); });
  load_jobs(self);
  return {
      [self](job_atom, int64_t id, job_hint_ptr hint) {
        ++self->state.nudges;
        add_job(self, id, std::move(hint));
      },
      [self](load_atom, const std::vector<int64_t>& ids) {
        self->state.queue.insert(ids.begin(), ids.end());
        self->state.loaded = true;
        start_next(self);
      },
      [](resume_atom, const resume_fn& r) { r.fn(); },
      [self](ran_atom, const run_result& r) { on_ran(self, r); },
      [self](wake_atom) { on_wake(self, wake_reason::credits); },
      [self](online_atom) { on_wake(self, wake_reason::instance); },
      [self](tick_atom) { on_tick(self); },
      [self](stop_atom) {
        // The instance would otherwise keep a monitor record of every passivated contact
        // (about 1 KiB each in CAF 0.17) for as long as it lives.
        self->demonitor(self->state.instance);
        self->quit();
      },
  };
}

}  // namespace

contact_actor spawn_contact(caf::local_actor* parent, std::shared_ptr<job_services> services,
                            caf::actor instance, tenant_actor tenant, int64_t instance_id,
                            uint64_t slot, std::vector<std::string> keys) {
  return parent->spawn(contact_behavior, std::move(services), std::move(instance),
                       std::move(tenant), instance_id, slot, std::move(keys));
}

}  // namespace aibud::actors
