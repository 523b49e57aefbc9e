// The job pipeline as one object for `aibud serve` (docs/jobs.md): the AI provider, the
// outgoing HTTP client, the actor system with the dispatcher under its root supervisor, and
// the nudge that hands each newly committed job to its instance. CAF-free header.
//
//   runtime::job_system jobs(cfg, writer, sealer);   // after the writer started
//   jobs.start();                                    // resumes every unfinished job
//   inbox.on_committed(jobs.committed_fn());
//   inbox.on_connection(jobs.connection_fn());
//   ...
//   jobs.stop();                                     // before the writer stops
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "runtime/config.hpp"
#include "runtime/control.hpp"
#include "runtime/secrets.hpp"

namespace aibud::storage {
class writer;
}
namespace aibud::evolution {
struct event;
}
namespace aibud::actors {
struct job_hint;
}

namespace aibud::runtime {

class system;

class job_system {
 public:
  // REQUIRES: `writer` and `sealer` outlive the job system.
  job_system(const config::config& cfg, storage::writer& writer, const secrets::sealer& sealer);
  ~job_system();  // stop()
  job_system(const job_system&) = delete;
  job_system& operator=(const job_system&) = delete;

  // Starts the actors; the dispatcher hands every pending, waiting and running (left by a
  // crash) job to its instance. Errors: unavailable when the database cannot be read.
  status start();

  // A job in the database (a replayed dead letter): reads its row and routes it. Thread-safe.
  void nudge(int64_t job_id);
  // A job the intake just committed from `event` (a message): routed with the intake's parse
  // (actors::job_hint), so neither this nor the job's first write reads and parses it again.
  // Thread-safe (called on the writer's callback thread).
  void committed(int64_t job_id, int64_t instance_id, const evolution::event& event);
  std::function<void(int64_t, int64_t, const evolution::event&)> committed_fn() {
    return [this](int64_t id, int64_t instance_id, const evolution::event& event) {
      committed(id, instance_id, event);
    };
  }

  // The instance's row changed so that jobs held for it may go now (its key was replaced, it
  // was reconnected): they run at once instead of at their not_before. Thread-safe.
  void instance_changed(int64_t instance_id);
  // A committed connection.update: `open` wakes the instance's held jobs (instance_changed),
  // any other state changes nothing. Thread-safe (called on the writer's callback thread).
  void connection_changed(int64_t instance_id, const std::string& state);
  std::function<void(int64_t, const std::string&)> connection_fn() {
    return [this](int64_t id, const std::string& state) { connection_changed(id, state); };
  }

  // Stops the actors; callbacks still in flight are dropped (their jobs resume at the next
  // start from their saved steps). Idempotent.
  void stop();

  // The actor runtime (the live tree for `aibud actors`); valid after start().
  system& actors();

  // The live tree: root supervisor, dispatcher, storage writer, then every tenant, instance
  // and active contact with its running job; parents before children. Thread-safe; empty
  // before start() and after stop().
  std::vector<actor_entry> live_tree() const;
  // Contact actors alive now (the aibud_contact_actors_active gauge). Thread-safe.
  int64_t active_contacts() const;

  struct impl;

 private:
  void dispatch(int64_t job_id, int64_t instance_id, std::vector<std::string> jids,
                std::shared_ptr<const actors::job_hint> hint);

  std::unique_ptr<impl> impl_;
};

}  // namespace aibud::runtime
