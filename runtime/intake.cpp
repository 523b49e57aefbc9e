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

storage::new_job job_of(int64_t instance_id, const evolution::event& e) {
  const evolution::message& m = *e.as_message();
  storage::new_job job;
  job.instance_id = instance_id;
  job.wa_message_id = m.key.id;
  job.event = e.name;
  job.contact_key = m.contact.canonical();
  job.sender_jids = nlohmann::json(m.contact.jids).dump();
  job.payload = e.stored_payload;
  if (m.timestamp) job.message_ts = *m.timestamp * 1000;
  return job;
}

// Inside the writer's transaction: what the event becomes.
status store(storage::write_context& w, int64_t instance_id, const evolution::event& e,
             http::commit_result& out) {
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
  auto id = w.jobs().insert(job_of(instance_id, e));
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
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = cache_.find(name);
    if (it != cache_.end() && it->second.expires > std::chrono::steady_clock::now())
      hit = it->second.instance;
  }
  if (hit) return done(http::lookup_result{outcome::found, *hit});  // outside the lock

  auto answer = std::make_shared<http::lookup_result>();
  bool queued = writer_.try_submit(
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
        if (answer->status == outcome::found) {
          std::lock_guard<std::mutex> lock(mutex_);
          cache_[name] = {answer->instance, std::chrono::steady_clock::now() + cache_ttl_};
        }
        done(*answer);
      });
  if (!queued) done(http::lookup_result{outcome::overloaded, {}});
}

void intake::forget(const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);
  cache_.erase(name);
}

void intake::commit(int64_t instance_id, evolution::event event,
                    std::function<void(http::commit_result)> done) {
  auto out = std::make_shared<http::commit_result>();
  auto shared_event = std::make_shared<evolution::event>(std::move(event));
  bool queued = writer_.try_submit(
      [instance_id, shared_event, out](storage::write_context& w) {
        return store(w, instance_id, *shared_event, *out);
      },
      [this, out, done](const status& s) {
        if (!s) {
          log::error("webhook commit failed", {{"error", s.err().message}});
          out->status = commit_outcome::unavailable;
        } else if (out->job_id != 0 && on_committed_) {
          on_committed_(out->job_id);
        }
        done(*out);
      });
  if (!queued) done(http::commit_result{commit_outcome::overloaded, 0});
}

}  // namespace aibud::runtime
