// The durable inbox's storage side (ARCHITECTURE §3.1-3.2): how the webhook handler finds an
// instance and commits an event, both through the storage writer so that HTTP threads never
// touch SQLite. A commit's answer is given on the writer thread after COMMIT returned.
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
  // Called after each accepted job committed (the dispatcher's nudge), on the writer thread.
  using committed_fn = std::function<void(int64_t job_id)>;

  // REQUIRES: `writer` and `sealer` outlive the intake.
  intake(storage::writer& writer, const secrets::sealer& sealer,
         std::chrono::milliseconds cache_ttl = std::chrono::seconds(5));

  void on_committed(committed_fn fn) { on_committed_ = std::move(fn); }

  // Known instances are cached briefly; a miss, and so every 404, asks the database.
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
  };

  storage::writer& writer_;
  const secrets::sealer& sealer_;
  std::chrono::milliseconds cache_ttl_;
  committed_fn on_committed_;

  std::mutex mutex_;
  std::map<std::string, cached> cache_;  // GUARDED_BY(mutex_)
};

}  // namespace aibud::runtime
