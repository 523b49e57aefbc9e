// The job runner over a real database and storage writer; the effects run in process (the
// offline provider, scripted Evolution answers) and hand every answer to one strand thread,
// as the contact actor hands them to itself.
#include "actors/job_runner.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include <SQLiteCpp/Database.h>
#include <doctest/doctest.h>

#include "actors/job_journal.hpp"
#include "adapters/ai/offline_provider.hpp"
#include "base/time.hpp"
#include "storage/contacts_repo.hpp"
#include "storage/database.hpp"
#include "storage/instances_repo.hpp"
#include "storage/jobs_repo.hpp"
#include "storage/sent_messages_repo.hpp"
#include "storage/tenants_repo.hpp"
#include "storage/usage_repo.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace aibud;
using namespace aibud::actors;
using aibud::testing::wait_until;

namespace {

// Runs posted functions one at a time on its own thread.
class strand {
 public:
  strand() : thread_([this] { loop(); }) {}
  ~strand() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  void post(std::function<void()> fn) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(std::move(fn));
    }
    cv_.notify_one();
  }

 private:
  void loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;
      auto fn = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      fn();
      lock.lock();
    }
  }
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stop_ = false;
  std::thread thread_;
};

struct test_effects final : effects {
  storage::writer* writer = nullptr;
  ai::offline_provider offline;
  int ai_failures = 0;  // the next N AI calls fail with this kind
  ai::error_kind failure = ai::error_kind::retryable;
  std::chrono::milliseconds failure_retry_after{0};
  int send_failures = 0;  // the next N sends fail with this kind
  send_result::kind send_failure = send_result::kind::retryable;
  std::atomic<int> ai_calls{0}, sends{0}, lookups{0};
  std::string found_key;  // what find_sent answers
  strand* on = nullptr;
  std::function<void()> on_write;  // called as each write is handed to the writer
  std::shared_ptr<std::atomic<bool>> alive = std::make_shared<std::atomic<bool>>(true);

  ~test_effects() override { *alive = false; }

  void write(storage::write_fn fn, std::function<void(const status&)> done) override {
    if (on_write) on_write();
    strand* s = on;
    writer->try_submit(std::move(fn),
                       [s, done](const status& st) { s->post([done, st] { done(st); }); });
  }
  void generate(ai::ai_request r, std::function<void(ai::ai_response)> done) override {
    ++ai_calls;
    strand* s = on;
    if (ai_failures > 0) {
      --ai_failures;
      ai::ai_response bad;
      bad.status = ai::outcome::error;
      bad.failure = failure;
      bad.error_message = "scripted";
      bad.retry_after = failure_retry_after;
      return s->post([done, bad] { done(bad); });
    }
    offline.generate(std::move(r),
                     [s, done](ai::ai_response a) { s->post([done, a] { done(a); }); });
  }
  void send_text(const send_target&, const std::string&,
                 std::function<void(send_result)> done) override {
    ++sends;
    if (send_failures > 0) {
      --send_failures;
      send_result bad{send_failure, "", "scripted", {}};
      return on->post([done, bad] { done(bad); });
    }
    on->post([done] { done({send_result::kind::ok, "EVO-SENT", "", {}}); });
  }
  void find_sent(const send_target&, const std::string&, int64_t,
                 std::function<void(send_result)> done) override {
    ++lookups;
    std::string key = found_key;
    on->post([done, key] { done({send_result::kind::ok, key, "", {}}); });
  }
};

const char* payload = R"({"event":"messages.upsert","instance":"bot","data":{"key":{
  "remoteJid":"5511911111111@s.whatsapp.net","fromMe":false,"id":"M1"},
  "message":{"conversation":"quero vender meu apartamento"},"messageType":"conversation"}})";

class runner_fixture {
 public:
  explicit runner_fixture(const std::string& kind = "sandbox") {
    storage::db_options o;
    o.path = dir_.file("aibud.db");
    o.sync = "NORMAL";
    auto db = storage::open_ready(o);
    REQUIRE(db.ok());
    {
      storage::tenants_repo tenants(**db);
      auto t = tenants.create("acme", "standard", 10, 1, "pt-BR");
      REQUIRE(t.ok());
      storage::instances_repo instances(**db);
      REQUIRE(instances.create("bot", t->id, kind, "http://127.0.0.1:9", "key", "secret").ok());
      storage::new_job j;
      j.instance_id = 1;
      j.wa_message_id = "M1";
      j.event = "messages.upsert";
      j.contact_key = "5511911111111@s.whatsapp.net";
      j.sender_jids = R"(["5511911111111@s.whatsapp.net"])";
      j.payload = payload;
      REQUIRE(storage::jobs_repo(**db).insert(j).ok());
    }
    db->reset();
    storage::writer_options wo;
    wo.db = o;
    auto w = storage::writer::start(wo);
    REQUIRE(w.ok());
    writer_ = std::move(*w);
    fx.writer = writer_.get();
    fx.on = &strand_;
    settings.retry_base = std::chrono::milliseconds(1);
    settings.retry_max = std::chrono::milliseconds(5);
  }
  ~runner_fixture() { writer_->stop(); }

  run_result run(wake_reason why = wake_reason::none) {
    job_runner runner(fx_ptr, settings);
    std::mutex m;
    std::optional<run_result> out;
    runner.run(
        1,
        [&](run_result r) {
          std::lock_guard<std::mutex> lock(m);
          out = r;
        },
        why);
    REQUIRE(wait_until([&] {
      std::lock_guard<std::mutex> lock(m);
      return out.has_value();
    }));
    return *out;
  }

  std::string scalar(const std::string& sql) {
    SQLite::Database db(dir_.file("aibud.db"), SQLite::OPEN_READONLY);
    SQLite::Statement q(db, sql);
    if (!q.executeStep() || q.getColumn(0).isNull()) return "";
    return q.getColumn(0).getString();
  }

  // Writes through the writer and waits.
  void write(storage::write_fn fn) {
    std::atomic<bool> done{false};
    REQUIRE(writer_->try_submit(std::move(fn), [&](const status& s) {
      CHECK(s.ok());
      done = true;
    }));
    REQUIRE(wait_until([&] { return done.load(); }));
  }

  // Keeps the writer thread busy until `release`: no write is answered before then.
  void hold_writer(const std::atomic<bool>& release) {
    REQUIRE(writer_->try_submit([&release](storage::write_context&) -> status {
      wait_until([&] { return release.load(); });
      return ok_status();
    }));
  }

  std::shared_ptr<test_effects> fx_ptr = std::make_shared<test_effects>();
  test_effects& fx = *fx_ptr;
  runner_settings settings;

 private:
  testing::temp_dir dir_;
  std::unique_ptr<storage::writer> writer_;
  strand strand_;
};

}  // namespace

TEST_CASE("a job runs to done in three writer calls with one send and one charge") {
  runner_fixture f;
  auto r = f.run();
  CHECK(r.what == run_result::kind::finished);
  CHECK(r.status == "done");
  CHECK(r.writes == 3);
  CHECK(r.settled);
  CHECK(f.scalar("SELECT status FROM jobs") == "done");
  CHECK(f.scalar("SELECT attempts FROM jobs") == "1");
  CHECK(f.scalar("SELECT COUNT(*) FROM sent_messages") == "1");
  CHECK(f.scalar("SELECT SUM(amount) FROM credit_ledger WHERE kind = 'commit'") == "1");
  CHECK(f.scalar("SELECT COUNT(*) FROM interactions") == "2");
  CHECK(f.fx.ai_calls == 1);
  // A finished job run again changes nothing.
  auto again = f.run();
  CHECK(again.what == run_result::kind::finished);
  CHECK(f.scalar("SELECT COUNT(*) FROM sent_messages") == "1");
}

TEST_CASE("a retryable AI failure defers the job, and the retry resumes after the saved steps") {
  runner_fixture f;
  f.fx.ai_failures = 1;
  auto first = f.run();
  CHECK(first.what == run_result::kind::deferred);
  CHECK(f.scalar("SELECT status FROM jobs") == "waiting");
  CHECK(f.scalar("SELECT last_error FROM jobs").find("scripted") != std::string::npos);
  CHECK(first.not_before > 0);
  // The reservation stays held while it waits.
  CHECK(f.scalar("SELECT reserved FROM subscription_usage") == "1");
  REQUIRE(wait_until([&] { return time::now_ms() >= first.not_before; }));
  auto second = f.run();
  CHECK(second.what == run_result::kind::finished);
  CHECK(second.writes == 3);  // attempt (no context or reserve left to do), intent, finish
  CHECK(f.scalar("SELECT attempts FROM jobs") == "2");
  CHECK(f.scalar("SELECT COUNT(*) FROM credit_ledger WHERE kind = 'reserve'") == "1");
  CHECK(f.fx.ai_calls == 2);
}

TEST_CASE("past max_attempts a retryable failure moves the job to the DLQ and frees its credits") {
  runner_fixture f;
  f.settings.max_attempts = 2;
  f.fx.ai_failures = 5;
  auto r = f.run();
  REQUIRE(r.what == run_result::kind::deferred);
  REQUIRE(wait_until([&] { return time::now_ms() >= r.not_before; }));
  r = f.run();
  CHECK(r.what == run_result::kind::failed);
  CHECK(r.settled);
  CHECK(f.scalar("SELECT status FROM jobs") == "failed");
  CHECK(f.scalar("SELECT COUNT(*) FROM failed_jobs") == "1");
  CHECK(f.scalar("SELECT reserved FROM subscription_usage") == "0");
  CHECK(f.scalar("SELECT used FROM subscription_usage") == "0");
}

TEST_CASE("a non-retryable AI failure goes straight to the DLQ") {
  runner_fixture f;
  f.fx.ai_failures = 1;
  f.fx.failure = ai::error_kind::invalid_request;
  auto r = f.run();
  CHECK(r.what == run_result::kind::failed);
  CHECK(f.scalar("SELECT attempts FROM failed_jobs") == "1");
}

TEST_CASE("an Evolution send intent without a result is reconciled instead of sent again") {
  runner_fixture f("evolution");
  // A first run that crashed after saving its intent: context, reserve, ai and the intent.
  f.write([](storage::write_context& w) -> status {
    auto r = w.usage().reserve(1, 1, "reserve", 1, time::now_ms());
    if (!r) return r.err();
    return ok_status();
  });
  job_journal j;
  j.context = context_step{"reply",
                           "",
                           0,
                           1,
                           0,
                           1,
                           "text",
                           "quero vender",
                           "5511911111111@s.whatsapp.net",
                           nlohmann::json::object()};
  j.reserve = reserve_step{1, false, false};
  j.ai = ai_step{"Posso ajudar!", "sell", "qualified", "offline", 1, 1};
  j.act = act_step{"hash", time::now_ms(), "Posso ajudar!", std::nullopt};
  f.write([&](storage::write_context& w) -> status {
    auto c = w.contacts().create(1, "5511911111111@s.whatsapp.net");
    if (!c) return c.err();
    j.context->contact_id = c->id;
    return w.jobs().set_steps(1, serialize(j));
  });
  f.fx.found_key = "EVO-EARLIER";
  auto r = f.run();
  CHECK(r.what == run_result::kind::finished);
  CHECK(f.fx.lookups == 1);
  CHECK(f.fx.sends == 0);
  CHECK(f.scalar("SELECT wa_message_id FROM sent_messages") == "EVO-EARLIER");
  CHECK(f.scalar("SELECT status FROM contacts") == "qualified");
  CHECK(f.scalar("SELECT used FROM subscription_usage") == "1");
}

TEST_CASE("an Evolution send intent not found upstream is sent once") {
  runner_fixture f("evolution");
  auto r = f.run();
  CHECK(r.what == run_result::kind::finished);
  CHECK(f.fx.sends == 1);
  CHECK(f.fx.lookups == 0);  // this run saved the intent itself: nothing can have gone out
  CHECK(f.scalar("SELECT wa_message_id FROM sent_messages") == "EVO-SENT");
}

TEST_CASE("an AI daily quota defers the job until the reset without counting an attempt") {
  runner_fixture f;
  f.fx.ai_failures = 1;
  f.fx.failure = ai::error_kind::daily_quota;
  f.fx.failure_retry_after = std::chrono::milliseconds(3600 * 1000);
  const int64_t before = time::now_ms();
  auto r = f.run();
  CHECK(r.what == run_result::kind::deferred);
  CHECK(r.not_before >= before + 3600 * 1000);
  CHECK(f.scalar("SELECT status FROM jobs") == "waiting");
  CHECK(f.scalar("SELECT attempts FROM jobs") == "0");
  CHECK(f.scalar("SELECT not_before FROM jobs") == std::to_string(r.not_before));
  // Run again before the reset: not due, the AI is not asked.
  auto early = f.run();
  CHECK(early.what == run_result::kind::not_due);
  CHECK(f.fx.ai_calls == 1);
}

TEST_CASE("an open AI breaker makes jobs wait without an attempt, and a probe closes it") {
  runner_fixture f;
  f.settings.breakers =
      std::make_shared<breaker_set>(breaker_settings{2, std::chrono::milliseconds(50)});
  f.settings.max_attempts = 10;
  f.fx.ai_failures = 2;
  auto r = f.run();
  REQUIRE(r.what == run_result::kind::deferred);
  REQUIRE(wait_until([&] { return time::now_ms() >= r.not_before; }));
  r = f.run();
  REQUIRE(r.what == run_result::kind::deferred);
  CHECK(f.settings.breakers->current("ai") == circuit_breaker::state::open);
  CHECK(f.scalar("SELECT attempts FROM jobs") == "2");
  // While open the job waits for the breaker: no AI call, no attempt.
  REQUIRE(wait_until([&] { return time::now_ms() >= r.not_before; }));
  const int64_t open_until = f.settings.breakers->retry_at("ai");
  if (time::now_ms() < open_until) {
    auto held = f.run();
    CHECK(held.what == run_result::kind::deferred);
    CHECK(held.error == "circuit_open");
    CHECK(held.not_before >= open_until);
    CHECK(f.scalar("SELECT attempts FROM jobs") == "2");
    CHECK(f.scalar("SELECT status FROM jobs") == "waiting");
    CHECK(f.fx.ai_calls == 2);
  }
  REQUIRE(wait_until([&] { return time::now_ms() >= open_until; }));
  r = f.run();  // the probe succeeds
  CHECK(r.what == run_result::kind::finished);
  CHECK(f.settings.breakers->current("ai") == circuit_breaker::state::closed);
  CHECK(f.fx.ai_calls == 3);
}

TEST_CASE("a job held by an open breaker past max_wait goes to the DLQ as circuit_open") {
  runner_fixture f;
  f.settings.breakers =
      std::make_shared<breaker_set>(breaker_settings{1, std::chrono::milliseconds(3600 * 1000)});
  f.settings.breakers->on_failure("ai", time::now_ms());
  f.settings.max_wait = std::chrono::milliseconds(0);
  REQUIRE(wait_until(
      [&] { return time::now_ms() > std::stoll(f.scalar("SELECT created_at FROM jobs")); }));
  auto r = f.run();
  CHECK(r.what == run_result::kind::failed);
  CHECK(r.error == "circuit_open");
  CHECK(f.scalar("SELECT error FROM failed_jobs") == "circuit_open");
  CHECK(f.scalar("SELECT reserved FROM subscription_usage") == "0");
  CHECK(f.fx.ai_calls == 0);
}

TEST_CASE("failed Evolution sends open the instance's breaker and the job waits for it") {
  runner_fixture f("evolution");
  f.settings.breakers =
      std::make_shared<breaker_set>(breaker_settings{1, std::chrono::milliseconds(3600 * 1000)});
  f.fx.send_failures = 1;
  auto r = f.run();
  REQUIRE(r.what == run_result::kind::deferred);
  CHECK(f.settings.breakers->current("evolution:1") == circuit_breaker::state::open);
  CHECK(f.settings.breakers->current("ai") == circuit_breaker::state::closed);
  REQUIRE(wait_until([&] { return time::now_ms() >= r.not_before; }));
  auto held = f.run();
  CHECK(held.what == run_result::kind::deferred);
  CHECK(held.error == "circuit_open");
  CHECK(f.fx.sends == 1);
  CHECK(f.fx.lookups == 0);  // held before the reconciliation lookup too
  CHECK(f.scalar("SELECT attempts FROM jobs") == "1");
  CHECK(f.scalar("SELECT COUNT(*) FROM sent_messages") == "0");
}

TEST_CASE("a refused Evolution key marks the instance unauthorized and holds its jobs") {
  runner_fixture f("evolution");
  f.fx.send_failures = 1;
  f.fx.send_failure = send_result::kind::unauthorized;
  auto r = f.run();
  CHECK(r.what == run_result::kind::deferred);
  CHECK(f.scalar("SELECT state FROM instances") == "unauthorized");
  CHECK(f.scalar("SELECT status FROM jobs") == "waiting");
  CHECK(f.scalar("SELECT attempts FROM jobs") == "0");
  CHECK(f.scalar("SELECT COUNT(*) FROM failed_jobs") == "0");
  // Due again while still unauthorized: held without trying to send.
  f.write([](storage::write_context& w) { return w.jobs().defer(1, 0, std::string("due")); });
  auto held = f.run();
  CHECK(held.what == run_result::kind::deferred);
  CHECK(held.error == "instance unauthorized");
  CHECK(f.fx.sends == 1);
  // Open again: the job is answered once.
  f.write([](storage::write_context& w) { return w.instances().update_state("bot", "open"); });
  f.write([](storage::write_context& w) { return w.jobs().defer(1, 0, std::string("due")); });
  auto done = f.run();
  CHECK(done.what == run_result::kind::finished);
  CHECK(f.fx.sends + f.fx.lookups == 3);
  CHECK(f.scalar("SELECT COUNT(*) FROM sent_messages") == "1");
}

TEST_CASE("an instance that is not connected makes the job wait without counting attempts") {
  runner_fixture f("evolution");
  f.settings.max_attempts = 1;
  f.fx.send_failures = 2;
  f.fx.send_failure = send_result::kind::not_connected;
  for (int i = 0; i < 2; ++i) {
    auto r = f.run();
    CHECK(r.what == run_result::kind::deferred);
    CHECK(f.scalar("SELECT attempts FROM jobs") == "0");
    REQUIRE(wait_until([&] { return time::now_ms() >= r.not_before; }));
  }
  auto done = f.run();
  CHECK(done.what == run_result::kind::finished);
  CHECK(f.scalar("SELECT COUNT(*) FROM failed_jobs") == "0");
  CHECK(f.scalar("SELECT COUNT(*) FROM sent_messages") == "1");
}

TEST_CASE("a run keeps its effects until its last answer, after the runner and its owner let go") {
  runner_fixture f;
  auto alive = f.fx.alive;
  std::atomic<bool> release{false}, finished{false}, alive_at_end{false};
  f.hold_writer(release);
  {
    job_runner runner(std::move(f.fx_ptr), f.settings);
    runner.run(1, [&](run_result r) {
      alive_at_end = alive->load();
      finished = r.what == run_result::kind::finished;
    });
  }
  // The contact actor (the runner's and the effects' owner) is gone; its first write is queued.
  CHECK(alive->load());
  release = true;
  REQUIRE(wait_until([&] { return finished.load(); }));
  CHECK(alive_at_end.load());
  CHECK(f.scalar("SELECT status FROM jobs") == "done");
  CHECK(f.scalar("SELECT COUNT(*) FROM sent_messages") == "1");
  // ... and the run lets go of them once it ended.
  CHECK(wait_until([&] { return !alive->load(); }));
}

TEST_CASE("a job waiting for its instance to connect runs at once when woken for its instance") {
  runner_fixture f("evolution");
  f.settings.retry_base = std::chrono::hours(1);
  f.settings.retry_max = std::chrono::hours(1);
  f.fx.send_failures = 1;
  f.fx.send_failure = send_result::kind::not_connected;
  auto r = f.run();
  REQUIRE(r.what == run_result::kind::deferred);
  CHECK(r.error.rfind(held_not_connected, 0) == 0);
  CHECK(r.not_before > time::now_ms() + 30 * 60 * 1000);
  CHECK(f.scalar("SELECT attempts FROM jobs") == "0");
  // Neither unwoken nor woken for credits does it run before its not_before.
  CHECK(f.run().what == run_result::kind::not_due);
  CHECK(f.run(wake_reason::credits).what == run_result::kind::not_due);
  CHECK(f.fx.sends == 1);
  // connection.update open: woken for its instance, it runs now (looks for the earlier send
  // first, finds none, sends once).
  auto done = f.run(wake_reason::instance);
  CHECK(done.what == run_result::kind::finished);
  CHECK(f.fx.lookups == 1);
  CHECK(f.fx.sends == 2);
  CHECK(f.scalar("SELECT COUNT(*) FROM sent_messages") == "1");
  CHECK(f.scalar("SELECT attempts FROM jobs") == "1");
}

TEST_CASE("an unauthorized instance holds its jobs until it changes, not for a retry delay") {
  runner_fixture f("evolution");
  f.fx.send_failures = 1;
  f.fx.send_failure = send_result::kind::unauthorized;
  auto r = f.run();
  REQUIRE(r.what == run_result::kind::deferred);
  const int64_t created = std::stoll(f.scalar("SELECT created_at FROM jobs"));
  // Held to the end of max_wait (24 h), not retried every retry_max.
  CHECK(r.not_before == created + f.settings.max_wait.count());
  CHECK(f.scalar("SELECT not_before FROM jobs") == std::to_string(r.not_before));
  // Woken while the instance is still unauthorized: held again, nothing sent or looked up.
  auto held = f.run(wake_reason::instance);
  CHECK(held.what == run_result::kind::deferred);
  CHECK(held.error == held_unauthorized);
  CHECK(held.not_before == created + f.settings.max_wait.count());
  CHECK(f.fx.sends == 1);
  CHECK(f.fx.lookups == 0);
  CHECK(f.scalar("SELECT attempts FROM jobs") == "0");
  // The row says open again (changed while no wake could come): it runs without being woken.
  f.write([](storage::write_context& w) { return w.instances().update_state("bot", "open"); });
  auto done = f.run();
  CHECK(done.what == run_result::kind::finished);
  CHECK(f.scalar("SELECT COUNT(*) FROM sent_messages") == "1");
}

TEST_CASE(
    "a job held for an unauthorized instance past max_wait goes to the DLQ with its credits") {
  runner_fixture f("evolution");
  f.fx.send_failures = 1;
  f.fx.send_failure = send_result::kind::unauthorized;
  REQUIRE(f.run().what == run_result::kind::deferred);
  CHECK(f.scalar("SELECT reserved FROM subscription_usage") == "1");
  f.settings.max_wait = std::chrono::milliseconds(0);
  auto r = f.run(wake_reason::instance);
  CHECK(r.what == run_result::kind::failed);
  CHECK(r.settled);
  CHECK(f.scalar("SELECT error FROM failed_jobs") == held_unauthorized);
  CHECK(f.scalar("SELECT reserved FROM subscription_usage") == "0");
  CHECK(f.scalar("SELECT used FROM subscription_usage") == "0");
  CHECK(f.fx.sends == 1);
}

TEST_CASE("a charge that crosses 80 % and 100 % of the budget marks each alert once, audited") {
  runner_fixture f;
  // 10 credits: 8 used leaves this job's charge of 1 at 90 %.
  f.write([](storage::write_context& w) -> status {
    auto r = w.usage().reserve(1, 99, "reserve", 8, time::now_ms());
    if (!r) return r.err();
    return w.usage().commit(1, 99, "reserve", 8, time::now_ms());
  });
  auto r = f.run();
  CHECK(r.what == run_result::kind::finished);
  CHECK(r.alert_80);
  CHECK_FALSE(r.alert_100);
  CHECK(f.scalar("SELECT alert_80_at IS NOT NULL FROM subscription_usage") == "1");
  CHECK(f.scalar("SELECT alert_100_at IS NULL FROM subscription_usage") == "1");
  CHECK(f.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'credits.alert_80'") == "1");
}
