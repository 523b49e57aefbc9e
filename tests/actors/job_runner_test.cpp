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
#include "actors/texts.hpp"
#include "adapters/ai/offline_provider.hpp"
#include "base/crypto.hpp"
#include "base/time.hpp"
#include "storage/contacts_repo.hpp"
#include "storage/database.hpp"
#include "storage/failed_jobs_repo.hpp"
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
  std::mutex requests_mutex;
  std::vector<ai::ai_request> requests;  // every model request, in order
  void generate(ai::ai_request r, std::function<void(ai::ai_response)> done) override {
    ++ai_calls;
    {
      std::lock_guard<std::mutex> lock(requests_mutex);
      requests.push_back(r);
    }
    last_images = static_cast<int>(r.images.size());
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
  void find_sent(const send_target&, const sent_content&, int64_t,
                 std::function<void(send_result)> done) override {
    ++lookups;
    std::string key = found_key;
    on->post([done, key] { done({send_result::kind::ok, key, "", {}}); });
  }
  std::atomic<int> polls{0}, fetches{0};
  std::atomic<int> last_images{0};        // photos in the last AI request
  std::vector<std::string> poll_options;  // the last sendPoll's options
  void send_poll(const send_target&, const std::string&, const std::vector<std::string>& options,
                 int, std::function<void(send_result)> done) override {
    const int n = ++polls;
    poll_options = options;
    on->post([done, n] { done({send_result::kind::ok, "EVO-POLL-" + std::to_string(n), "", {}}); });
  }
  void fetch_media_base64(const send_target&, const std::string& message_id,
                          std::function<void(send_result, media_bytes)> done) override {
    ++fetches;
    media_bytes b{crypto::base64("photo " + message_id), "image/png"};
    on->post([done, b] { done({send_result::kind::ok, "", "", {}}, b); });
  }
};

const char* lead_jid = "5511911111111@s.whatsapp.net";

// A messages.upsert webhook body from the lead.
std::string upsert(const std::string& id, nlohmann::json message, const std::string& type,
                   nlohmann::json extra = nlohmann::json::object()) {
  nlohmann::json data = {{"key", {{"remoteJid", lead_jid}, {"fromMe", false}, {"id", id}}},
                         {"message", std::move(message)},
                         {"messageType", type}};
  data.update(extra);
  return nlohmann::json{{"event", "messages.upsert"}, {"instance", "bot"}, {"data", data}}.dump();
}

std::string text_of(const std::string& id, const std::string& text) {
  return upsert(id, {{"conversation", text}}, "conversation");
}

std::string vote_of(const std::string& id, const std::string& poll_key, const std::string& option) {
  nlohmann::json vote = {
      {"pollUpdateMessage",
       {{"pollCreationMessageKey", {{"remoteJid", lead_jid}, {"fromMe", true}, {"id", poll_key}}},
        {"vote", {{"selectedOptions", {option}}}}}}};
  return upsert(id, vote, "pollUpdateMessage");
}

// A photo; with `inline_bytes` "" the webhook carried no base64 (it must be fetched).
std::string photo_of(const std::string& id, const std::string& inline_bytes) {
  nlohmann::json message = {{"imageMessage", {{"mimetype", "image/jpeg"}, {"caption", ""}}}};
  if (!inline_bytes.empty()) message["base64"] = crypto::base64(inline_bytes);
  return upsert(id, message, "imageMessage");
}

const char* payload = R"({"event":"messages.upsert","instance":"bot","data":{"key":{
  "remoteJid":"5511911111111@s.whatsapp.net","fromMe":false,"id":"M1"},
  "message":{"conversation":"oi, tudo bem?"},"messageType":"conversation"}})";

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

  run_result run(wake_reason why = wake_reason::none) { return run_job(1, why); }

  // Adds a job for the same lead with this payload; returns its id.
  int64_t add_job(const std::string& wa_id, const std::string& body) {
    int64_t id = 0;
    write([&](storage::write_context& w) -> status {
      storage::new_job j;
      j.instance_id = 1;
      j.wa_message_id = wa_id;
      j.event = "messages.upsert";
      j.contact_key = lead_jid;
      j.sender_jids = nlohmann::json::array({lead_jid}).dump();
      j.payload = body;
      auto r = w.jobs().insert(j);
      if (!r) return r.err();
      id = *r;
      return ok_status();
    });
    return id;
  }

  run_result run_job(int64_t job_id, wake_reason why = wake_reason::none) {
    job_runner runner(fx_ptr, settings);
    std::mutex m;
    std::optional<run_result> out;
    runner.run(
        job_id,
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

  // Changes rows behind the writer's back (it is idle between runs), e.g. to age a burst.
  void exec(const std::string& sql) {
    SQLite::Database db(dir_.file("aibud.db"), SQLite::OPEN_READWRITE);
    db.setBusyTimeout(5000);
    db.exec(sql);
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
  // The reservation stays held while it waits: the most the classifier's plan may cost (a
  // reply, and a poll for a new lead).
  CHECK(f.scalar("SELECT reserved FROM subscription_usage") == "2");
  REQUIRE(wait_until([&] { return time::now_ms() >= first.not_before; }));
  auto second = f.run();
  CHECK(second.what == run_result::kind::finished);
  CHECK(second.writes == 3);  // attempt (no context or reserve left to do), intent, finish
  CHECK(f.scalar("SELECT attempts FROM jobs") == "2");
  CHECK(f.scalar("SELECT COUNT(*) FROM credit_ledger WHERE kind = 'reserve'") == "1");
  CHECK(f.fx.ai_calls == 2);
}

TEST_CASE("a retry rebuilds the model request from the journal's step, which stores no prompt") {
  runner_fixture f;
  f.fx.ai_failures = 1;
  auto first = f.run();
  REQUIRE(first.what == run_result::kind::deferred);
  // The journal keeps what the agent decided, not the prompt and history it sent.
  const std::string steps = f.scalar("SELECT steps FROM jobs");
  CHECK(steps.find("ai_inputs") == std::string::npos);
  CHECK(steps.find("\"purpose\":\"classify\"") != std::string::npos);
  REQUIRE(wait_until([&] { return time::now_ms() >= first.not_before; }));
  auto second = f.run();
  CHECK(second.what == run_result::kind::finished);

  std::lock_guard<std::mutex> lock(f.fx.requests_mutex);
  REQUIRE(f.fx.requests.size() == 2);
  const ai::ai_request& a = f.fx.requests[0];
  const ai::ai_request& b = f.fx.requests[1];
  CHECK_FALSE(a.system_prompt.empty());
  CHECK(b.system_prompt == a.system_prompt);
  CHECK(b.kind == a.kind);
  CHECK(b.model == a.model);
  REQUIRE(a.json_schema);
  REQUIRE(b.json_schema);
  CHECK(*b.json_schema == *a.json_schema);
  REQUIRE(!a.history.empty());
  REQUIRE(b.history.size() == a.history.size());
  for (std::size_t i = 0; i < a.history.size(); ++i) {
    CHECK(b.history[i].text == a.history[i].text);
    CHECK(b.history[i].speaker == a.history[i].speaker);
  }
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
  CHECK(f.scalar("SELECT reserved FROM subscription_usage") == "2");  // a reply and a poll
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

TEST_CASE("a seller gets a reply and the property poll; a vote on it sends the next poll") {
  runner_fixture f;
  const int64_t first = f.add_job("SELL-1", text_of("SELL-1", "quero vender meu apartamento"));
  auto r = f.run_job(first);
  CHECK(r.status == "done");
  CHECK(r.writes == 3);
  CHECK(f.scalar("SELECT group_concat(kind, ',') FROM interactions WHERE job_id = " +
                 std::to_string(first) + " AND direction = 'out'") == "text,poll");
  const std::string poll_json =
      f.scalar("SELECT content FROM interactions WHERE kind = 'poll' AND direction = 'out'");
  auto poll = nlohmann::json::parse(poll_json);
  CHECK(poll.at("name") == poll_text("property_type", lang::pt_br));
  REQUIRE(poll.at("options").size() == 4);
  const std::string poll_key =
      f.scalar("SELECT wa_message_id FROM sent_messages WHERE step = 'act.1'");
  CHECK(poll_key.rfind("SANDBOX-", 0) == 0);
  CHECK(f.scalar("SELECT json_extract(open_poll, '$.message_id') FROM contacts") == poll_key);
  CHECK(f.scalar("SELECT json_extract(open_poll, '$.poll') FROM contacts") == "property_type");
  CHECK(f.scalar("SELECT status FROM contacts") == "qualified");
  CHECK(f.scalar("SELECT used FROM subscription_usage") == "2");  // a reply and a poll

  const std::string apartment = poll.at("options")[0].get<std::string>();
  const int64_t vote = f.add_job("VOTE-1", vote_of("VOTE-1", poll_key, apartment));
  auto v = f.run_job(vote);
  CHECK(v.status == "done");
  CHECK(f.fx.ai_calls == 1);  // a vote needs no model
  CHECK(f.scalar("SELECT content FROM interactions WHERE kind = 'poll_vote'") == apartment);
  CHECK(f.scalar("SELECT json_extract(open_poll, '$.poll') FROM contacts") == "bedrooms");
  const std::string next_key =
      f.scalar("SELECT json_extract(open_poll, '$.message_id') FROM contacts");
  CHECK(next_key != poll_key);
  CHECK(f.scalar("SELECT COUNT(*) FROM sent_messages WHERE wa_message_id = '" + next_key + "'") ==
        "1");
  CHECK(f.scalar("SELECT used FROM subscription_usage") == "3");
}

TEST_CASE("on Evolution a poll goes through sendPoll and its key.id becomes the open poll's") {
  runner_fixture f("evolution");
  const int64_t id = f.add_job("SELL-2", text_of("SELL-2", "quero vender minha casa"));
  auto r = f.run_job(id);
  CHECK(r.status == "done");
  CHECK(f.fx.sends == 1);
  CHECK(f.fx.polls == 1);
  CHECK(f.fx.poll_options.size() == 4);
  CHECK(f.scalar("SELECT json_extract(open_poll, '$.message_id') FROM contacts") == "EVO-POLL-1");
  CHECK(f.scalar("SELECT group_concat(step || '=' || wa_message_id, ',') FROM sent_messages") ==
        "act=EVO-SENT,act.1=EVO-POLL-1");
}

TEST_CASE("a vote on a poll that is not open gets the stale-poll text, free") {
  runner_fixture f;
  const int64_t id = f.add_job("VOTE-X", vote_of("VOTE-X", "NOT-OURS", "Casa"));
  auto r = f.run_job(id);
  CHECK(r.status == "done");
  CHECK(f.scalar("SELECT content FROM interactions WHERE direction = 'out'") ==
        fixed_text(text_id::stale_poll, lang::pt_br));
  CHECK(f.scalar("SELECT used FROM subscription_usage") == "0");
  CHECK(f.fx.ai_calls == 0);
}

TEST_CASE("a photo is valued by the model once, charged the valuation, status estimated") {
  runner_fixture f;
  const int64_t id = f.add_job("PHOTO-1", photo_of("PHOTO-1", "living room bytes"));
  auto r = f.run_job(id);
  CHECK(r.status == "done");
  CHECK(r.writes == 3);
  CHECK(f.fx.ai_calls == 1);
  CHECK(f.fx.fetches == 0);  // the webhook carried the bytes
  CHECK(f.scalar("SELECT used FROM subscription_usage") == "5");
  CHECK(f.scalar("SELECT status FROM contacts") == "estimated");
  CHECK(f.scalar("SELECT kind FROM interactions WHERE direction = 'in'") == "image");
  CHECK(f.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'lead.estimated'") == "1");
}

TEST_CASE("a photo without inline bytes is fetched from Evolution before the model call") {
  runner_fixture f("evolution");
  const int64_t id = f.add_job("PHOTO-2", photo_of("PHOTO-2", ""));
  auto r = f.run_job(id);
  CHECK(r.status == "done");
  CHECK(f.fx.fetches == 1);
  CHECK(f.scalar("SELECT status FROM contacts") == "estimated");
}

TEST_CASE("asking for a person hands the lead off with an audit entry, and later messages wait") {
  runner_fixture f;
  const int64_t id = f.add_job("HUMAN-1", text_of("HUMAN-1", "quero falar com um atendente"));
  auto r = f.run_job(id);
  CHECK(r.status == "done");
  CHECK(f.scalar("SELECT status FROM contacts") == "handed_off");
  CHECK(f.scalar("SELECT status_before_handoff FROM contacts") == "new");
  CHECK(f.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'contact.handoff'") == "1");
  CHECK(f.scalar("SELECT content FROM interactions WHERE direction = 'out'") ==
        fixed_text(text_id::handoff_notice, lang::pt_br));

  const int64_t later = f.add_job("HUMAN-2", text_of("HUMAN-2", "alô?"));
  CHECK(f.run_job(later).status == "done");
  CHECK(f.scalar("SELECT COUNT(*) FROM interactions WHERE direction = 'out'") == "1");
  CHECK(f.scalar("SELECT json_extract(steps, '$.context.reason') FROM jobs WHERE id = " +
                 std::to_string(later)) == "handed_off");
}

TEST_CASE("a dead letter's replay reserves again and is charged exactly once") {
  runner_fixture f("evolution");
  f.fx.send_failures = 1;
  f.fx.send_failure = send_result::kind::rejected;
  auto failed = f.run();
  REQUIRE(failed.what == run_result::kind::failed);
  CHECK(f.scalar("SELECT reserved FROM subscription_usage") == "0");
  CHECK(f.scalar("SELECT json_extract(steps, '$.reserve.released') FROM jobs") == "1");

  f.write([](storage::write_context& w) -> status {
    auto entries = w.failed_jobs().list();
    if (!entries) return entries.err();
    auto r = w.failed_jobs().replay(entries->front().id);
    if (!r) return r.err();
    return ok_status();
  });
  auto replayed = f.run();
  CHECK(replayed.status == "done");
  CHECK(f.scalar("SELECT used FROM subscription_usage") == "1");
  CHECK(f.scalar("SELECT reserved FROM subscription_usage") == "0");
  CHECK(f.scalar("SELECT group_concat(step, ',') FROM credit_ledger WHERE kind = 'commit'") ==
        "reserve.2");
  CHECK(f.fx.sends == 2);
  // Run again: done jobs change nothing.
  CHECK(f.run().status == "done");
  CHECK(f.scalar("SELECT COUNT(*) FROM credit_ledger WHERE kind = 'commit'") == "1");
}

TEST_CASE("a burst of texts: the earlier job merges into the later, which waits and answers once") {
  runner_fixture f;
  f.settings.text_burst = {std::chrono::minutes(10), std::chrono::minutes(20)};
  f.exec("UPDATE jobs SET status = 'skipped' WHERE id = 1");  // the fixture's own job
  const int64_t a = f.add_job("B-1", text_of("B-1", "oi"));
  const int64_t b = f.add_job("B-2", text_of("B-2", "quero vender meu apartamento"));
  auto first = f.run_job(a);
  CHECK(first.what == run_result::kind::finished);
  CHECK(first.status == "merged");
  CHECK(f.scalar("SELECT merged_into FROM jobs WHERE id = " + std::to_string(a)) ==
        std::to_string(b));
  CHECK(f.scalar("SELECT attempts FROM jobs WHERE id = " + std::to_string(a)) == "0");

  auto second = f.run_job(b);
  CHECK(second.what == run_result::kind::burst_wait);
  CHECK(f.scalar("SELECT status || ' ' || last_error FROM jobs WHERE id = " + std::to_string(b)) ==
        "waiting burst");
  CHECK(f.scalar("SELECT attempts FROM jobs WHERE id = " + std::to_string(b)) == "0");
  CHECK(f.scalar("SELECT COUNT(*) FROM credit_ledger") == "0");
  // Not due yet: a plain run leaves it waiting.
  CHECK(f.run_job(b).what == run_result::kind::not_due);

  // The burst has been quiet long enough (its rows say so): it is answered once, as one.
  f.exec("UPDATE jobs SET created_at = created_at - 3600000");
  auto third = f.run_job(b, wake_reason::burst);
  CHECK(third.status == "done");
  CHECK(f.fx.ai_calls == 1);
  CHECK(f.scalar("SELECT json_extract(steps, '$.context.members') FROM jobs WHERE id = " +
                 std::to_string(b)) == "[" + std::to_string(a) + "," + std::to_string(b) + "]");
  CHECK(f.scalar("SELECT COUNT(*) FROM credit_ledger WHERE kind = 'commit'") == "1");
  CHECK(f.scalar("SELECT job_id FROM credit_ledger WHERE kind = 'commit'") == std::to_string(b));
  CHECK(f.scalar("SELECT group_concat(job_id || ':' || content, '|') FROM interactions WHERE "
                 "direction = 'in'") ==
        std::to_string(a) + ":oi|" + std::to_string(b) + ":quero vender meu apartamento");
  // The model saw both texts as one turn.
  CHECK(f.scalar("SELECT json_extract(context, '$[0].text') FROM contacts") ==
        "oi\nquero vender meu apartamento");
}

TEST_CASE("a newer message wakes a waiting burst head, which merges into it at once") {
  runner_fixture f;
  f.settings.text_burst = {std::chrono::minutes(10), std::chrono::minutes(20)};
  const int64_t a = f.add_job("W-1", text_of("W-1", "oi"));
  CHECK(f.run_job(a).what == run_result::kind::burst_wait);
  const int64_t b = f.add_job("W-2", text_of("W-2", "tudo bem?"));
  auto woken = f.run_job(a, wake_reason::burst);
  CHECK(woken.status == "merged");
  CHECK(f.run_job(b).what == run_result::kind::burst_wait);
  CHECK(f.scalar("SELECT merged_into FROM jobs WHERE id = " + std::to_string(a)) ==
        std::to_string(b));
}

TEST_CASE("a burst of three photos is one valuation, one reply, charged once") {
  runner_fixture f;
  f.settings.photo_burst = {std::chrono::minutes(10), std::chrono::minutes(20)};
  std::vector<int64_t> ids;
  for (int i = 1; i <= 3; ++i) {
    const std::string id = "P-" + std::to_string(i);
    ids.push_back(f.add_job(id, photo_of(id, "room " + std::to_string(i))));
  }
  CHECK(f.run_job(ids[0]).status == "merged");
  CHECK(f.run_job(ids[1]).status == "merged");
  CHECK(f.run_job(ids[2]).what == run_result::kind::burst_wait);
  f.exec("UPDATE jobs SET created_at = created_at - 3600000");
  auto r = f.run_job(ids[2], wake_reason::burst);
  CHECK(r.status == "done");
  CHECK(f.fx.ai_calls == 1);
  CHECK(f.fx.last_images == 3);
  CHECK(f.scalar("SELECT used FROM subscription_usage") == "5");
  CHECK(f.scalar("SELECT COUNT(*) FROM credit_ledger WHERE kind = 'reserve'") == "1");
  CHECK(f.scalar("SELECT COUNT(*) FROM interactions WHERE direction = 'out'") == "1");
  CHECK(f.scalar("SELECT COUNT(*) FROM interactions WHERE direction = 'in' AND kind = 'image'") ==
        "3");
  CHECK(f.scalar("SELECT content FROM interactions WHERE direction = 'out'")
            .find(photo_ack(3, lang::pt_br)) != std::string::npos);
  CHECK(f.scalar("SELECT COUNT(*) FROM jobs WHERE status = 'merged' AND merged_into = " +
                 std::to_string(ids[2])) == "2");
}

TEST_CASE("a reply longer than the shaping limit goes out in parts, charged once") {
  runner_fixture f;
  f.settings.shaping.max_length = 20;
  auto r = f.run();
  CHECK(r.status == "done");
  CHECK(r.writes == 3);
  const int64_t parts = std::stoll(f.scalar("SELECT COUNT(*) FROM sent_messages"));
  CHECK(parts > 1);
  CHECK(f.scalar("SELECT COUNT(*) FROM interactions WHERE direction = 'out'") ==
        std::to_string(parts));
  CHECK(std::stoll(f.scalar("SELECT MAX(length(CAST(content AS BLOB))) FROM interactions WHERE "
                            "direction = 'out'")) <= 20);
  CHECK(f.scalar("SELECT SUM(credits) FROM interactions WHERE direction = 'out'") == "1");
  CHECK(f.scalar("SELECT used FROM subscription_usage") == "1");
}
