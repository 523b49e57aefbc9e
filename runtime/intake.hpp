// The durable inbox's storage side (ARCHITECTURE §3.1-3.2): how the webhook handler finds an
// instance and commits an event, both through the storage writer so that HTTP threads never
// touch SQLite. A commit's answer is given on the writer's callback thread after COMMIT
// returned.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "adapters/http/webhook_handler.hpp"
#include "runtime/secrets.hpp"

namespace aibud::storage {
class writer;
}

namespace aibud::runtime {

class intake {
 public:
  // Called after each accepted job committed (the dispatcher's nudge), on the writer's
  // callback thread.
  using committed_fn =
      std::function<void(int64_t job_id, int64_t instance_id, const evolution::event& event)>;

  // REQUIRES: `writer` and `sealer` outlive the intake.
  intake(storage::writer& writer, const secrets::sealer& sealer,
         std::chrono::milliseconds cache_ttl = std::chrono::seconds(5));

  void on_committed(committed_fn fn) { on_committed_ = std::move(fn); }
  // Called after a connection.update committed, with the instance and its new state, on the
  // writer's callback thread (the job system wakes the jobs held for an instance that is open
  // again).
  using connection_fn = std::function<void(int64_t instance_id, const std::string& state)>;
  void on_connection(connection_fn fn) { on_connection_ = std::move(fn); }

  // Known instances are cached briefly; a miss, and so every 404, asks the database. An
  // entry past its time still answers while one refresh asks the database, so a busy
  // instance's webhooks never wait for the writer (nor continue on its callback thread) to be
  // recognised; a refresh that finds the instance gone or changed replaces the entry.
  void lookup(const std::string& name, std::function<void(http::lookup_result)> done);

  // Stores the event: a job for messages (unless duplicate or our own send echoed), or the
  // instance's new connection state / QR code.
  void commit(int64_t instance_id, evolution::event event,
              std::function<void(http::commit_result)> done);

  // Forgets a cached instance (after it was changed or deleted).
  void forget(const std::string& name);

  http::instance_lookup lookup_fn() {
    return [this](const std::string& n, auto done) { lookup(n, std::move(done)); };
  }
  http::intake_commit commit_fn() {
    return [this](int64_t id, evolution::event e, auto done) {
      commit(id, std::move(e), std::move(done));
    };
  }

 private:
  struct cached {
    http::webhook_instance instance;
    std::chrono::steady_clock::time_point expires;
    bool refreshing = false;  // a refresh is queued on the writer
  };

  // Reads the instance on the writer; `done` gets the answer (and the cache is updated) on
  // the writer's callback thread. False when the writer refused it.
  bool read_instance(const std::string& name, std::function<void(http::lookup_result)> done);

  storage::writer& writer_;
  const secrets::sealer& sealer_;
  std::chrono::milliseconds cache_ttl_;
  committed_fn on_committed_;
  connection_fn on_connection_;

  std::mutex mutex_;
  std::map<std::string, cached> cache_;  // GUARDED_BY(mutex_)
};

}  // namespace aibud::runtime
