// The typed interfaces of the job pipeline's actors (docs/jobs.md "Who runs what") and their
// spawn functions. CAF header: included only by .cpp files in actors/ and runtime/.
//
//   dispatcher ──job──▶ instance:<id> ──job──▶ contact (one per person, activated on demand)
//                                        ◀─idle── (passivated when idle; state is in SQLite)
//   contact ──wait / settle──▶ tenant:<id> ──wake──▶ waiting contacts
//   dispatcher ──online──▶ instance:<id> ──online──▶ its contacts (jobs held for it run now)
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/job_runner.hpp"
#include "actors/job_services.hpp"
#include "actors/messages.hpp"

namespace aibud::actors {

// An effect's answer, posted back so that the runner only ever runs on its contact's thread.
struct resume_fn {
  std::function<void()> fn;
};

// Budget view of one tenant: wakes contacts waiting for credits, logs the 80 %/100 % alerts
// (the runner marks them in subscription_usage and audit_log in the charge's transaction).
using tenant_actor = caf::typed_actor<caf::reacts_to<wait_atom, caf::actor>,
                                      caf::reacts_to<settle_atom, bool, bool>>;

// One person's conversation: runs their jobs one at a time, in id (arrival) order.
using contact_actor =
    caf::typed_actor<caf::reacts_to<job_atom, int64_t, job_hint_ptr>,
                     caf::reacts_to<load_atom, std::vector<int64_t>>,
                     caf::reacts_to<resume_atom, resume_fn>, caf::reacts_to<ran_atom, run_result>,
                     caf::reacts_to<wake_atom>, caf::reacts_to<online_atom>,
                     caf::reacts_to<tick_atom>, caf::reacts_to<stop_atom>>;

// One WhatsApp instance: routes jobs to contacts by JID, activates, restarts and passivates
// them; `online` (the instance is connected again, or changed) wakes every active contact so
// that jobs held for the instance run at once.
using instance_actor =
    caf::typed_actor<caf::reacts_to<job_atom, int64_t, std::vector<std::string>, job_hint_ptr>,
                     caf::reacts_to<idle_atom, uint64_t, uint64_t>,
                     caf::reacts_to<respawn_atom, uint64_t>, caf::reacts_to<online_atom>>;

tenant_actor spawn_tenant(caf::local_actor* parent, int64_t tenant_id);

// `slot` names the contact within its instance; `keys` are the contact keys (JIDs) its
// unfinished jobs are stored under, loaded at start. The contact ends with its instance.
contact_actor spawn_contact(caf::local_actor* parent, std::shared_ptr<job_services> services,
                            caf::actor instance, tenant_actor tenant, int64_t instance_id,
                            uint64_t slot, std::vector<std::string> keys);

// The instance is linked to `parent` (it ends with its dispatcher).
instance_actor spawn_instance(caf::local_actor* parent, std::shared_ptr<job_services> services,
                              tenant_actor tenant, int64_t instance_id);

}  // namespace aibud::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aibud::actors::resume_fn)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aibud::actors::run_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aibud::actors::job_hint_ptr)
