// tenant:<id> — the budget view of one tenant (docs/jobs.md). The ledger itself is enforced
// in the storage writer's transactions; this actor wakes the contacts that wait for other
// reservations to settle, and reports the 80 %/100 % alerts the runner marked.
#include <set>

#include <caf/all.hpp>

#include "actors/job_actors.hpp"
#include "base/log.hpp"

namespace aibud::actors {
namespace {

struct tenant_state {
  int64_t tenant_id = 0;
  std::set<caf::actor> waiters;

  static inline const char* name = "aibud.tenant";
};

using self_ptr = tenant_actor::stateful_pointer<tenant_state>;

void on_settled(self_ptr self, bool alert_80, bool alert_100) {
  auto& st = self->state;
  if (alert_80) log::warn("tenant used 80% of its credits", {{"tenant", st.tenant_id}});
  if (alert_100) log::warn("tenant used all its credits", {{"tenant", st.tenant_id}});
  // Credits moved: every waiter tries again (they reserve in the writer, one at a time).
  for (const auto& w : st.waiters) self->send(caf::actor_cast<contact_actor>(w), wake_atom::value);
  st.waiters.clear();
}

tenant_actor::behavior_type tenant_behavior(self_ptr self, int64_t tenant_id) {
  self->state.tenant_id = tenant_id;
  return {
      [self](wait_atom, const caf::actor& waiter) { self->state.waiters.insert(waiter); },
      [self](settle_atom, bool alert_80, bool alert_100) { on_settled(self, alert_80, alert_100); },
  };
}

}  // namespace

tenant_actor spawn_tenant(caf::local_actor* parent, int64_t tenant_id) {
  return parent->spawn<caf::linked>(tenant_behavior, tenant_id);
}

}  // namespace aibud::actors
