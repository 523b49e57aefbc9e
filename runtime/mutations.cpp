#include "runtime/mutations.hpp"

#include <SQLiteCpp/Database.h>

#include <nlohmann/json.hpp>

#include "base/time.hpp"
#include "storage/audit_repo.hpp"
#include "storage/contacts_repo.hpp"
#include "storage/failed_jobs_repo.hpp"
#include "storage/instances_repo.hpp"
#include "storage/tenants_repo.hpp"
#include "storage/usage_repo.hpp"
#include "storage/writer.hpp"

namespace aibud::runtime::mutations {
namespace {

using json = nlohmann::ordered_json;

// Runs `change` in a savepoint that is released only when it succeeds: a change and its
// audit entry commit together, inside the writer's batch or the CLI's transaction alike.
template <class T, class Change>
result<T> atomically(storage::write_context& w, Change change) {
  try {
    w.db().exec("SAVEPOINT admin_change");
    result<T> r = change();
    if (r) {
      w.db().exec("RELEASE admin_change");
    } else {
      w.db().exec("ROLLBACK TO admin_change");
      w.db().exec("RELEASE admin_change");
    }
    return r;
  } catch (const std::exception& e) {
    w.db().tryExec("ROLLBACK TO admin_change");
    w.db().tryExec("RELEASE admin_change");
    return make_error(errc::unavailable, std::string("database: ") + e.what());
  }
}

status audit(storage::write_context& w, const std::string& actor, const std::string& action,
             const std::string& target, std::optional<int64_t> tenant_id, const json& details) {
  auto id = w.audit().append(actor, action, target, tenant_id, details.dump());
  if (!id) return id.err();
  return ok_status();
}

// Whether a dead letter belongs to `tenant_id`, by its instance.
result<bool> in_tenant(storage::write_context& w, const storage::dead_letter& d,
                       std::optional<int64_t> tenant_id) {
  if (!tenant_id) return true;
  auto i = w.instances().get(d.instance_id);
  if (!i) return i.err().code == errc::not_found ? result<bool>(false) : result<bool>(i.err());
  return i->tenant_id == *tenant_id;
}

// Every dead letter the target names, ascending id.
result<std::vector<storage::dead_letter>> targets(storage::write_context& w,
                                                  const dlq_target& target) {
  std::vector<storage::dead_letter> out;
  if (target.id) {
    auto d = w.failed_jobs().get(*target.id);
    if (!d) return d.err();
    out.push_back(std::move(*d));
    return out;
  }
  int64_t after = 0;
  for (;;) {
    auto page = w.failed_jobs().list(500, after);
    if (!page) return page.err();
    if (page->empty()) return out;
    after = page->back().id;
    for (auto& d : *page) {
      auto keep = in_tenant(w, d, target.tenant_id);
      if (!keep) return keep.err();
      if (*keep) out.push_back(std::move(d));
    }
  }
}

std::string dlq_name(const dlq_target& target) {
  return target.id ? std::to_string(*target.id) : std::string("all");
}

}  // namespace

status grant(storage::write_context& w, int64_t tenant_id, int64_t credits,
             const std::string& actor) {
  return atomically<unit>(w, [&]() -> status {
    auto t = w.tenants().get(tenant_id);
    if (!t) return t.err();
    auto u = w.usage().grant(tenant_id, credits, time::now_ms());
    if (!u) return u.err();
    return audit(w, actor, "tenant.grant", t->name, t->id, {{"credits", credits}});
  });
}

status update_tenant(storage::write_context& w, int64_t tenant_id, const tenant_update& changes,
                     const std::string& actor) {
  return atomically<unit>(w, [&]() -> status {
    auto t = w.tenants().get(tenant_id);
    if (!t) return t.err();
    json details = json::object();
    if (changes.plan) details["plan"] = *changes.plan;
    if (changes.credits_limit) details["credits_limit"] = *changes.credits_limit;
    if (changes.language) details["language"] = *changes.language;
    std::optional<std::string> settings;
    if (!changes.models.empty()) {
      auto merged = ai::with_models(t->settings, changes.models);
      if (!merged) return merged.err();
      settings = *merged;
      details["settings"] = json::parse(*merged);
    }
    auto updated =
        w.tenants().update(tenant_id, {changes.plan, std::nullopt, changes.language, settings});
    if (!updated) return updated.err();
    if (changes.credits_limit) {
      auto u = w.usage().set_limit_from_current(tenant_id, *changes.credits_limit, time::now_ms());
      if (!u) return u.err();
    }
    return audit(w, actor, "tenant.update", t->name, t->id, details);
  });
}

result<storage::contact> pause_contact(storage::write_context& w, const contact_ref& contact,
                                       int64_t until, const std::string& actor) {
  return atomically<storage::contact>(w, [&]() -> result<storage::contact> {
    auto c = w.contacts().get(contact.contact_id);
    if (!c) return c.err();
    // A second pause only moves the end: the status before the first one is what resume
    // must give back.
    if (c->status != "handed_off") {
      c->status_before_handoff = c->status;
      c->status = "handed_off";
    }
    c->paused_until = until;
    if (auto s = w.contacts().save(*c); !s) return s.err();
    json details = {{"instance", contact.instance_name},
                    {"until", until == storage::paused_forever ? json("resumed")
                                                               : json(time::to_iso8601(until))}};
    if (auto s = audit(w, actor, "contact.pause", c->jid, contact.tenant_id, details); !s)
      return s.err();
    return w.contacts().get(c->id);
  });
}

result<storage::contact> resume_contact(storage::write_context& w, const contact_ref& contact,
                                        const std::string& actor) {
  return atomically<storage::contact>(w, [&]() -> result<storage::contact> {
    auto c = w.contacts().get(contact.contact_id);
    if (!c) return c.err();
    c->paused_until.reset();
    if (c->status == "handed_off" && c->status_before_handoff)
      c->status = *c->status_before_handoff;
    if (c->status != "handed_off") c->status_before_handoff.reset();
    if (auto s = w.contacts().save(*c); !s) return s.err();
    json details = {{"instance", contact.instance_name}, {"status", c->status}};
    if (auto s = audit(w, actor, "contact.resume", c->jid, contact.tenant_id, details); !s)
      return s.err();
    return w.contacts().get(c->id);
  });
}

result<std::vector<int64_t>> replay(storage::write_context& w, const dlq_target& target,
                                    const std::string& actor) {
  return atomically<std::vector<int64_t>>(w, [&]() -> result<std::vector<int64_t>> {
    auto entries = targets(w, target);
    if (!entries) return entries.err();
    std::vector<int64_t> jobs;
    for (const auto& d : *entries) {
      auto job = w.failed_jobs().replay(d.id);
      if (!job) return job.err();
      jobs.push_back(*job);
    }
    json details = {{"jobs", jobs}};
    if (auto s = audit(w, actor, "dlq.replay", dlq_name(target), target.tenant_id, details); !s)
      return s.err();
    return jobs;
  });
}

result<int> purge(storage::write_context& w, const dlq_target& target, const std::string& actor) {
  return atomically<int>(w, [&]() -> result<int> {
    auto entries = targets(w, target);
    if (!entries) return entries.err();
    for (const auto& d : *entries)
      if (auto s = w.failed_jobs().purge(d.id); !s) return s.err();
    int count = static_cast<int>(entries->size());
    json details = {{"purged", count}};
    if (auto s = audit(w, actor, "dlq.purge", dlq_name(target), target.tenant_id, details); !s)
      return s.err();
    return count;
  });
}

status delete_instance(storage::write_context& w, const std::string& name,
                       const std::string& actor) {
  return atomically<unit>(w, [&]() -> status {
    auto i = w.instances().find_by_name(name);
    if (!i) return i.err();
    if (auto s = w.instances().remove(name); !s) return s;
    return audit(w, actor, "instance.delete", name, i->tenant_id, json::object());
  });
}

}  // namespace aibud::runtime::mutations
