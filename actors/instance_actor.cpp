// instance:<id> — routes the jobs of one WhatsApp instance to contact actors (docs/jobs.md).
// A person is named by a phone JID in one message and a LID in the next: a job goes to the
// contact that already owns any of its JIDs (the phone JID's first), so both reach one
// contact actor and run in order; storage merges the rows (contact_resolution.hpp).
//
// Contacts are activated on their first job and passivated when idle. A contact asks to go
// with the count of jobs it received; it is stopped only when that equals the count sent, so
// no job can be in its mailbox when it goes. A crashed contact is restarted after a backoff
// and reloads its unfinished jobs from storage.
#include <algorithm>
#include <map>

#include <caf/all.hpp>

#include "actors/contact_resolution.hpp"
#include "actors/job_actors.hpp"
#include "base/log.hpp"

namespace aibud::actors {
namespace {

struct contact_slot {
  contact_actor actor;  // invalid while a restart is pending
  std::vector<std::string> jids;
  uint64_t sent = 0;  // jobs sent to the current incarnation
  int restarts = 0;
};

struct instance_state {
  std::shared_ptr<job_services> services;
  tenant_actor tenant;
  int64_t instance_id = 0;
  std::map<uint64_t, contact_slot> slots;
  std::map<std::string, uint64_t> by_jid;
  std::map<caf::actor_addr, uint64_t> by_actor;
  uint64_t next_slot = 1;

  static inline const char* name = "aibud.instance";
};

using self_ptr = instance_actor::stateful_pointer<instance_state>;

void activate(self_ptr self, uint64_t id) {
  auto& st = self->state;
  auto& slot = st.slots[id];
  slot.sent = 0;
  slot.actor = spawn_contact(self, st.services, caf::actor_cast<caf::actor>(self), st.tenant,
                             st.instance_id, id, slot.jids);
  self->monitor(slot.actor);
  st.by_actor[slot.actor.address()] = id;
  if (st.services->tree) {
    std::string shown = slot.jids.empty() ? std::string() : slot.jids.front();
    for (const auto& j : slot.jids)
      if (is_phone_jid(j)) {
        shown = j;
        break;
      }
    st.services->tree->contact_started(st.instance_id, id, shown, slot.restarts);
  }
}

uint64_t slot_for(self_ptr self, const std::vector<std::string>& jids) {
  auto& st = self->state;
  std::optional<uint64_t> found;
  for (const auto& j : jids) {
    auto it = st.by_jid.find(j);
    if (it == st.by_jid.end()) continue;
    if (!found || is_phone_jid(j)) found = it->second;
  }
  const uint64_t id = found.value_or(st.next_slot);
  if (!found) ++st.next_slot;
  auto& slot = st.slots[id];
  for (const auto& j : jids) {
    // A JID that named another contact now names this one (a merge).
    st.by_jid[j] = id;
    if (std::find(slot.jids.begin(), slot.jids.end(), j) == slot.jids.end()) slot.jids.push_back(j);
  }
  return id;
}

void route(self_ptr self, int64_t job_id, const std::vector<std::string>& jids,
           const job_hint_ptr& hint) {
  auto& st = self->state;
  // A job naming nobody (only the owner's own JID) still runs, to its DLQ entry; its
  // contact key is "".
  const uint64_t id = slot_for(self, jids.empty() ? std::vector<std::string>{""} : jids);
  auto& slot = st.slots[id];
  if (!slot.actor) {
    if (slot.restarts > 0) return;  // restarting: the new incarnation loads it from storage
    activate(self, id);             // loads this job from storage too
    if (!hint) return;              // the nudge only brings the intake's parse along
  }
  ++slot.sent;
  self->send(slot.actor, job_atom::value, job_id, hint);
}

void passivate(self_ptr self, uint64_t id, uint64_t received) {
  auto& st = self->state;
  auto it = st.slots.find(id);
  if (it == st.slots.end() || !it->second.actor || it->second.sent != received) return;
  self->send(it->second.actor, stop_atom::value);  // it leaves the live tree when it has ended
  st.by_actor.erase(it->second.actor.address());
  for (const auto& j : it->second.jids) {
    auto m = st.by_jid.find(j);
    if (m != st.by_jid.end() && m->second == id) st.by_jid.erase(m);
  }
  st.slots.erase(it);
}

void on_down(self_ptr self, const caf::down_msg& down) {
  auto& st = self->state;
  auto it = st.by_actor.find(down.source);
  if (it == st.by_actor.end()) return;  // passivated
  const uint64_t id = it->second;
  st.by_actor.erase(it);
  auto& slot = st.slots[id];
  slot.actor = nullptr;
  if (!down.reason) {
    st.slots.erase(id);  // it left the live tree as it ended
    return;
  }
  ++slot.restarts;
  if (st.services->tree) st.services->tree->contact_restarting(st.instance_id, id, slot.restarts);
  const int n = std::min(slot.restarts, 8);
  const auto base = st.services->settings.retry_base;
  const auto delay = std::min(base * (1 << (n - 1)), std::chrono::milliseconds(30000));
  log::warn("contact crashed; restarting", {{"instance", st.instance_id},
                                            {"reason", self->system().render(down.reason)},
                                            {"in_ms", delay.count()}});
  self->delayed_send(self, delay, respawn_atom::value, id);
}

// Contacts waiting for their restart are not woken: they reload their jobs, and a job held
// for an instance that is no longer unauthorized runs when loaded (job_runner.hpp).
void wake_contacts(self_ptr self) {
  for (const auto& [id, slot] : self->state.slots)
    if (slot.actor) self->send(slot.actor, online_atom::value);
}

void respawn(self_ptr self, uint64_t id) {
  auto it = self->state.slots.find(id);
  if (it == self->state.slots.end() || it->second.actor) return;
  activate(self, id);
}

instance_actor::behavior_type instance_behavior(self_ptr self,
                                                std::shared_ptr<job_services> services,
                                                tenant_actor tenant, int64_t instance_id) {
  self->state.services = std::move(services);
  self->state.tenant = std::move(tenant);
  self->state.instance_id = instance_id;
  if (auto& tree = self->state.services->tree) {
    tree->instance_started(instance_id);
    // The snapshot must not keep contacts of an instance that ended (with its dispatcher).
    self->attach_functor([tree, instance_id] { tree->instance_stopped(instance_id); });
  }
  self->set_down_handler([self](caf::down_msg& down) { on_down(self, down); });
  return {
      [self](job_atom, int64_t job, const std::vector<std::string>& jids,
             const job_hint_ptr& hint) { route(self, job, jids, hint); },
      [self](idle_atom, uint64_t slot, uint64_t received) { passivate(self, slot, received); },
      [self](respawn_atom, uint64_t slot) { respawn(self, slot); },
      [self](online_atom) { wake_contacts(self); },
  };
}

}  // namespace

instance_actor spawn_instance(caf::local_actor* parent, std::shared_ptr<job_services> services,
                              tenant_actor tenant, int64_t instance_id) {
  return parent->spawn<caf::linked>(instance_behavior, std::move(services), std::move(tenant),
                                    instance_id);
}

}  // namespace aibud::actors
