// The actor runtime's lifetime as one RAII object: the CAF actor system and the root
// supervisor of ARCHITECTURE §2. CAF-free, so cli/ can hold one; runtime/ code that adds
// children reaches the CAF side through runtime/actor_system_internal.hpp.
//
//   runtime::system rt({.threads = 2});
//   ... add children to the root through actor_system_internal.hpp ...
//   rt.await_root_exit(...);   // e.g. alongside signal handling in `serve`
//   rt.shutdown();             // also done by the destructor
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "runtime/restart_policy.hpp"

namespace aibud::runtime {

struct system_options {
  std::int64_t threads = 2;        // scheduler worker threads (at least 1)
  supervision_limits root_limits;  // of the root supervisor
};

class system {
 public:
  struct impl;

  // Starts the CAF scheduler (quiet CAF logging, no config file or argv parsing) and spawns
  // the root supervisor with no children.
  explicit system(system_options options = {});
  // Calls shutdown().
  ~system();
  system(const system&) = delete;
  system& operator=(const system&) = delete;

  // Stops the tree (the root stops its children, newest first, each supervisor the same
  // way down) and waits until every actor finished. Idempotent.
  // REQUIRES: no caf::scoped_actor of this system is alive: CAF 0.17.6 counts each one as a
  // running actor (even when constructed hidden), so the wait would not end.
  void shutdown();

  // Waits until the root supervisor ended, either through shutdown() or on its own because
  // it gave up; true when it ended within `timeout`.
  bool await_root_exit(std::chrono::milliseconds timeout);

  // Why the root ended on its own (it exceeded its restart limit): errc::unavailable with
  // the reason; nullopt while it runs or when it ended through shutdown(). Also logged.
  std::optional<error> root_failure() const;

  // The live tree as JSON, each node {"name","kind","state","restarts","children":[...]};
  // unavailable when the root is gone or does not answer within `timeout`.
  result<nlohmann::json> tree(std::chrono::milliseconds timeout = std::chrono::seconds(5));

  impl& internals() { return *impl_; }

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace aibud::runtime
