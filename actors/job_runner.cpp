#include "actors/job_runner.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>

#include "actors/contact_resolution.hpp"
#include "actors/context_window.hpp"
#include "actors/job_journal.hpp"
#include "actors/lead_agent.hpp"
#include "actors/poll_manager.hpp"
#include "actors/vision_estimator.hpp"
#include "adapters/evolution/webhook_parser.hpp"
#include "base/crypto.hpp"
#include "base/log.hpp"
#include "base/time.hpp"
#include "storage/audit_repo.hpp"
#include "storage/contacts_repo.hpp"
#include "storage/failed_jobs_repo.hpp"
#include "storage/instances_repo.hpp"
#include "storage/interactions_repo.hpp"
#include "storage/jobs_repo.hpp"
#include "storage/sent_messages_repo.hpp"
#include "storage/tenants_repo.hpp"
#include "storage/usage_repo.hpp"

namespace aibud::actors {
namespace {

// A failed AI call as the job's last_error says it; upstream_down_error reads it back (the
// model router's "5xx or no answer" on the next attempt).
std::string ai_error_text(const ai::ai_response& r) {
  return "ai " + std::string(ai::to_string(r.failure)) + ": " + r.error_message;
}
bool upstream_down_error(const std::string& last_error) {
  for (auto kind : {ai::error_kind::retryable, ai::error_kind::transport})
    if (last_error.rfind("ai " + std::string(ai::to_string(kind)) + ":", 0) == 0) return true;
  return false;
}

using crypto::random_hex;
using crypto::sha256_hex;
using std::chrono::milliseconds;
using time::now_ms;
namespace js = storage::job_status;

const char* const waiting_for_credits = "waiting for credits";

// How far before a send's intent a reconciliation looks for the contact's recorded sends: past
// the window findMessages is asked for (evolution::reconciliation_query's skew).
constexpr std::chrono::milliseconds recorded_lookback = std::chrono::minutes(5);

bool is_terminal(const std::string& status) {
  return status == js::done || status == js::skipped || status == js::merged ||
         status == js::out_of_credits || status == js::failed;
}

// The fault point configured by AIBUD_TEST_FAULT, parsed once.
struct fault_config {
  std::string point;
  int64_t nth = -1;
  bool throws = false;
  std::atomic<int64_t> seen{0};
};

void parse_fault(fault_config& c) {
  const char* v = std::getenv("AIBUD_TEST_FAULT");
  if (!v) return;
  std::string text(v);
  auto colon = text.find(':');
  if (colon == std::string::npos) return;
  c.point = text.substr(0, colon);
  std::string rest = text.substr(colon + 1);
  auto second = rest.find(':');
  c.throws = second != std::string::npos && rest.substr(second + 1) == "throw";
  c.nth = std::atoll(rest.substr(0, second).c_str());
}

fault_config& faults() {
  static fault_config config;
  static std::once_flag parsed;
  std::call_once(parsed, [] { parse_fault(config); });
  return config;
}

// Marks the 80 % / 100 % alerts of the tenant's current period once each; the audit entry
// lands in the same transaction as the charge that crossed the line. `exhausted`: a message
// found too few credits left to be answered, which is 100 % for the operator even when a
// credit is left over (less than a reply may cost).
status mark_alerts(storage::write_context& w, int64_t tenant_id, int64_t now, run_result& out,
                   bool exhausted = false) {
  auto u = w.usage().current(tenant_id, now);
  if (!u) return u.err();
  const int64_t budget = u->credits_limit + u->granted;
  if (budget <= 0) return ok_status();
  auto mark = [&](int percent) -> status {
    auto marked = w.usage().mark_alert(tenant_id, u->period_start, percent, now);
    if (!marked) return marked.err();
    if (!*marked) return ok_status();
    const std::string action = percent == 80 ? "credits.alert_80" : "credits.alert_100";
    nlohmann::json details = {{"percent", percent},
                              {"used", u->used},
                              {"budget", budget},
                              {"period_start", u->period_start}};
    auto a = w.audit().append("system", action, "tenant:" + std::to_string(tenant_id), tenant_id,
                              details.dump());
    if (!a) return a.err();
    (percent == 80 ? out.alert_80 : out.alert_100) = true;
    return ok_status();
  };
  if (u->used * 100 >= budget * 80 && !u->alert_80_at)
    if (auto s = mark(80); !s) return s;
  if ((u->used >= budget || exhausted) && !u->alert_100_at)
    if (auto s = mark(100); !s) return s;
  return ok_status();
}

// One run of one job. Owned by the callbacks in flight (shared_from_this); callbacks of one
// run never overlap, so its members need no lock.
class job_run : public std::enable_shared_from_this<job_run> {
 public:
  job_run(std::shared_ptr<effects> fx, std::shared_ptr<const runner_settings> s, int64_t id,
          std::function<void(run_result)> done, wake_reason why, job_hint_ptr hint)
      : fx_(std::move(fx)),
        settings_(std::move(s)),
        s_(*settings_),
        id_(id),
        why_(why),
        hint_(hint && hint->job_id == id ? std::move(hint) : nullptr),
        done_(std::move(done)) {}

  void start();

 private:
  enum class mode { stop, proceed };

  status write_start(storage::write_context& w);
  bool runs_early() const;
  status hold_for_instance(storage::write_context& w, int64_t now);
  status decide_context(storage::write_context& w, int64_t now);
  status reserve(storage::write_context& w, int64_t now);
  status record_inbound_only(storage::write_context& w, const std::string& final_status,
                             const std::optional<int64_t>& pause_until, int64_t now);
  status load_media(storage::write_context& w);
  status plan_burst_rows(storage::write_context& w, const lead_event& event, int64_t now,
                         std::vector<lead_event>& burst);
  status record_merged(storage::write_context& w, const storage::job& j, const lead_event& e,
                       int64_t into);
  // The lead agents' view of the contact at `now`, built once per run from contact_ (which
  // no step of a run changes before write C): the window it copies is ~2 KB.
  const lead_context& lead_ctx(int64_t now);
  agent_plan current_plan() const;
  status release_reservation(storage::write_context& w);
  // What write C stores, prepared by finish_write on the contact's thread.
  struct finish_inputs {
    agent_plan plan;            // the sends' plan (or the grace message's)
    std::string steps;          // the journal as write C leaves it
    std::string context_after;  // ... with this exchange added
  };
  status write_finish(storage::write_context& w, const finish_inputs& prepared);
  status dlq_in(storage::write_context& w, const std::string& why);

  void next();
  void call_ai();
  void route_model(ai::ai_request& request) const;
  void fetch_media(std::size_t i);
  void on_ai(ai::ai_response response);
  void act();
  void save_intents(const std::vector<outbound>& sends);
  void continue_sends();
  void reconcile(std::size_t i);
  void find_sent(std::size_t i, const sent_content& what);
  // `allowed`: the breaker already let this run through (a reconciliation just asked it).
  void send(std::size_t i, bool allowed = false);
  void finish_write();
  void fail_retryable(const std::string& why, std::optional<milliseconds> retry_after);
  bool breaker_open(const std::string& key);
  std::string evolution_key() const { return "evolution:" + std::to_string(instance_.id); }
  void wait_uncounted(int64_t not_before, const std::string& why);
  void on_send_failure(const send_result& r, const char* what);
  void dlq(const std::string& why);
  void defer(int64_t not_before, const std::string& why, run_result::kind kind);
  void write(storage::write_fn fn, std::function<void()> then);
  void finish();

  // Both owned by the run: a queued write can outlive the runner and its contact actor (the
  // writer drains after the actors stop), and its answer still goes through these.
  const std::shared_ptr<effects> fx_;
  const std::shared_ptr<const runner_settings> settings_;
  const runner_settings& s_;  // *settings_
  const int64_t id_;
  const wake_reason why_;
  const job_hint_ptr hint_;  // the intake's parse of this job's payload, when it came along
  std::function<void(run_result)> done_;

  storage::job job_;
  storage::instance instance_;
  storage::contact contact_;
  std::string language_ = "en";
  std::string tenant_settings_;  // the tenant's settings JSON (its own models)
  job_journal journal_;
  journal_text journal_text_;  // its context and AI steps as text, once written
  send_target target_;
  int64_t attempts_ = 0;
  bool intent_fresh_ = false;       // this run saved the act intents: nothing can have been sent
  std::set<std::size_t> typed_;     // sends whose typing presence this run has shown
  std::optional<agent_step> step_;  // the lead agent's step, from the journal
  std::optional<lead_context> lead_ctx_;  // see lead_ctx()
  // The plan journal_.ai->plan holds, as this run built it: the sends and write C use it
  // rather than parse the journal's text back.
  std::optional<agent_plan> plan_;
  ai::ai_request request_;          // the AI call being prepared (images attached)
  std::vector<audit_note> audits_;  // emitted as events once write C committed
  mode mode_ = mode::proceed;
  bool ended_ = false;  // write A settled the job (finished, waiting or failed)
  run_result result_;
};

void job_run::start() {
  auto self = shared_from_this();
  write([self](storage::write_context& w) { return self->write_start(w); },
        [self] {
          if (self->mode_ == mode::stop) return self->finish();
          fault_point("start");
          self->next();
        });
}

status job_run::write_start(storage::write_context& w) {
  const int64_t now = now_ms();
  mode_ = mode::stop;
  auto j = w.jobs().get_without_payload(id_);
  if (!j) return j.err();
  job_ = std::move(*j);
  result_.status = job_.status;
  if (is_terminal(job_.status)) {
    result_.what = run_result::kind::finished;
    return ok_status();
  }
  auto inst = w.instances().get(job_.instance_id);
  if (!inst) return inst.err();
  instance_ = std::move(*inst);
  result_.tenant_id = instance_.tenant_id;
  if (job_.status == js::waiting && job_.not_before && *job_.not_before > now && !runs_early()) {
    result_.what = run_result::kind::not_due;
    result_.not_before = *job_.not_before;
    result_.error = job_.last_error.value_or("");
    return ok_status();
  }
  auto tenant = w.tenants().get(instance_.tenant_id);
  if (!tenant) return tenant.err();
  language_ = tenant->language;
  tenant_settings_ = tenant->settings;

  auto journal = parse_journal(job_.steps);
  if (!journal) return dlq_in(w, journal.err().message);
  journal_ = std::move(*journal);
  plan_.reset();
  journal_text_.clear();
  if (job_.attempts >= s_.max_attempts)
    return dlq_in(w, job_.last_error.value_or("gave up after " + std::to_string(job_.attempts) +
                                              " attempts"));
  if (instance_.kind == "evolution" && instance_.state == "unauthorized")
    return hold_for_instance(w, now);

  if (!journal_.context) {
    if (auto s = decide_context(w, now); !s) return s;
    if (ended_) return ok_status();
  } else {
    auto c = w.contacts().get(journal_.context->contact_id);
    if (!c)
      return dlq_in(w, "contact " + std::to_string(journal_.context->contact_id) + " is gone");
    contact_ = std::move(*c);
  }
  if (!step_ && !journal_.context->agent_step.empty()) {  // decided by an earlier run
    auto step = step_from_json(nlohmann::json::parse(journal_.context->agent_step, nullptr, false));
    if (!step) return dlq_in(w, "journal: " + step.err().message);
    step_ = std::move(*step);
  }
  if (journal_.next_step() == "ai" || journal_.next_step() == "reserve")
    if (auto s = load_media(w); !s) return s;
  auto jids = w.aliases().of(contact_.id);
  if (!jids) return jids.err();
  target_.instance_id = instance_.id;
  target_.instance_name = instance_.name;
  target_.instance_kind = instance_.kind;
  target_.evolution_url = instance_.evolution_url;
  target_.api_key = instance_.api_key;
  target_.contact_id = contact_.id;
  target_.jid = journal_.context->jid;
  target_.jids = std::move(*jids);

  if (journal_.next_step() == "reserve") {
    if (auto s = reserve(w, now); !s) return s;
    if (ended_) return ok_status();
  }
  if (auto s = w.jobs().begin_attempt(id_, serialize(journal_, journal_text_)); !s) return s;
  attempts_ = job_.attempts + 1;
  result_.status = js::running;
  mode_ = mode::proceed;
  return ok_status();
}

// Whether a waiting job runs before its not_before: woken for what it waits for, or held for
// an instance whose row says it is no longer unauthorized (changed while no wake could come,
// e.g. with the server down).
bool job_run::runs_early() const {
  const std::string error = job_.last_error.value_or("");
  if (why_ == wake_reason::credits && error == waiting_for_credits) return true;
  if (why_ == wake_reason::burst && error == waiting_for_burst) return true;
  if (!held_for_instance(job_.last_error)) return false;
  if (why_ == wake_reason::instance) return true;
  return error.rfind(held_unauthorized, 0) == 0 && instance_.state != "unauthorized";
}

// The instance's key is refused: sending would only be refused again, so the job is held,
// without an attempt, until the instance changes (a wake) or max_wait has passed.
status job_run::hold_for_instance(storage::write_context& w, int64_t now) {
  const int64_t deadline = job_.created_at + s_.max_wait.count();
  if (now >= deadline) return dlq_in(w, held_unauthorized);
  if (auto s = w.jobs().defer(id_, deadline, std::string(held_unauthorized)); !s) return s;
  result_.what = run_result::kind::deferred;
  result_.status = js::waiting;
  result_.not_before = deadline;
  result_.error = held_unauthorized;
  ended_ = true;
  return ok_status();
}

// The text of an inbound event as interactions and the history keep it.
std::string said_of(const lead_event& e) {
  if (e.what != lead_event::kind::poll_vote) return e.text;
  std::string out;
  for (const auto& o : e.vote.selected_options) out += (out.empty() ? "" : ", ") + o;
  return out;
}

const lead_context& job_run::lead_ctx(int64_t now) {
  if (!lead_ctx_) {
    lead_ctx_ = lead_context::of(contact_, language_, now);
    lead_ctx_->costs.text_reply = s_.agent.reply_cost;
    lead_ctx_->costs.poll = s_.agent.poll_cost;
    lead_ctx_->costs.valuation = s_.agent.valuation_cost;
    lead_ctx_->history_turns = s_.agent.history_turns;
  }
  lead_ctx_->now_ms = now;
  return *lead_ctx_;
}

status job_run::decide_context(storage::write_context& w, int64_t now) {
  // The payload parsed once: by the intake (the hint), else here.
  job_hint_ptr parsed = hint_;
  if (!parsed) {
    auto payload = w.jobs().payload(id_);
    if (!payload && payload.err().code != errc::not_found) return payload.err();  // retried
    if (!payload) return dlq_in(w, "unreadable payload: " + payload.err().message);
    auto e = evolution::parse_webhook(*payload, "");
    if (!e) return dlq_in(w, "unreadable payload: " + e.err().message);
    parsed = hint_of(id_, *e);
    if (!parsed) return dlq_in(w, "unreadable payload: job payload: not a message event");
  }
  inbound in = parsed->in;
  if (in.jids.empty()) {
    auto stored = nlohmann::json::parse(job_.sender_jids, nullptr, false);
    if (stored.is_array())
      for (const auto& j : stored)
        if (j.is_string()) in.jids.push_back(j.get<std::string>());
  }
  if (in.jids.empty()) return dlq_in(w, "the event names no contact JID");
  auto c = resolve_contact(w, instance_.id, in.jids, in.push_name);
  if (!c) return c.err();
  contact_ = std::move(*c);
  auto usage = w.usage().current(instance_.tenant_id, now);
  if (!usage) return usage.err();
  const lead_event& event = parsed->event;

  std::optional<decision> gated;
  if (in.type == inbound::kind::business && job_.wa_message_id) {
    // Our own reply echoed back before its send was recorded: not the business typing.
    auto ours = w.sent_messages().contains(instance_.id, *job_.wa_message_id);
    if (!ours) return ours.err();
    if (*ours) {
      gated = decision{};
      gated->what = decision::kind::skip;
      gated->reason = "own_send";
    }
  }
  if (!gated) gated = gate({contact_, now, usage->period_start, language_}, in, s_.agent);

  context_step cs;
  cs.contact_id = contact_.id;
  cs.tenant_id = instance_.tenant_id;
  cs.period_start = usage->period_start;
  cs.kind = in.type == inbound::kind::business ? "business" : to_string(event.what);
  cs.text = in.type == inbound::kind::business ? in.text : said_of(event);
  cs.jid = in.reply_jid.empty() ? contact_.jid : in.reply_jid;
  std::vector<lead_event> burst{event};
  if (!gated) {
    if (auto s = plan_burst_rows(w, event, now, burst); !s) return s;
    if (ended_) return ok_status();
    for (const auto& e : burst) cs.members.push_back(e.job_id);
    if (burst.size() == 1) cs.members.clear();
    agent_step step = decide_step(lead_ctx(now), burst);
    append_json(cs.agent_step, step);
    if (step.what == agent_step::kind::record_only) {
      gated = decision{};
      gated->what = decision::kind::record_only;
      gated->reason = step.reason;
    } else {
      cs.decision = to_string(decision::kind::reply);
      cs.cost = step.max_cost;
      if (step.what != agent_step::kind::ask_ai) {
        // No model: the plan is known now and waits in the journal for the sends.
        ai_step planned;
        planned.intent = step.plan.intent;
        planned.status = step.plan.change.status;
        append_json(planned.plan, step.plan);
        journal_.ai = std::move(planned);
        plan_ = step.plan;
        journal_text_.ai.clear();
      }
      step_ = std::move(step);
    }
  }
  if (gated) {
    cs.decision = to_string(gated->what);
    cs.reason = gated->reason;
  }
  journal_.context = std::move(cs);
  journal_text_.context.clear();
  if (!gated) return ok_status();

  log::info("job not answered",
            {{"job", id_}, {"contact", contact_.id}, {"reason", gated->reason}});
  return record_inbound_only(w, gated->what == decision::kind::skip ? js::skipped : js::done,
                             gated->pause_until, now);
}

// Step 1 of docs/agents.md: the burst this text or photo belongs to, planned from the rows
// alone (so a restart plans the same). Ends the run (ended_) when this job merges into a
// later one or waits for the burst to be quiet; otherwise `burst` holds the members' events,
// oldest first, this job's last.
status job_run::plan_burst_rows(storage::write_context& w, const lead_event& event, int64_t now,
                                std::vector<lead_event>& burst) {
  const bool photo = event.what == lead_event::kind::image;
  if (!photo && event.what != lead_event::kind::text) return ok_status();
  const burst_settings& bs = photo ? s_.photo_burst : s_.text_burst;
  if (bs.quiet_period.count() <= 0) return ok_status();
  // A handed-off lead is only recorded: nothing to wait for.
  if (contact_.status == contact_status::handed_off) return ok_status();
  auto as_burst = [](const storage::job& j, const lead_event& e) {
    return burst_job{j.id, j.message_ts.value_or(0), j.created_at, said_of(e)};
  };
  struct row {
    storage::job job;
    lead_event event;
  };
  std::map<int64_t, row> rows;
  burst_input in;
  in.current = as_burst(job_, event);
  in.now_ms = now;
  auto keys = w.aliases().of(contact_.id);
  if (!keys) return keys.err();
  if (std::find(keys->begin(), keys->end(), job_.contact_key) == keys->end())
    keys->push_back(job_.contact_key);
  for (const auto& key : *keys) {
    auto merged = w.jobs().merged_into(instance_.id, key, id_);
    if (!merged) return merged.err();
    for (auto& j : *merged) {
      auto e = read_lead_event(j.payload, j.id);
      if (!e || rows.count(j.id)) continue;
      in.absorbed.push_back(as_burst(j, *e));
      rows[j.id] = {std::move(j), std::move(*e)};
    }
    auto open = w.jobs().unfinished_for_contact(instance_.id, key);
    if (!open) return open.err();
    for (auto& j : *open) {
      if (j.id == id_ || rows.count(j.id)) continue;
      if (j.status != js::pending && j.status != js::waiting) continue;
      auto journal = parse_journal(j.steps);
      if (!journal || journal->context) continue;  // it has begun to answer
      auto e = read_lead_event(j.payload, j.id);
      if (!e || e->what != event.what) continue;
      in.open.push_back(as_burst(j, *e));
      rows[j.id] = {std::move(j), std::move(*e)};
    }
  }
  const burst_plan plan = plan_burst(in, bs);
  if (plan.what == burst_plan::kind::merge_into) {
    if (auto s = record_merged(w, job_, event, plan.into); !s) return s;
    for (int64_t c : plan.carry)
      if (auto s = w.jobs().mark_merged(c, plan.into); !s) return s;
    log::info("job merged into a later one", {{"job", id_}, {"into", plan.into}});
    result_.what = run_result::kind::finished;
    result_.status = js::merged;
    ended_ = true;
    return ok_status();
  }
  for (int64_t a : plan.absorb)
    if (auto s = record_merged(w, rows[a].job, rows[a].event, id_); !s) return s;
  if (plan.what == burst_plan::kind::defer) {
    if (auto s = w.jobs().defer(id_, plan.until_ms, std::string(waiting_for_burst)); !s) return s;
    result_.what = run_result::kind::burst_wait;
    result_.status = js::waiting;
    result_.not_before = plan.until_ms;
    result_.error = waiting_for_burst;
    ended_ = true;
    return ok_status();
  }
  burst.clear();
  for (const auto& m : plan.members) burst.push_back(m.id == id_ ? event : rows[m.id].event);
  return ok_status();
}

// A job merged into `into`: its message is recorded now (so the transcript keeps arrival
// order); it gets no attempt, no reservation and no reply of its own.
status job_run::record_merged(storage::write_context& w, const storage::job& j, const lead_event& e,
                              int64_t into) {
  storage::interaction in;
  in.tenant_id = instance_.tenant_id;
  in.instance_id = instance_.id;
  in.contact_id = contact_.id;
  in.job_id = j.id;
  in.direction = "in";
  in.kind = to_string(e.what);
  in.content = said_of(e);
  in.wa_message_id = j.wa_message_id;
  if (auto s = w.interactions().append(in); !s) return s.err();
  return w.jobs().mark_merged(j.id, into);
}

// The photos' inline bytes come from the member jobs' payloads: the journal keeps no bytes.
status job_run::load_media(storage::write_context& w) {
  if (!step_) return ok_status();
  for (auto& m : step_->media) {
    if (!m.inline_base64.empty()) continue;
    auto j = w.jobs().get(m.job_id);
    if (!j) return j.err();
    auto e = read_lead_event(j->payload, m.job_id);
    if (e) m.inline_base64 = e->inline_base64;
  }
  return ok_status();
}

status job_run::record_inbound_only(storage::write_context& w, const std::string& final_status,
                                    const std::optional<int64_t>& pause_until, int64_t now) {
  const context_step& cs = *journal_.context;
  if (cs.reason != "own_send") {
    storage::interaction in;
    in.tenant_id = instance_.tenant_id;
    in.instance_id = instance_.id;
    in.contact_id = contact_.id;
    in.job_id = id_;
    in.direction = cs.kind == "business" ? "out" : "in";
    in.kind = cs.kind == "image" || cs.kind == "poll_vote" ? cs.kind : "text";
    in.content = cs.text;
    in.agent = cs.kind == "business" ? std::optional<std::string>("human") : std::nullopt;
    in.wa_message_id = job_.wa_message_id;
    if (auto s = w.interactions().append(in); !s) return s.err();
  }
  auto fresh = w.contacts().get(contact_.id);
  if (!fresh) return fresh.err();
  contact_ = std::move(*fresh);
  contact_.last_activity_at = now;
  if (pause_until) contact_.paused_until = pause_until;
  if (auto s = w.contacts().save(contact_); !s) return s;
  journal_.record = true;
  if (auto s =
          w.jobs().set_status(id_, final_status, std::nullopt, serialize(journal_, journal_text_));
      !s)
    return s;
  result_.what = run_result::kind::finished;
  result_.status = final_status;
  ended_ = true;
  return ok_status();
}

status job_run::reserve(storage::write_context& w, int64_t now) {
  const context_step& cs = *journal_.context;
  // A replayed dead letter's reservation was released: reserve again, as a new generation.
  const int generation =
      journal_.reserve && journal_.reserve->released ? journal_.reserve->generation + 1 : 1;
  reserve_step held{cs.cost, false, false};
  held.generation = generation;
  auto r = w.usage().reserve(cs.tenant_id, id_, held.ledger_step(), cs.cost, now);
  if (!r) return r.err();
  if (*r != storage::reserve_outcome::insufficient) {
    journal_.reserve = held;
    return ok_status();
  }
  auto u = w.usage().current(cs.tenant_id, now);
  if (!u) return u.err();
  if (u->reserved > 0) {
    // Others hold credits that may come back: wait for them, without counting an attempt.
    if (auto s = w.jobs().set_steps(id_, serialize(journal_, journal_text_)); !s) return s;
    const int64_t nb = now + s_.credit_wait.count();
    if (auto s = w.jobs().defer(id_, nb, std::string(waiting_for_credits)); !s) return s;
    result_.what = run_result::kind::waiting_credits;
    result_.status = js::waiting;
    result_.not_before = nb;
    ended_ = true;
    return ok_status();
  }
  if (auto s = mark_alerts(w, cs.tenant_id, now, result_, true); !s) return s;
  const bool grace =
      !(contact_.grace_period_start && *contact_.grace_period_start == u->period_start);
  journal_.reserve = reserve_step{0, true, grace};
  journal_.reserve->generation = generation;
  log::info("job out of credits",
            {{"job", id_}, {"tenant", cs.tenant_id}, {"contact", contact_.id}, {"grace", grace}});
  if (grace) {
    contact_.grace_period_start = u->period_start;
    return w.contacts().save(contact_);
  }
  if (auto s = record_inbound_only(w, js::out_of_credits, std::nullopt, now); !s) return s;
  return ok_status();
}

status job_run::dlq_in(storage::write_context& w, const std::string& why) {
  auto entry = w.failed_jobs().record(id_, why);
  if (!entry) return entry.err();
  if (auto s = release_reservation(w); !s) return s;
  log::warn("job failed: moved to the dead letter queue", {{"job", id_}, {"error", why}});
  result_.what = run_result::kind::failed;
  result_.status = js::failed;
  result_.error = why;
  mode_ = mode::stop;
  ended_ = true;
  return ok_status();
}

// The dead letter keeps its journal; the reservation it held is given back and marked
// released there, so a replay reserves (and is charged) again under a new ledger step.
status job_run::release_reservation(storage::write_context& w) {
  if (!journal_.context) return ok_status();
  reserve_step* r = journal_.reserve ? &*journal_.reserve : nullptr;
  if (r && (r->insufficient || r->released || journal_.charge)) return ok_status();
  const std::string step = r ? r->ledger_step() : "reserve";
  if (auto s = w.usage().release(journal_.context->tenant_id, id_, step, now_ms()); !s) return s;
  result_.settled = true;
  if (!r) return ok_status();
  r->released = true;
  return w.jobs().set_steps(id_, serialize(journal_, journal_text_));
}

void job_run::next() {
  const std::string step = journal_.next_step();
  if (step == "ai") return call_ai();
  if (step == "act") return act();
  finish_write();
}

// The tenant's models (its settings over the server's), then fast or strong by complexity.
void job_run::route_model(ai::ai_request& request) const {
  if (s_.models.fast.empty()) return;
  auto models = ai::models_for(s_.models, tenant_settings_);
  if (!models)
    log::warn("tenant models ignored",
              {{"tenant", instance_.tenant_id}, {"error", models.err().message}});
  ai::route(request, models ? *models : s_.models, s_.routing);
}

void job_run::call_ai() {
  if (breaker_open("ai")) return;
  if (!journal_.context->ai_inputs.is_null() && !journal_.context->ai_inputs.empty()) {
    request_ = decode_request(journal_.context->ai_inputs);  // a journal of the reply agent
  } else if (step_ && step_->what == agent_step::kind::ask_ai) {
    request_ = request_for(lead_ctx(now_ms()), *step_);
    route_model(request_);
  } else {
    return dlq("journal: the AI step has no request to rebuild");
  }
  // The chosen model keeps failing with 5xx or no answer: the next attempts go to the
  // fallback (a 404 switches inside the provider, within the attempt).
  if (job_.last_error && upstream_down_error(*job_.last_error))
    request_.model = ai::next_model(request_, ai::error_kind::retryable, attempts_ - 1, s_.routing);
  fetch_media(0);
}

// Each photo without inline bytes is fetched from Evolution, in order; then the model call.
void job_run::fetch_media(std::size_t i) {
  auto self = shared_from_this();
  const std::size_t count = step_ ? step_->media.size() : 0;
  for (; i < count; ++i) {
    const media_ref& m = step_->media[i];
    if (!m.inline_base64.empty() || instance_.kind != "evolution") continue;
    if (breaker_open(evolution_key())) return;
    fx_->fetch_media_base64(target_, m.message_id, [self, i](send_result r, media_bytes bytes) {
      if (r.what != send_result::kind::ok)
        return self->on_send_failure(r, "getBase64FromMediaMessage");
      self->s_.breakers->on_success(self->evolution_key());
      media_ref& got = self->step_->media[i];
      got.inline_base64 = std::move(bytes.base64);
      if (!bytes.mime_type.empty()) got.mime_type = bytes.mime_type;
      self->fetch_media(i + 1);
    });
    return;
  }
  if (count > 0) {
    std::vector<ai::image> images;
    for (const auto& m : step_->media) {
      if (m.inline_base64.empty()) continue;  // a sandbox photo sent without its bytes
      ai::image img;
      img.mime_type = m.mime_type;
      img.base64 = m.inline_base64;
      images.push_back(std::move(img));
    }
    attach_images(request_, std::move(images));
  }
  fx_->generate(std::move(request_), [self](ai::ai_response r) { self->on_ai(std::move(r)); });
}

void job_run::on_ai(ai::ai_response r) {
  const bool upstream_down =
      r.status == ai::outcome::error &&
      (r.failure == ai::error_kind::retryable || r.failure == ai::error_kind::transport);
  if (upstream_down)
    s_.breakers->on_failure("ai", now_ms());
  else
    s_.breakers->on_success("ai");
  if (r.status == ai::outcome::blocked) return dlq("ai blocked: " + r.block_reason);
  if (r.status == ai::outcome::error) {
    const std::string why = ai_error_text(r);
    if (r.failure == ai::error_kind::daily_quota && r.retry_after.count() > 0) {
      // Nothing will answer before the quota resets: wait for it, not an attempt's failure.
      if (now_ms() + r.retry_after.count() - job_.created_at > s_.max_wait.count()) return dlq(why);
      return wait_uncounted(now_ms() + r.retry_after.count(), why);
    }
    if (!ai::is_retryable(r.failure)) return dlq(why);
    std::optional<milliseconds> after;
    if (r.retry_after.count() > 0) after = r.retry_after;
    return fail_retryable(why, after);
  }
  ai_step step;
  agent_plan plan;
  if (step_) {
    plan = plan_from_answer(lead_ctx(now_ms()), *step_, r);
  } else {
    // A journal from before the lead agents: one model reply.
    action a = act_on(contact_, r);
    if (a.text.empty()) return fail_retryable("ai: empty answer", std::nullopt);
    plan.agent = "reply";
    plan.intent = a.intent;
    plan.sends.push_back(outbound::send_text(a.text));
    plan.change.status = a.status;
    plan.change.remember_status = a.status == contact_status::handed_off;
    plan.change.history_in = journal_.context->text;
    plan.change.history_out = a.text;
    plan.cost = journal_.context->cost;
  }
  for (const auto& o : plan.sends)
    if (o.what == outbound::kind::text && step.text.empty()) step.text = o.text;
  step.intent = plan.intent;
  step.status = plan.change.status;
  step.model = r.model;
  step.tokens_in = r.usage.input;
  step.tokens_out = r.usage.output + r.usage.thinking;
  append_json(step.plan, plan);
  journal_.ai = std::move(step);
  plan_ = std::move(plan);
  journal_text_.ai.clear();
  save_intents(shape(plan_->sends, s_.shaping));
}

// The plan the sends and the record come from: the journal's, or for a journal written before
// the lead agents, its single text reply.
agent_plan job_run::current_plan() const {
  if (plan_) return *plan_;
  if (journal_.ai && !journal_.ai->plan.empty()) {
    auto p = plan_from_json(nlohmann::json::parse(journal_.ai->plan, nullptr, false));
    if (p) return *p;
  }
  agent_plan p;
  p.agent = "reply";
  if (journal_.ai) {
    p.intent = journal_.ai->intent;
    p.sends.push_back(outbound::send_text(journal_.ai->text));
    p.change.status = journal_.ai->status;
    p.change.remember_status = journal_.ai->status == contact_status::handed_off;
    p.change.history_in = journal_.context->text;
    p.change.history_out = journal_.ai->text;
  }
  p.cost = journal_.reserve ? journal_.reserve->amount : 0;
  return p;
}

// Write B: one intent per send. A typing presence is not a message: it rides on the send it
// goes before (no intent of its own, nothing to reconcile).
void job_run::save_intents(const std::vector<outbound>& sends) {
  const int64_t at = now_ms();
  journal_.act.reset();
  journal_.more_acts.clear();
  int64_t typing_ms = 0;
  for (const auto& o : sends) {
    if (o.what == outbound::kind::presence) {
      typing_ms = o.delay_ms;
      continue;
    }
    act_step a;
    a.typing_ms = std::exchange(typing_ms, 0);
    a.kind = to_string(o.what);
    a.text = o.text;
    a.at = at;
    std::string content = o.text;
    if (o.what == outbound::kind::poll) {
      a.options = o.options;
      a.selectable_count = o.selectable_count;
      for (const auto& opt : o.options) content += "\n" + opt;
    }
    a.hash = sha256_hex(content);
    if (!journal_.act)
      journal_.act = std::move(a);
    else
      journal_.more_acts.push_back(std::move(a));
  }
  intent_fresh_ = true;
  auto self = shared_from_this();
  std::string steps = serialize(journal_, journal_text_);
  write([self, steps](storage::write_context& w) { return w.jobs().set_steps(self->id_, steps); },
        [self] {
          fault_point("intent");
          self->continue_sends();
        });
}

void job_run::act() {
  if (journal_.act) return continue_sends();
  if (journal_.reserve->insufficient)  // out of credits: the grace message, free
    return save_intents({outbound::send_text(grace_message(language_))});
  agent_plan plan = current_plan();
  save_intents(shape(plan.sends, s_.shaping));
}

// The first send without a result: sent now if this run saved the intents, else looked up
// first (we may have sent it before a crash). All done: write C.
void job_run::continue_sends() {
  auto sends = journal_.sends();
  for (std::size_t i = 0; i < sends.size(); ++i) {
    if (sends[i]->result) continue;
    if (intent_fresh_) return send(i);
    return reconcile(i);
  }
  finish_write();
}

// An intent without a result: we may have sent before a crash. Look before sending again
// (a text by its text, a poll by its question and options).
void job_run::reconcile(std::size_t i) {
  auto self = shared_from_this();
  if (instance_.kind == "sandbox") {
    auto found = std::make_shared<std::string>();
    const std::string hash = journal_.sends()[i]->hash;
    write(
        [self, found, hash](storage::write_context& w) -> status {
          auto sent = w.sent_messages().for_job(self->id_);
          if (!sent) return sent.err();
          for (const auto& m : *sent)
            if (m.content_hash == hash) *found = m.wa_message_id;
          return ok_status();
        },
        [self, found, i] {
          if (found->empty()) return self->send(i);
          self->journal_.sends()[i]->result = *found;
          self->continue_sends();
        });
    return;
  }
  if (breaker_open(evolution_key())) return;
  // The same words may have gone out a moment before this intent (a greeting answered twice):
  // the contact's sends already recorded, and this job's sends found so far, are not this one.
  auto what = std::make_shared<sent_content>();
  const act_step& a = *journal_.sends()[i];
  what->poll = a.kind == "poll";
  what->text = a.text;
  what->options = a.options;
  for (std::size_t j = 0; j < i; ++j)
    if (journal_.sends()[j]->result) what->taken.push_back(*journal_.sends()[j]->result);
  const int64_t since = a.at - recorded_lookback.count();
  write(
      [self, what, since](storage::write_context& w) -> status {
        auto sent = w.sent_messages().since(self->instance_.id, self->contact_.id, since);
        if (!sent) return sent.err();
        for (const auto& m : *sent) what->taken.push_back(m.wa_message_id);
        return ok_status();
      },
      [self, what, i] { self->find_sent(i, *what); });
}

void job_run::find_sent(std::size_t i, const sent_content& what) {
  auto self = shared_from_this();
  fx_->find_sent(target_, what, journal_.sends()[i]->at, [self, i](send_result r) {
    if (r.what != send_result::kind::ok) return self->on_send_failure(r, "findMessages");
    // Not sent: the send reports to the breaker. A lookup that works says little about
    // sends, and closing the breaker on it would keep a sendText storm from ever opening it.
    if (r.key_id.empty()) return self->send(i, true);
    self->s_.breakers->on_success(self->evolution_key());
    log::info("send reconciled: found the earlier send", {{"job", self->id_}});
    self->journal_.sends()[i]->result = r.key_id;
    self->continue_sends();
  });
}

void job_run::send(std::size_t i, bool allowed) {
  act_step& a = *journal_.sends()[i];
  if (instance_.kind == "sandbox") {
    // A sandbox send is the sent_messages row itself, written with the job's result.
    a.result = "SANDBOX-" + random_hex(10);
    return continue_sends();
  }
  if (!allowed && breaker_open(evolution_key())) return;
  auto self = shared_from_this();
  if (a.typing_ms > 0 && !typed_.count(i)) {
    // The lead sees "typing..." for a human-like time (Evolution holds the presence, then
    // answers). Only a look: a refused presence does not stop the reply.
    typed_.insert(i);
    fx_->send_presence(target_, a.typing_ms, [self, i](send_result r) {
      if (r.what != send_result::kind::ok)
        log::info("typing presence not shown", {{"job", self->id_}, {"error", r.message}});
      self->send(i, true);
    });
    return;
  }
  const bool poll = a.kind == "poll";
  auto answered = [self, i, poll](send_result r) {
    if (r.what != send_result::kind::ok)
      return self->on_send_failure(r, poll ? "sendPoll" : "sendText");
    self->s_.breakers->on_success(self->evolution_key());
    fault_point("sent");
    self->journal_.sends()[i]->result = r.key_id;
    self->continue_sends();
  };
  if (poll)
    fx_->send_poll(target_, a.text, a.options, a.selectable_count, std::move(answered));
  else
    fx_->send_text(target_, a.text, std::move(answered));
}

void job_run::on_send_failure(const send_result& r, const char* what) {
  const std::string why = std::string(what) + ": " + r.message;
  const int64_t now = now_ms();
  if (r.what == send_result::kind::retryable)
    s_.breakers->on_failure(evolution_key(), now);
  else
    s_.breakers->on_success(evolution_key());  // Evolution answered: it is up
  switch (r.what) {
    case send_result::kind::ok:
      return;
    case send_result::kind::retryable:
      return fail_retryable(why, r.retry_after);
    case send_result::kind::rejected:
      return dlq(why);
    case send_result::kind::not_connected:
      // Polled with backoff: the connection can come back without a webhook saying so.
      if (now - job_.created_at > s_.max_wait.count()) return dlq(why);
      return wait_uncounted(now + retry_delay(s_, attempts_, r.retry_after).count(),
                            std::string(held_not_connected) + ": " + why);
    case send_result::kind::unauthorized: {
      // The instance's key is refused: mark it and hold its jobs until it changes.
      const int64_t deadline = job_.created_at + s_.max_wait.count();
      if (now >= deadline) return dlq(std::string(held_unauthorized) + ": " + why);
      auto self = shared_from_this();
      auto name = instance_.name;
      write(
          [name](storage::write_context& w) {
            return w.instances().update_state(name, "unauthorized");
          },
          [self, why, deadline] {
            self->wait_uncounted(deadline, std::string(held_unauthorized) + ": " + why);
          });
      return;
    }
  }
}

status job_run::write_finish(storage::write_context& w, const finish_inputs& prepared) {
  const int64_t now = now_ms();
  const context_step& cs = *journal_.context;
  const bool out_of_credits = journal_.reserve && journal_.reserve->insufficient;
  const agent_plan& plan = prepared.plan;
  auto sends = journal_.sends();
  std::string poll_key;
  for (std::size_t i = 0; i < sends.size(); ++i) {
    storage::sent_message sent;
    sent.instance_id = instance_.id;
    sent.contact_id = contact_.id;
    sent.job_id = id_;
    sent.step = i == 0 ? std::string("act") : "act." + std::to_string(i);
    sent.wa_message_id = *sends[i]->result;
    sent.content_hash = sends[i]->hash;
    if (auto s = w.sent_messages().insert(sent); !s && s.err().code != errc::conflict)
      return s.err();
    if (sends[i]->kind == "poll") poll_key = *sends[i]->result;
  }

  const int64_t charge =
      out_of_credits ? 0 : std::min(plan.cost, journal_.reserve ? journal_.reserve->amount : 0);
  if (!journal_.record) {
    storage::interaction in;
    in.tenant_id = cs.tenant_id;
    in.instance_id = instance_.id;
    in.contact_id = contact_.id;
    in.job_id = id_;
    in.direction = "in";
    in.kind = cs.kind == "image" || cs.kind == "poll_vote" ? cs.kind : "text";
    in.content = cs.text;
    in.wa_message_id = job_.wa_message_id;
    if (auto s = w.interactions().append(in); !s) return s.err();
    for (std::size_t i = 0; i < sends.size(); ++i) {
      storage::interaction out = in;
      out.direction = "out";
      out.kind = sends[i]->kind;
      out.content =
          sends[i]->kind == "poll"
              ? nlohmann::json{{"name", sends[i]->text}, {"options", sends[i]->options}}.dump()
              : sends[i]->text;
      out.agent = plan.agent.empty() ? "reply" : plan.agent;
      out.wa_message_id = *sends[i]->result;
      out.credits = i == 0 ? charge : 0;
      if (i == 0 && journal_.ai) {
        out.model = journal_.ai->model.empty() ? std::nullopt
                                               : std::optional<std::string>(journal_.ai->model);
        out.tokens_in = journal_.ai->tokens_in;
        out.tokens_out = journal_.ai->tokens_out;
      }
      if (auto s = w.interactions().append(out); !s) return s.err();
    }

    auto c = w.contacts().get(contact_.id);
    if (!c) return c.err();
    storage::contact& contact = *c;
    const contact_change& change = plan.change;
    if (!change.status.empty() && change.status != contact.status) {
      if (change.remember_status) contact.status_before_handoff = contact.status;
      contact.status = change.status;
    }
    if (change.poll == contact_change::poll_update::set)
      contact.open_poll = with_message_id(change.open_poll, poll_key);
    else if (change.poll == contact_change::poll_update::clear)
      contact.open_poll.reset();
    // Worked out before the write from the context this run read; only a context changed
    // since (no job of this contact can have, but a merge of two contacts may) is redone here.
    contact.context = contact.context == contact_.context
                          ? prepared.context_after
                          : updated_context(contact.context, change.history_in, change.history_out,
                                            s_.agent.history_turns);
    contact.last_activity_at = now;
    if (auto s = w.contacts().save(contact); !s) return s;
    for (const auto& note : plan.audits) {
      auto a =
          w.audit().append("system", note.action, note.target, cs.tenant_id, note.details.dump());
      if (!a) return a.err();
    }
    audits_ = plan.audits;
    journal_.record = true;
  }
  if (!journal_.charge && !out_of_credits) {
    const std::string step = journal_.reserve->ledger_step();
    if (auto s = w.usage().commit(cs.tenant_id, id_, step, charge, now); !s) return s;
    if (auto s = mark_alerts(w, cs.tenant_id, now, result_); !s) return s;
    journal_.charge = true;
    result_.settled = true;
  }
  const char* final_status = out_of_credits ? js::out_of_credits : js::done;
  if (auto s = w.jobs().set_status(id_, final_status, std::nullopt, prepared.steps); !s) return s;
  result_.what = run_result::kind::finished;
  result_.status = final_status;
  return ok_status();
}

// What write C stores, worked out here: the writer thread, which every message's writes queue
// for, only stores it.
void job_run::finish_write() {
  auto self = shared_from_this();
  auto in = std::make_shared<finish_inputs>();
  const bool out_of_credits = journal_.reserve && journal_.reserve->insufficient;
  if (out_of_credits) {
    in->plan.agent = "grace";
    if (journal_.act) in->plan.change.history_out = journal_.act->text;
    in->plan.change.history_in = journal_.context->text;
  } else {
    in->plan = current_plan();
  }
  in->context_after = updated_context(contact_.context, in->plan.change.history_in,
                                      in->plan.change.history_out, s_.agent.history_turns);
  // The journal as write C leaves it: recorded, and charged unless out of credits.
  const bool was_recorded = journal_.record, was_charged = journal_.charge;
  journal_.record = true;
  if (!out_of_credits) journal_.charge = true;
  in->steps = serialize(journal_, journal_text_);
  journal_.record = was_recorded;
  journal_.charge = was_charged;
  write([self, in](storage::write_context& w) { return self->write_finish(w, *in); },
        [self] {
          fault_point("done");
          // The agents' audit notes, as events once they are committed (the operator's
          // notification of a handoff reads these lines).
          for (const auto& note : self->audits_)
            log::info("event", {{"type", note.action},
                                {"target", note.target},
                                {"job", self->id_},
                                {"details", note.details.dump()}});
          self->finish();
        });
}

void job_run::fail_retryable(const std::string& why, std::optional<milliseconds> retry_after) {
  if (attempts_ >= s_.max_attempts) return dlq(why);
  defer(now_ms() + retry_delay(s_, attempts_, retry_after).count(), why,
        run_result::kind::deferred);
}

// Whether the upstream's breaker holds this call back; if so the job waits for the breaker
// (or, past max_wait, goes to the DLQ) and the run ends here.
bool job_run::breaker_open(const std::string& key) {
  const int64_t now = now_ms();
  if (s_.breakers->allow(key, now)) return false;
  if (now - job_.created_at > s_.max_wait.count()) {
    dlq("circuit_open");
    return true;
  }
  int64_t at = s_.breakers->retry_at(key);
  // Half-open: another job's probe is out. The breaker is shared, so ask again soon rather
  // than a whole cooldown after the probe closed it.
  if (s_.breakers->current(key) == circuit_breaker::state::half_open)
    at = std::min(at, now + s_.retry_base.count());
  wait_uncounted(std::max(at, now + 1), "circuit_open");
  return true;
}

// Defers the job and gives back the attempt this run counted: waiting on the world (a
// breaker, a quota, the instance) is not the job failing.
void job_run::wait_uncounted(int64_t not_before, const std::string& why) {
  auto self = shared_from_this();
  std::string steps = serialize(journal_, journal_text_);
  write(
      [self, not_before, why, steps](storage::write_context& w) -> status {
        if (auto s = w.jobs().set_steps(self->id_, steps); !s) return s;
        if (auto s = w.jobs().defer(self->id_, not_before, why); !s) return s;
        return w.jobs().uncount_attempt(self->id_);
      },
      [self, not_before, why] {
        log::info("job waiting",
                  {{"job", self->id_}, {"error", why}, {"in_ms", not_before - now_ms()}});
        self->result_.what = run_result::kind::deferred;
        self->result_.status = js::waiting;
        self->result_.not_before = not_before;
        self->result_.error = why;
        self->finish();
      });
}

void job_run::dlq(const std::string& why) {
  auto self = shared_from_this();
  write([self, why](storage::write_context& w) { return self->dlq_in(w, why); },
        [self] { self->finish(); });
}

void job_run::defer(int64_t not_before, const std::string& why, run_result::kind kind) {
  auto self = shared_from_this();
  std::string steps = serialize(journal_, journal_text_);
  write(
      [self, not_before, why, steps](storage::write_context& w) -> status {
        if (auto s = w.jobs().set_steps(self->id_, steps); !s) return s;
        return w.jobs().defer(self->id_, not_before, why);
      },
      [self, not_before, why, kind] {
        log::info("job deferred",
                  {{"job", self->id_}, {"error", why}, {"in_ms", not_before - now_ms()}});
        self->result_.what = kind;
        self->result_.status = js::waiting;
        self->result_.not_before = not_before;
        self->result_.error = why;
        self->finish();
      });
}

void job_run::write(storage::write_fn fn, std::function<void()> then) {
  ++result_.writes;
  auto self = shared_from_this();
  fx_->write(std::move(fn), [self, then](const status& s) {
    if (s) return then();
    log::warn("job write failed; will retry", {{"job", self->id_}, {"error", s.err().message}});
    self->result_.what = run_result::kind::retry_later;
    self->result_.not_before = now_ms() + self->s_.retry_base.count();
    self->result_.error = s.err().message;
    self->finish();
  });
}

void job_run::finish() {
  auto done = std::move(done_);
  done_ = nullptr;
  if (done) done(result_);
}

}  // namespace

std::string to_string(run_result::kind k) {
  switch (k) {
    case run_result::kind::finished:
      return "finished";
    case run_result::kind::deferred:
      return "deferred";
    case run_result::kind::waiting_credits:
      return "waiting_credits";
    case run_result::kind::failed:
      return "failed";
    case run_result::kind::not_due:
      return "not_due";
    case run_result::kind::retry_later:
      return "retry_later";
    case run_result::kind::burst_wait:
      return "burst_wait";
  }
  return "finished";
}

void fault_point(const char* point) {
  fault_config& c = faults();
  if (c.nth < 0 || c.point != point) return;
  const int64_t n = ++c.seen;
  if (c.nth != 0 && n != c.nth) return;
  if (c.throws) throw std::runtime_error(std::string("AIBUD_TEST_FAULT at ") + point);
  log::warn("AIBUD_TEST_FAULT: killing the process", {{"point", point}, {"n", n}});
  ::kill(::getpid(), SIGKILL);
}

void effects::send_poll(const send_target&, const std::string&, const std::vector<std::string>&,
                        int, std::function<void(send_result)> done) {
  done({send_result::kind::rejected, "", "sendPoll is not supported here", {}});
}

void effects::send_presence(const send_target&, int64_t, std::function<void(send_result)> done) {
  done({send_result::kind::rejected, "", "sendPresence is not supported here", {}});
}

void effects::fetch_media_base64(const send_target&, const std::string&,
                                 std::function<void(send_result, media_bytes)> done) {
  done({send_result::kind::rejected, "", "getBase64FromMediaMessage is not supported here", {}},
       {});
}

bool held_for_instance(const std::optional<std::string>& last_error) {
  if (!last_error) return false;
  return last_error->rfind(held_unauthorized, 0) == 0 ||
         last_error->rfind(held_not_connected, 0) == 0;
}

job_runner::job_runner(std::shared_ptr<effects> fx, runner_settings settings) : fx_(std::move(fx)) {
  if (!settings.breakers) settings.breakers = std::make_shared<breaker_set>();
  settings_ = std::make_shared<const runner_settings>(std::move(settings));
}

job_runner::job_runner(std::shared_ptr<effects> fx, std::shared_ptr<const runner_settings> settings)
    : fx_(std::move(fx)), settings_(std::move(settings)) {}

void job_runner::run(int64_t job_id, std::function<void(run_result)> done, wake_reason why,
                     job_hint_ptr hint) {
  std::make_shared<job_run>(fx_, settings_, job_id, std::move(done), why, std::move(hint))->start();
}

job_hint_ptr hint_of(int64_t job_id, const evolution::event& e) {
  const evolution::message* m = e.as_message();
  if (!m) return nullptr;
  auto hint = std::make_shared<job_hint>();
  hint->job_id = job_id;
  hint->in = *inbound_of(e);  // a message: cannot fail
  // A queued hint must not pin a photo's bytes: write A reloads them from the payload anyway
  // (load_media), as the journal keeps none.
  hint->event = to_lead_event(*m, job_id, false);
  return hint;
}

milliseconds retry_delay(const runner_settings& s, int64_t attempt,
                         std::optional<milliseconds> retry_after) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const int64_t shift = std::clamp<int64_t>(attempt - 1, 0, 30);
  int64_t delay = s.retry_base.count();
  for (int64_t i = 0; i < shift && delay < s.retry_max.count(); ++i) delay *= 2;
  delay = std::min<int64_t>(delay, s.retry_max.count());
  std::uniform_real_distribution<double> unit(0.0, 0.25);
  delay -= static_cast<int64_t>(static_cast<double>(delay) * unit(rng));
  if (retry_after) delay = std::max<int64_t>(delay, retry_after->count());
  return milliseconds(std::max<int64_t>(delay, 1));
}

}  // namespace aibud::actors
