// runtime::control performed through the storage writer: each call is one write (the change
// and its audit entry, runtime/mutations.hpp) answered after it committed. It stands in for
// the actor tree until the actors own this state; `actors_tree` then lists only the
// server's own parts.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "runtime/control.hpp"

namespace aibud::storage {
class writer;
}

namespace aibud::runtime {

class storage_control : public control {
 public:
  // Told the name of each instance deleted, after its commit (e.g. to drop a cache).
  using deleted_fn = std::function<void(const std::string& name)>;

  // Told the ids of the jobs a replay put back in the inbox, after its commit: the jobs
  // only run once the dispatcher hears of them.
  using replayed_fn = std::function<void(const std::vector<int64_t>& jobs)>;

  // REQUIRES: `writer` outlives this object.
  explicit storage_control(storage::writer& writer, deleted_fn on_deleted = nullptr,
                           replayed_fn on_replayed = nullptr);

  void grant(int64_t tenant_id, int64_t credits, std::string actor, reply<unit> done) override;
  void update_tenant(int64_t tenant_id, tenant_update changes, std::string actor,
                     reply<unit> done) override;
  void pause_contact(contact_ref contact, int64_t until, std::string actor,
                     reply<storage::contact> done) override;
  void resume_contact(contact_ref contact, std::string actor,
                      reply<storage::contact> done) override;
  void replay(dlq_target target, std::string actor, reply<std::vector<int64_t>> done) override;
  void purge(dlq_target target, std::string actor, reply<int> done) override;
  void delete_instance(std::string name, std::string actor, reply<unit> done) override;
  // Answered from `source` once set (the job system's live tree); otherwise only the
  // storage writer is listed.
  using tree_fn = std::function<std::vector<actor_entry>()>;
  void show_tree(tree_fn source) { tree_ = std::move(source); }
  void actors_tree(reply<std::vector<actor_entry>> done) override;

 private:
  // Submits `change` (returning result<T>) and answers `done` after the commit; a full
  // queue answers unavailable at once.
  template <class T, class Change>
  void submit(Change change, reply<T> done);

  storage::writer& writer_;
  deleted_fn on_deleted_;
  replayed_fn on_replayed_;
  tree_fn tree_;
};

}  // namespace aibud::runtime
