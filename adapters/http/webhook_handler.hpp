// POST /webhook/evolution/{instance}[/{event}]: the front door of the durable inbox
// (ARCHITECTURE §3.1-3.2, §8 "Webhook answers"). It finds the instance, authenticates the
// request with the instance's secret, parses the body into a domain event, and hands what
// must be kept to an injected commit function; it answers only when that function says the
// event is durable (or why it is not). It never touches SQLite itself: the lookup and the
// commit are asynchronous and answer on their own threads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "adapters/evolution/events.hpp"
#include "adapters/http/request.hpp"

namespace aibud::http {

struct webhook_instance {
  int64_t id = 0;
  int64_t tenant_id = 0;
  std::string name;
  std::string secret;  // the clear webhook secret
};

// found: `instance` is set; not_found: the database (not a cache) has no such instance;
// overloaded: the lookup could not be queued (the storage writer's queue is full);
// unavailable: the answer is not known now (busy database, shutting down).
struct lookup_result {
  enum class outcome { found, not_found, overloaded, unavailable } status = outcome::unavailable;
  webhook_instance instance;
};
using instance_lookup =
    std::function<void(const std::string& name, std::function<void(lookup_result)> done)>;

// What the commit made of an event: accepted (a job, or an instance update with job 0),
// duplicate (same instance and message id, already committed), own_send (a fromMe message
// aibud sent itself), overloaded (queue full) or unavailable (the write failed).
struct commit_result {
  enum class outcome {
    accepted,
    duplicate,
    own_send,
    overloaded,
    unavailable
  } status = outcome::unavailable;
  int64_t job_id = 0;
};
using intake_commit = std::function<void(int64_t instance_id, evolution::event event,
                                         std::function<void(commit_result)> done)>;

// Counters for /metrics. Monotonic; read with relaxed loads.
struct webhook_counters {
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> duplicate{0};
  std::atomic<uint64_t> ignored_group{0};
  std::atomic<uint64_t> ignored_broadcast{0};
  std::atomic<uint64_t> ignored_own_send{0};
  std::atomic<uint64_t> ignored_unsupported_event{0};
  std::atomic<uint64_t> ignored_unsupported_message{0};
  std::atomic<uint64_t> unauthorized{0};
  std::atomic<uint64_t> invalid{0};
  std::atomic<uint64_t> unknown_instance{0};
  std::atomic<uint64_t> overloaded{0};
  std::atomic<uint64_t> unavailable{0};
};

class webhook_handler {
 public:
  using clock_fn = std::function<std::chrono::system_clock::time_point()>;

  // REQUIRES: `counters` outlives the handler.
  webhook_handler(
      instance_lookup lookup, intake_commit commit, webhook_counters& counters,
      clock_fn clock = [] { return std::chrono::system_clock::now(); });

  // For a route with the {instance} capture and an optional {event} slug capture.
  void operator()(request req, responder respond) const;

 private:
  void on_instance(const request& req, const responder& respond, const lookup_result& found) const;

  instance_lookup lookup_;
  intake_commit commit_;
  webhook_counters& counters_;
  clock_fn clock_;
};

}  // namespace aibud::http
