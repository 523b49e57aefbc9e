#include "actors/live_tree.hpp"

#include <algorithm>

#include "base/time.hpp"

namespace aibud::actors {

void live_tree::describe_instance(int64_t instance_id, int64_t tenant_id, std::string name) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& i = instances_[instance_id];
  i.tenant_id = tenant_id;
  i.name = std::move(name);
}

void live_tree::tenant_started(int64_t tenant_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  tenants_[tenant_id] = time::now_ms();
}

void live_tree::instance_started(int64_t instance_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& i = instances_[instance_id];
  i.live = true;
  i.last_activity = time::now_ms();
}

void live_tree::instance_stopped(int64_t instance_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = instances_.find(instance_id);
  if (it != instances_.end()) it->second.live = false;
  contacts_.erase(contacts_.lower_bound({instance_id, 0}),
                  contacts_.lower_bound({instance_id + 1, 0}));
}

void live_tree::contact_started(int64_t instance_id, uint64_t slot, std::string jid,
                                int64_t restarts) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& c = contacts_[{instance_id, slot}];
  c.jid = std::move(jid);
  c.state = "idle";
  c.job.reset();
  c.restarts = restarts;
  c.last_activity = time::now_ms();
}

void live_tree::contact_restarting(int64_t instance_id, uint64_t slot, int64_t restarts) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = contacts_.find({instance_id, slot});
  if (it == contacts_.end()) return;
  it->second.state = "restarting";
  it->second.job.reset();
  it->second.restarts = restarts;
}

void live_tree::contact_stopped(int64_t instance_id, uint64_t slot) {
  std::lock_guard<std::mutex> lock(mutex_);
  contacts_.erase({instance_id, slot});
}

void live_tree::contact_running(int64_t instance_id, uint64_t slot, std::optional<int64_t> job,
                                int64_t queued) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = contacts_.find({instance_id, slot});
  if (it == contacts_.end()) return;  // passivated meanwhile
  it->second.state = job ? "running" : "idle";
  it->second.job = job;
  it->second.queued = queued;
  it->second.last_activity = time::now_ms();
}

std::string live_tree::instance_path(int64_t instance_id) const {
  auto it = instances_.find(instance_id);
  const int64_t tenant = it == instances_.end() ? 0 : it->second.tenant_id;
  const std::string name = it == instances_.end() || it->second.name.empty()
                               ? std::to_string(instance_id)
                               : it->second.name;
  return "/tenants/tenant:" + std::to_string(tenant) + "/instance:" + name;
}

std::vector<live_node> live_tree::snapshot() const {
  std::vector<live_node> out;
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [id, at] : tenants_) {
    live_node n;
    n.path = "/tenants/tenant:" + std::to_string(id);
    n.kind = "tenant";
    n.state = "running";
    n.last_activity = at;
    out.push_back(std::move(n));
  }
  for (const auto& [id, i] : instances_) {
    if (!i.live) continue;
    live_node n;
    n.path = instance_path(id);
    n.kind = "instance";
    n.state = "running";
    n.last_activity = i.last_activity;
    out.push_back(std::move(n));
  }
  for (const auto& [key, c] : contacts_) {
    live_node n;
    n.path = instance_path(key.first) + "/contact:" + c.jid;
    n.kind = "contact";
    n.state = c.state;
    n.mailbox = c.queued;
    n.job = c.job;
    n.restarts = c.restarts;
    n.last_activity = c.last_activity;
    out.push_back(std::move(n));
  }
  std::sort(out.begin(), out.end(),
            [](const live_node& a, const live_node& b) { return a.path < b.path; });
  return out;
}

int64_t live_tree::active_contacts() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int64_t>(contacts_.size());
}

}  // namespace aibud::actors
