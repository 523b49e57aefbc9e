#include "runtime/intake.hpp"

#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "base/log.hpp"
#include "storage/instances_repo.hpp"
#include "storage/jobs_repo.hpp"
#include "storage/sent_messages_repo.hpp"
#include "storage/writer.hpp"

namespace aibud::runtime {
namespace {

using commit_outcome = http::commit_result::outcome;

// Built on the HTTP thread, before the write is queued, so that the writer thread (whose
// time bounds the intake's rate) only binds and inserts. Takes the payload from the event.
storage::new_job job_of(int64_t instance_id, evolution::event& e) {
  const evolution::message& m = *e.as_message();
  storage::new_job job;
  job.instance_id = instance_id;
  job.wa_message_id = m.key.id;
  job.event = e.name;
  job.contact_key = m.contact.canonical();
  job.sender_jids = nlohmann::json(m.contact.jids).dump();
  job.payload = std::move(e.stored_payload);
  if (m.timestamp) job.message_ts = *m.timestamp * 1000;
  return job;
}

// One event on its way through the writer: shared by the write and its callback.
struct pending_commit {
  evolution::event event;
  std::optional<storage::new_job> job;  // for a message
  http::commit_result out;
};

// Inside the writer's transaction: what the event becomes.
status store(storage::write_context& w, int64_t instance_id, pending_commit& p) {
  const evolution::event& e = p.event;
  http::commit_result& out = p.out;
  if (const auto* c = e.as_connection()) {
    auto instance = w.instances().get(instance_id);
    if (!instance) return instance.err();
    out.status = commit_outcome::accepted;
    if (auto s = w.instances().update_state(instance->name, c->state); !s) return s;
    if (!c->owner_jid.empty()) return w.instances().set_owner_jid(instance_id, c->owner_jid);
    return ok_status();
  }
  if (const auto* q = e.as_qrcode()) {
    auto instance = w.instances().get(instance_id);
    if (!instance) return instance.err();
    out.status = commit_outcome::accepted;
    std::optional<std::string> qr, pairing;
    if (!q->code.empty()) qr = q->code;
    if (!q->pairing_code.empty()) pairing = q->pairing_code;
    return w.instances().update_state(instance->name, q->limit_reached ? "close" : "connecting", qr,
                                      pairing);
  }
  if (e.kind == evolution::event_kind::business_message) {
    // A fromMe message whose id we sent is our own reply echoed back, not the business typing.
    auto ours = w.sent_messages().contains(instance_id, std::string(e.message_id()));
    if (!ours) return ours.err();
    if (*ours) {
      out.status = commit_outcome::own_send;
      return ok_status();
    }
  }
  if (!p.job) return make_error(errc::internal, "message event without its job");
  auto id = w.jobs().insert(*p.job);
  if (!id) {
    if (id.err().code != errc::conflict) return id.err();
    out.status = commit_outcome::duplicate;
    return ok_status();
  }
  out.status = commit_outcome::accepted;
  out.job_id = *id;
  return ok_status();
}

}  // namespace

intake::intake(storage::writer& writer, const secrets::sealer& sealer,
               std::chrono::milliseconds cache_ttl)
    : writer_(writer), sealer_(sealer), cache_ttl_(cache_ttl) {}

void intake::lookup(const std::string& name, std::function<void(http::lookup_result)> done) {
  using outcome = http::lookup_result::outcome;
  std::optional<http::webhook_instance> hit;
  bool refresh = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = cache_.find(name);
    if (it != cache_.end()) {
      hit = it->second.instance;
      if (it->second.expires <= std::chrono::steady_clock::now() && !it->second.refreshing) {
        it->second.refreshing = true;
        refresh = true;
      }
    }
  }
  if (hit) {
    // A refresh the writer refuses (overloaded) is retried by a later lookup.
    if (refresh && !read_instance(name, [](http::lookup_result) {})) {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = cache_.find(name);
      if (it != cache_.end()) it->second.refreshing = false;
    }
    return done(http::lookup_result{outcome::found, *hit});  // outside the lock
  }
  if (!read_instance(name, done)) done(http::lookup_result{outcome::overloaded, {}});
}

bool intake::read_instance(const std::string& name, std::function<void(http::lookup_result)> done) {
  using outcome = http::lookup_result::outcome;
  auto answer = std::make_shared<http::lookup_result>();
  return writer_.try_submit(
      [this, name, answer](storage::write_context& w) -> status {
        auto row = w.instances().find_by_name(name);
        if (!row) {
          answer->status =
              row.err().code == errc::not_found ? outcome::not_found : outcome::unavailable;
          return ok_status();
        }
        auto secret = sealer_.open(row->webhook_secret, "instance " + name + ": webhook_secret");
        if (!secret) {
          log::error("webhook secret unreadable", {{"instance", name}});
          answer->status = outcome::unavailable;
          return ok_status();
        }
        answer->status = outcome::found;
        answer->instance = {row->id, row->tenant_id, row->name, *secret};
        return ok_status();
      },
      [this, name, answer, done](const status& s) {
        if (!s) answer->status = outcome::unavailable;
        {
          std::lock_guard<std::mutex> lock(mutex_);
          if (answer->status == outcome::found) {
            cache_[name] = {answer->instance, std::chrono::steady_clock::now() + cache_ttl_};
          } else if (answer->status == outcome::not_found) {
            cache_.erase(name);
          } else if (auto it = cache_.find(name); it != cache_.end()) {
            it->second.refreshing = false;  // kept as it was; a later lookup tries again
          }
        }
        done(*answer);
      },
      storage::lane::ack);
}

void intake::forget(const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);
  cache_.erase(name);
}

void intake::commit(int64_t instance_id, evolution::event event,
                    std::function<void(http::commit_result)> done) {
  auto p = std::make_shared<pending_commit>();
  p->event = std::move(event);
  if (p->event.as_message()) p->job = job_of(instance_id, p->event);
  bool queued = writer_.try_submit(
      [instance_id, p](storage::write_context& w) { return store(w, instance_id, *p); },
      [this, instance_id, p, done](const status& s) {
        if (!s) {
          log::error("webhook commit failed", {{"error", s.err().message}});
          p->out.status = commit_outcome::unavailable;
        } else if (p->out.job_id != 0 && on_committed_) {
          on_committed_(p->out.job_id, instance_id, p->event);
        } else if (const auto* c = p->event.as_connection(); c && on_connection_) {
          on_connection_(instance_id, c->state);
        }
        done(p->out);
      },
      storage::lane::ack);
  if (!queued) done(http::commit_result{commit_outcome::overloaded, 0});
}

}  // namespace aibud::runtime
