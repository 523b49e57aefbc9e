// The message vocabulary of aibud's actors: every atom, the supervision error category and
// the few message structs more than one actor understands. The one place to add an atom.
//
// CAF 0.17: an atom is `caf::atom_constant<caf::atom("text")>` (text ≤ 10 characters; it is
// packed into 60 bits) and is sent as its `::value`, e.g. `self->send(a, tree_atom::value)`.
// There is no type-ID block in 0.17 for local messages: a custom message type needs an
// `inspect` overload (as below) or `CAF_ALLOW_UNSAFE_MESSAGE_TYPE(T)`.
//
// Included only by .cpp files in actors/ and runtime/ (and their tests): it pulls in CAF.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/type_id.hpp>  // CAF's predefined atoms

namespace aibud::actors {

// -- atoms -----------------------------------------------------------------------------------

// CAF predefines some atoms; they are named here so every actor spells them the same way.
using add_atom = caf::add_atom;  // "add"
using get_atom = caf::get_atom;  // "get"
using ok_atom = caf::ok_atom;    // "ok"

using stop_atom = caf::atom_constant<caf::atom("stop")>;
using tree_atom = caf::atom_constant<caf::atom("tree")>;
using restart_atom = caf::atom_constant<caf::atom("restart")>;  // a supervisor's own timer

// The job pipeline (docs/jobs.md): nudges between dispatcher, instances, contacts, tenants.
using job_atom = caf::atom_constant<caf::atom("job")>;             // a job to run (by id)
using wake_atom = caf::atom_constant<caf::atom("job_wake")>;       // try the waiting job again
using idle_atom = caf::atom_constant<caf::atom("job_idle")>;       // a contact has nothing to do
using resume_atom = caf::atom_constant<caf::atom("job_resume")>;   // an effect's answer, posted
using ran_atom = caf::atom_constant<caf::atom("job_ran")>;         // a run of the runner ended
using wait_atom = caf::atom_constant<caf::atom("job_wait")>;       // wake me after credits move
using settle_atom = caf::atom_constant<caf::atom("job_settle")>;   // credits committed/released
using tick_atom = caf::atom_constant<caf::atom("job_tick")>;       // a contact's idle timer
using respawn_atom = caf::atom_constant<caf::atom("job_respwn")>;  // restart a crashed contact
using load_atom = caf::atom_constant<caf::atom("job_load")>;       // (re)load jobs from storage
using online_atom = caf::atom_constant<caf::atom("job_online")>;   // an instance is open again

// -- supervision -----------------------------------------------------------------------------

// Exit reasons and request errors of the supervision tree (category "aibud_sup").
enum class supervision_error : std::uint8_t {
  // A child's exit reason when it crashed while running a job. The job's attempt is already
  // counted in its row, so the supervisor restarts the child (with backoff) but does not
  // count the crash toward its restart-intensity limit (ARCHITECTURE §2). A child sets it
  // from its exception handler, or quits with it, while it is inside a job.
  crashed_in_job = 1,
  // A supervisor's exit reason when its children crashed more often than its limit allows;
  // its own supervisor sees it as an abnormal exit and restarts it (escalation).
  restart_limit,
  no_such_child,     // lookup / stop of a name the supervisor does not have
  duplicate_child,   // add of a name the supervisor already has
  child_restarting,  // lookup of a child waiting for its backoff to pass
  start_failed,      // the child's factory returned no actor or threw
};

constexpr caf::atom_value supervision_category = caf::atom("aibud_sup");

inline std::string to_string(supervision_error x) {
  switch (x) {
    case supervision_error::crashed_in_job:
      return "crashed_in_job";
    case supervision_error::restart_limit:
      return "restart_limit";
    case supervision_error::no_such_child:
      return "no_such_child";
    case supervision_error::duplicate_child:
      return "duplicate_child";
    case supervision_error::child_restarting:
      return "child_restarting";
    case supervision_error::start_failed:
      return "start_failed";
  }
  return "unknown";
}

inline caf::error make_error(supervision_error x) {
  return caf::error{static_cast<std::uint8_t>(x), supervision_category};
}

// True when `reason` is `code` of the supervision category.
inline bool is(const caf::error& reason, supervision_error code) {
  return reason.category() == supervision_category &&
         reason.code() == static_cast<std::uint8_t>(code);
}

// One actor in the live tree, as its supervisor (and, for nested supervisors and actors with
// children of their own, the actor itself) reports it in reply to `tree_atom`.
struct tree_node {
  std::string name;
  std::string kind;   // "supervisor", "tenant", "instance", "contact", ...
  std::string state;  // "running", "restarting", "unresponsive"
  std::int64_t restarts = 0;
  std::vector<tree_node> children;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tree_node& x) {
  return f(caf::meta::type_name("aibud.tree_node"), x.name, x.kind, x.state, x.restarts,
           x.children);
}

}  // namespace aibud::actors
