// The job runner (docs/jobs.md): the plain C++ step machine that turns one job row into one
// reply. It reads the job's journal (`jobs.steps`), runs the first step without a result,
// saves what each step produced, and merges its writes so that one message costs at most three
// storage-writer calls: (A) attempt + context + reserve, (B) AI result + send intent,
// (C) send result + record + charge + done. Every outside effect goes through `effects`, whose
// callbacks may arrive on any thread but never two at once for one run.
//
// Failures (ARCHITECTURE §3.6-3.8): an open breaker, an AI daily quota, an instance that is
// not connected or not authorized make the job wait without counting an attempt; other
// retryable ones defer the job (`waiting`, `not_before` =
// now + exponential backoff with jitter, Retry-After honoured); past `max_attempts`, and for
// non-retryable ones, the job goes to the DLQ and its reservation is released. A reservation
// refused while others are open leaves the job `waiting` without counting an attempt.
//
// Held for the instance: while its instance is `unauthorized` a job is held until the
// instance changes (a wake with wake_reason::instance, or a row no longer `unauthorized`),
// at most `max_wait` from its creation, then the DLQ as "instance unauthorized". A job whose
// send found the instance not connected retries with backoff (the connection may come back
// without a webhook saying so) and runs at once when woken for its instance.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/burst_merge.hpp"
#include "actors/circuit_breaker.hpp"
#include "actors/lead_agent.hpp"
#include "actors/reply_agent.hpp"
#include "actors/reply_shaping.hpp"
#include "adapters/ai/gateway.hpp"
#include "adapters/ai/model_router.hpp"
#include "base/error.hpp"
#include "storage/writer.hpp"

namespace aibud::actors {

// Where a reply goes.
struct send_target {
  int64_t instance_id = 0;
  std::string instance_name;
  std::string instance_kind;  // evolution | sandbox
  std::string evolution_url;
  std::string api_key;  // as stored (sealed): only the runtime opens it
  int64_t contact_id = 0;
  std::string jid;                // the reply's destination
  std::vector<std::string> jids;  // every JID of the contact (reconciliation matches any)
};

// How a send (or a reconciliation lookup) ended.
struct send_result {
  enum class kind { ok, retryable, not_connected, unauthorized, rejected };
  kind what = kind::ok;
  std::string key_id;  // ok: Evolution's key.id; for a lookup "" means "not sent"
  std::string message;
  std::optional<std::chrono::milliseconds> retry_after;
};

// One of our messages as a reconciliation lookup matches it: a text, or a poll by its
// question and options.
struct sent_content {
  bool poll = false;
  std::string text;  // the text, or the poll's question
  std::vector<std::string> options;
  std::vector<std::string> taken;  // key.ids known to be other sends, however alike
};

// A photo's bytes as getBase64FromMediaMessage returned them.
struct media_bytes {
  std::string base64;
  std::string mime_type;  // "" when Evolution did not say
};

// The outside world of a run. Implementations: the contact actor (messages to the storage
// writer, the AI provider and the Evolution client) and tests (the same, in process).
// Shared: every run holds the effects until its last callback, so an answer the writer (or an
// upstream) delivers after the owner of the runner went away still finds them; an
// implementation whose owner is gone drops the answer instead of delivering it.
class effects {
 public:
  virtual ~effects() = default;
  // Runs `write` in the storage writer's transaction; `done` after COMMIT (or the failure).
  virtual void write(storage::write_fn write, std::function<void(const status&)> done) = 0;
  virtual void generate(ai::ai_request request, std::function<void(ai::ai_response)> done) = 0;
  // Evolution instances only (sandbox sends are a database write).
  virtual void send_text(const send_target& to, const std::string& text,
                         std::function<void(send_result)> done) = 0;
  // Whether our message with this content went to the contact since `since_ms` (ok with the
  // key.id, ok with "" when not found, or the lookup's failure).
  virtual void find_sent(const send_target& to, const sent_content& what, int64_t since_ms,
                         std::function<void(send_result)> done) = 0;
  // sendPoll (Evolution only): ok with the poll message's key.id. Default: rejected.
  virtual void send_poll(const send_target& to, const std::string& question,
                         const std::vector<std::string>& options, int selectable_count,
                         std::function<void(send_result)> done);
  // sendPresence "composing" for `delay_ms` (Evolution only), answered once Evolution has
  // held it that long. Default: rejected (no presence is shown).
  virtual void send_presence(const send_target& to, int64_t delay_ms,
                             std::function<void(send_result)> done);
  // getBase64FromMediaMessage (Evolution only) for a photo the webhook did not carry inline:
  // ok with `base64` (and the mime type when Evolution names it). Default: rejected.
  virtual void fetch_media_base64(const send_target& to, const std::string& message_id,
                                  std::function<void(send_result, media_bytes)> done);
};

struct runner_settings {
  agent_settings agent;
  int64_t max_attempts = 5;
  std::chrono::milliseconds retry_base{2000};
  std::chrono::milliseconds retry_max{5 * 60 * 1000};
  std::chrono::milliseconds max_wait{24 * 3600 * 1000};
  // How long a job refused only because of other open reservations waits before trying
  // again by itself (the tenant actor usually wakes it earlier).
  std::chrono::milliseconds credit_wait{1000};
  // The process's breakers ("ai", "evolution:<instance id>"), shared by every runner; unset:
  // the runner makes its own with default settings. While one is open, jobs needing it wait
  // (no attempt counted) up to `max_wait`, then go to the DLQ with error `circuit_open`.
  std::shared_ptr<breaker_set> breakers;
  // The server's models (ARCHITECTURE §6): each tenant's settings may override them; a
  // request goes to the fast or the strong one by its complexity, and to the fallback after
  // `routing.attempts_before_fallback` failed attempts on a 5xx or no answer. Empty `fast`:
  // no routing (the offline provider).
  ai::model_set models{"", "", ""};
  ai::routing_policy routing;
  // Burst merging (docs/agents.md step 1): texts use merge.quiet_period / merge.max_wait,
  // photos merge.photo_window (cap: the longer of it and merge.max_wait). A quiet period of
  // 0 turns merging off for that kind (the default here; `serve` takes the configuration).
  burst_settings text_burst{std::chrono::milliseconds(0), std::chrono::milliseconds(0)};
  burst_settings photo_burst{std::chrono::milliseconds(0), std::chrono::milliseconds(0)};
  // Long texts are split (reply_shaping.hpp) before their intents are saved; with `typing`
  // each text part of an Evolution instance is preceded by a "composing" presence held for a
  // human-like time (reply.* keys; off by default).
  shaping_settings shaping;
};

// What the intake parsed from a job's webhook before committing it, handed along with the
// job's first nudge so that the job's first write does not parse the stored payload again
// (on the writer thread, where every message's writes queue). The stored payload stays the
// truth: a job without a hint (a restart, a retry, a replay) reads it. A photo's inline bytes
// are left out (write A reads them from the payload), so queued hints stay small.
struct job_hint {
  int64_t job_id = 0;
  inbound in;
  lead_event event;
};
using job_hint_ptr = std::shared_ptr<const job_hint>;
// The hint of a committed message event; null for any other event.
job_hint_ptr hint_of(int64_t job_id, const evolution::event& e);

// What a run left the job as.
struct run_result {
  enum class kind {
    finished,         // done, skipped, out_of_credits, merged (or was already)
    burst_wait,       // waiting (not an attempt) until its burst is quiet, or a newer message
    deferred,         // waiting until `not_before` (a retry, or the instance)
    waiting_credits,  // waiting for other reservations (tenant wakes it) or `not_before`
    failed,           // moved to the DLQ
    not_due,          // waiting and `not_before` is still ahead
    retry_later,      // the writer refused or failed a write: run again after `not_before`
  };
  kind what = kind::finished;
  std::string status;  // the job's status afterwards
  int64_t not_before = 0;
  int64_t tenant_id = 0;
  bool settled = false;   // a reservation was committed or released: the tenant wakes waiters
  bool alert_80 = false;  // this run's charge crossed 80 % / 100 % of the period's budget
  bool alert_100 = false;
  int64_t writes = 0;  // writer calls this run made
  std::string error;
};
std::string to_string(run_result::kind k);

// Why a waiting job runs before its `not_before`.
enum class wake_reason {
  none,      // not woken: it runs once due
  credits,   // the tenant says credits moved: a job waiting for credits runs
  instance,  // its instance connected again or was changed: a job held for it runs
  burst,     // a newer message of its contact arrived: a job waiting for its burst re-plans
};

// The `last_error` of a job waiting for the rest of its burst.
constexpr const char* waiting_for_burst = "burst";

// The `last_error` of a job held for its instance (a prefix: the upstream's words may follow).
constexpr const char* held_unauthorized = "instance unauthorized";
constexpr const char* held_not_connected = "instance not connected";
// Whether a waiting job with this last_error is held for its instance.
bool held_for_instance(const std::optional<std::string>& last_error);

// Burst merging: a text or photo job first plans its burst from the rows (burst_merge.hpp):
// it becomes `merged` into a later open job of its contact (its inbound message recorded, no
// attempt, no reservation), or absorbs the earlier open ones (marked merged into it, recorded)
// and waits `burst_wait` until the burst is quiet, or answers the whole burst at once: one
// reservation, one model call, one charge.

// Named fault points for crash tests (AIBUD_TEST_FAULT=<point>:<n>[:throw]): the n-th time
// (every time for 0) the process reaches `point` it kills itself with SIGKILL, or throws
// with `:throw`. Points: "start" (after write A), "intent" (after write B), "sent" (after an
// Evolution send answered, before write C), "done" (after write C). Unset: does nothing.
void fault_point(const char* point);

class job_runner {
 public:
  // Each run shares `fx` and the settings: the runner may be destroyed while runs are in
  // flight. REQUIRES: fx != nullptr.
  job_runner(std::shared_ptr<effects> fx, runner_settings settings);
  // Settings shared by every runner of the process (one contact actor each), not copied.
  // REQUIRES: fx and settings != nullptr, settings->breakers set.
  job_runner(std::shared_ptr<effects> fx, std::shared_ptr<const runner_settings> settings);

  // Runs job `job_id` from its first unfinished step until it finishes, defers or fails;
  // `done` is called exactly once (unless the effects drop an answer because their owner is
  // gone). At most one run per job at a time (the contact actor's job); runs of different
  // jobs may overlap. `why`: a waiting job of that kind runs before its `not_before`.
  void run(int64_t job_id, std::function<void(run_result)> done,
           wake_reason why = wake_reason::none, job_hint_ptr hint = nullptr);

  const runner_settings& settings() const { return *settings_; }

 private:
  std::shared_ptr<effects> fx_;
  std::shared_ptr<const runner_settings> settings_;
};

// The backoff before retry `attempt` (1-based): min(max, base * 2^(attempt-1)) less up to a
// quarter of it at random, and never less than `retry_after`.
std::chrono::milliseconds retry_delay(const runner_settings& s, int64_t attempt,
                                      std::optional<std::chrono::milliseconds> retry_after);

}  // namespace aibud::actors
