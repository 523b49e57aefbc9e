// The live job tree (docs/jobs.md; `aibud actors`, GET /api/v1/actors): a snapshot that the
// tenant, instance and contact actors keep current as they start, run jobs, restart and are
// passivated, so that reading it never waits on a busy actor. CAF-free; thread-safe.
//
//   tree.describe_instance(7, 1, "main");         // who owns instance 7, and its name
//   tree.contact_started(7, slot, jid, restarts);
//   tree.contact_running(7, slot, job_id, queued);  // job none: idle
//   tree.snapshot();  // /tenants/tenant:1, /tenants/tenant:1/instance:main, .../contact:<jid>
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace aibud::actors {

struct live_node {
  std::string path;
  std::string kind;   // tenant | instance | contact
  std::string state;  // running | idle | restarting
  int64_t mailbox = 0;
  std::optional<int64_t> job;
  int64_t restarts = 0;
  int64_t last_activity = 0;  // ms UTC
};

class live_tree {
 public:
  // Names an instance's node; until described it shows as instance:<id> under tenant:0.
  void describe_instance(int64_t instance_id, int64_t tenant_id, std::string name);

  void tenant_started(int64_t tenant_id);
  void instance_started(int64_t instance_id);
  void instance_stopped(int64_t instance_id);  // with its contacts
  void contact_started(int64_t instance_id, uint64_t slot, std::string jid, int64_t restarts);
  void contact_restarting(int64_t instance_id, uint64_t slot, int64_t restarts);
  void contact_stopped(int64_t instance_id, uint64_t slot);  // passivated or gone
  void contact_running(int64_t instance_id, uint64_t slot, std::optional<int64_t> job,
                       int64_t queued);

  // Every node, parents before children (sorted by path).
  std::vector<live_node> snapshot() const;
  // Contact actors alive (running, idle or restarting): the aibud_contact_actors_active gauge.
  int64_t active_contacts() const;

 private:
  struct contact {
    std::string jid;
    std::string state = "idle";
    std::optional<int64_t> job;
    int64_t queued = 0;
    int64_t restarts = 0;
    int64_t last_activity = 0;
  };
  struct instance {
    int64_t tenant_id = 0;
    std::string name;
    bool live = false;
    int64_t last_activity = 0;
  };
  using contact_key = std::pair<int64_t, uint64_t>;  // instance id, slot

  std::string instance_path(int64_t instance_id) const;  // REQUIRES: mutex_ held

  mutable std::mutex mutex_;
  std::map<int64_t, int64_t> tenants_;  // tenant id → last activity
  std::map<int64_t, instance> instances_;
  std::map<contact_key, contact> contacts_;
};

}  // namespace aibud::actors
