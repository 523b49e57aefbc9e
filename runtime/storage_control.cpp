#include "runtime/storage_control.hpp"

#include <memory>

#include "base/time.hpp"
#include "runtime/mutations.hpp"
#include "storage/writer.hpp"

namespace aibud::runtime {

storage_control::storage_control(storage::writer& writer, deleted_fn on_deleted,
                                 replayed_fn on_replayed)
    : writer_(writer), on_deleted_(std::move(on_deleted)), on_replayed_(std::move(on_replayed)) {}

template <class T, class Change>
void storage_control::submit(Change change, reply<T> done) {
  // The value is computed inside the write but may be reported only once COMMIT returned.
  auto value = std::make_shared<std::optional<result<T>>>();
  auto write = [change = std::move(change), value](storage::write_context& w) -> status {
    value->emplace(change(w));
    if (!**value) return (**value).err();
    return ok_status();
  };
  auto committed = [value, done](const status& s) {
    if (!s) return done(s.err());
    done(std::move(**value));
  };
  if (!writer_.try_submit(std::move(write), std::move(committed)))
    done(make_error(errc::unavailable, "the storage writer is busy: try again"));
}

void storage_control::grant(int64_t tenant_id, int64_t credits, std::string actor,
                            reply<unit> done) {
  submit<unit>(
      [=](storage::write_context& w) { return mutations::grant(w, tenant_id, credits, actor); },
      std::move(done));
}

void storage_control::update_tenant(int64_t tenant_id, tenant_update changes, std::string actor,
                                    reply<unit> done) {
  submit<unit>(
      [=](storage::write_context& w) {
        return mutations::update_tenant(w, tenant_id, changes, actor);
      },
      std::move(done));
}

void storage_control::pause_contact(contact_ref contact, int64_t until, std::string actor,
                                    reply<storage::contact> done) {
  submit<storage::contact>(
      [=](storage::write_context& w) { return mutations::pause_contact(w, contact, until, actor); },
      std::move(done));
}

void storage_control::resume_contact(contact_ref contact, std::string actor,
                                     reply<storage::contact> done) {
  submit<storage::contact>(
      [=](storage::write_context& w) { return mutations::resume_contact(w, contact, actor); },
      std::move(done));
}

void storage_control::replay(dlq_target target, std::string actor,
                             reply<std::vector<int64_t>> done) {
  replayed_fn on_replayed = on_replayed_;
  submit<std::vector<int64_t>>(
      [=](storage::write_context& w) { return mutations::replay(w, target, actor); },
      reply<std::vector<int64_t>>([on_replayed, done](result<std::vector<int64_t>> r) {
        if (r && on_replayed) on_replayed(*r);
        done(std::move(r));
      }));
}

void storage_control::purge(dlq_target target, std::string actor, reply<int> done) {
  submit<int>([=](storage::write_context& w) { return mutations::purge(w, target, actor); },
              std::move(done));
}

void storage_control::delete_instance(std::string name, std::string actor, reply<unit> done) {
  deleted_fn on_deleted = on_deleted_;
  submit<unit>(
      [=](storage::write_context& w) { return mutations::delete_instance(w, name, actor); },
      reply<unit>([on_deleted, name, done](result<unit> r) {
        if (r && on_deleted) on_deleted(name);
        done(std::move(r));
      }));
}

void storage_control::actors_tree(reply<std::vector<actor_entry>> done) {
  if (tree_) return done(tree_());
  actor_entry writer;
  writer.path = "/storage-writer";
  writer.kind = "writer";
  writer.state = "running";
  writer.last_activity = time::now_ms();
  done(std::vector<actor_entry>{writer});
}

}  // namespace aibud::runtime
