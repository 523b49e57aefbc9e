// The mutations of actor-owned state that the admin API (and the CLI through it) asks for,
// behind one plain interface (ARCHITECTURE §2: each piece of state has one owner). Today
// storage_control.hpp performs them through the storage writer; the actor tree will answer
// the same calls by messaging the owning actors.
//
// Every call names its `actor` ("token:<id>", "cli") and writes one audit_log entry with the
// change, atomically. `done` is called exactly once, from any thread, with the outcome;
// callers must not block in it. Ids are resolved (and tenant scope checked) by the caller.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "adapters/ai/model_router.hpp"
#include "base/error.hpp"
#include "storage/records.hpp"

namespace aibud::runtime {

template <class T>
using reply = std::function<void(result<T>)>;

// One node of the live tree (`aibud actors`, GET /api/v1/actors).
struct actor_entry {
  std::string path;   // "/tenants/tenant:1/instance:shop/contact:5511...@s.whatsapp.net"
  std::string kind;   // supervisor | tenant | instance | contact | dlq | writer | ...
  std::string state;  // running | idle | restarting | stopped
  int64_t mailbox = 0;
  std::optional<int64_t> job;  // the job it is running
  int64_t restarts = 0;
  std::optional<int64_t> last_activity;  // ms UTC
};

struct tenant_update {
  std::optional<std::string> plan;
  std::optional<int64_t> credits_limit;  // the monthly limit, from the current period on
  std::optional<std::string> language;
  ai::model_overrides models;  // the tenant's own fast, strong and fallback models
};

// Which contact a takeover call is for; both ids are resolved by the caller.
struct contact_ref {
  int64_t instance_id = 0;
  std::string instance_name;
  int64_t contact_id = 0;
  std::string jid;  // canonical
  int64_t tenant_id = 0;
};

// A dead letter, or every one (of one tenant when `tenant_id` is set).
struct dlq_target {
  std::optional<int64_t> id;         // none: all
  std::optional<int64_t> tenant_id;  // with `id` none: only this tenant's
};

class control {
 public:
  virtual ~control() = default;

  // Adds credits (> 0) to the tenant's current period. Errors: invalid_argument, not_found.
  virtual void grant(int64_t tenant_id, int64_t credits, std::string actor, reply<unit> done) = 0;
  // Errors: invalid_argument (bad plan, language or negative limit), not_found.
  virtual void update_tenant(int64_t tenant_id, tenant_update changes, std::string actor,
                             reply<unit> done) = 0;

  // Human takeover until `until` (ms UTC, or storage::paused_forever): the contact is
  // handed_off and its earlier status kept. Answers the contact as it now is.
  virtual void pause_contact(contact_ref contact, int64_t until, std::string actor,
                             reply<storage::contact> done) = 0;
  // Ends a pause; a handed_off contact gets back the status it had before.
  virtual void resume_contact(contact_ref contact, std::string actor,
                              reply<storage::contact> done) = 0;

  // Puts dead letters back in the inbox, resuming from their saved steps; answers the job
  // ids requeued. Errors: not_found (one id).
  virtual void replay(dlq_target target, std::string actor, reply<std::vector<int64_t>> done) = 0;
  // Removes dead letters; answers how many. Errors: not_found (one id).
  virtual void purge(dlq_target target, std::string actor, reply<int> done) = 0;

  // Removes an instance with its jobs and contacts. Errors: not_found.
  virtual void delete_instance(std::string name, std::string actor, reply<unit> done) = 0;

  // The live tree, parents before children.
  virtual void actors_tree(reply<std::vector<actor_entry>> done) = 0;
};

}  // namespace aibud::runtime
