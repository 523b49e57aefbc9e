// One-for-one supervision for CAF 0.17, which has monitors, links and exit reasons but no
// supervisor trees (ARCHITECTURE §2).
//
// A supervisor starts its children from child specs, watches them, and when one ends
// abnormally restarts only that child, after an exponential backoff with jitter. Counted
// crashes beyond `limits.intensity` (default: more than 5 within 10 s) make it give up: it
// stops its other children and exits with `supervision_error::restart_limit`, which its own
// supervisor sees as a crash of a child (escalation). At the root, runtime::system reports it.
//
// Crash accounting: a child that crashes while inside a job exits with
// `supervision_error::crashed_in_job` (from its exception handler, or by quitting with it).
// It is restarted like any crash but does not count toward the limit: its job's attempt is
// already counted in the job row, so a poison job ends in the DLQ instead of escalating.
//
// Contract for children: a child must end when it receives an exit message (the default
// for actors without an exit handler). A supervisor stops its children itself, in reverse
// start order, whenever it ends.
//
// Requests (all answered; errors are `supervision_error` values):
//   (add_atom, child_spec)    -> caf::actor  starts a child; duplicate_child, start_failed
//   (get_atom, name)          -> caf::actor  current incarnation; no_such_child, child_restarting
//   (stop_atom, name)         -> ok_atom     removes the child and sends it an exit; no_such_child
//   (tree_atom)               -> tree_node   this supervisor and its children, recursively
//
// CAF header: included only by runtime/ .cpp files and their tests.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/typed_actor.hpp>

#include "actors/messages.hpp"
#include "base/error.hpp"
#include "runtime/restart_policy.hpp"

namespace aibud::runtime {

using actors::tree_node;

// Spawns one incarnation of a child and returns its handle, or an invalid handle when it
// cannot. Called on the supervisor's thread at start and at every restart: spawn (through
// `supervisor->spawn(...)` or `supervisor->system()`), never block. A throw counts as a
// failed start.
using child_factory = std::function<caf::actor(caf::local_actor* supervisor)>;

struct child_spec {
  std::string name;  // unique among the supervisor's children
  std::string kind;  // shown in the tree: "supervisor", "tenant", "storage_writer", ...
  child_factory start;
  restart_policy restart = restart_policy::permanent;
  // The child answers (tree_atom) -> tree_node itself (nested supervisors, actors with
  // children of their own); the supervisor then includes its subtree.
  bool answers_tree = false;
};

struct supervisor_options {
  std::string name = "root";
  supervision_limits limits;
  std::vector<child_spec> children;  // started in order whenever the supervisor starts
  milliseconds tree_timeout{2000};   // how long a subtree may take to answer
};

using supervisor_actor =
    caf::typed_actor<caf::replies_to<actors::add_atom, child_spec>::with<caf::actor>,
                     caf::replies_to<actors::get_atom, std::string>::with<caf::actor>,
                     caf::replies_to<actors::stop_atom, std::string>::with<actors::ok_atom>,
                     caf::replies_to<actors::tree_atom>::with<tree_node>,
                     // Internal: the backoff timer of one pending restart (name, ticket).
                     caf::reacts_to<actors::restart_atom, std::string, std::uint64_t>>;

// Spawns a supervisor that starts `options.children` in order. A child that fails to start
// is treated as a crash of that child (retried with backoff, counted).
supervisor_actor spawn_supervisor(caf::actor_system& sys, supervisor_options options);

// A child spec for a nested supervisor (kind "supervisor", answers tree). Its initial
// children come back with every restart; children added at run time do not (their owner
// re-adds them, e.g. the tenants supervisor's owner reloads tenants from storage).
child_spec supervisor_child(supervisor_options options,
                            restart_policy restart = restart_policy::permanent);

// Blocking request helpers for code outside actors (bootstrap, tests). Errors map
// no_such_child → not_found, duplicate_child → conflict, child_restarting and timeouts →
// unavailable, anything else → internal.
result<caf::actor> add_child(caf::scoped_actor& self, const supervisor_actor& sup, child_spec spec,
                             milliseconds timeout = milliseconds{5000});
result<caf::actor> find_child(caf::scoped_actor& self, const supervisor_actor& sup,
                              const std::string& name, milliseconds timeout = milliseconds{5000});
status stop_child(caf::scoped_actor& self, const supervisor_actor& sup, const std::string& name,
                  milliseconds timeout = milliseconds{5000});
result<tree_node> tree(caf::scoped_actor& self, const supervisor_actor& sup,
                       milliseconds timeout = milliseconds{5000});

// Maps an error received from a supervisor (or a timeout) to an aibud error.
error to_error(const caf::error& e);

}  // namespace aibud::runtime

// Carries a std::function, so it cannot be serialized: local messages only.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aibud::runtime::child_spec)
