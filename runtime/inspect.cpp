#include "runtime/inspect.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "base/time.hpp"
#include "storage/contacts_repo.hpp"
#include "storage/failed_jobs_repo.hpp"
#include "storage/instances_repo.hpp"
#include "storage/jobs_repo.hpp"
#include "storage/reader.hpp"
#include "storage/usage_repo.hpp"

namespace aibud::runtime::inspect {

result<storage::usage> current_usage(storage::read_context& r, const storage::tenant& t) {
  auto period = time::billing_period(t.anchor_day, time::now_ms());
  auto history = r.usage().history(t.id);
  if (!history) return history.err();
  for (const auto& u : *history)
    if (u.period_start == period.start_ms) return u;
  storage::usage fresh;
  fresh.tenant_id = t.id;
  fresh.period_start = period.start_ms;
  fresh.period_end = period.end_ms;
  fresh.credits_limit = t.credits_limit;
  return fresh;
}

result<jobs_page> jobs(storage::read_context& r, const jobs_query& q) {
  if (q.status && !storage::is_job_status(*q.status))
    return make_error(errc::invalid_argument, "unknown job status '" + *q.status + "'");
  if (q.limit < 1 || q.limit > 1000)
    return make_error(errc::invalid_argument, "limit must be 1-1000");
  std::optional<std::set<int64_t>> allowed;
  if (q.tenant_id) {
    auto mine = r.instances().list(*q.tenant_id);
    if (!mine) return mine.err();
    allowed.emplace();
    for (const auto& i : *mine) allowed->insert(i.id);
  }
  // One row past the limit says whether another page exists.
  std::size_t wanted = static_cast<std::size_t>(q.limit) + 1;
  jobs_page page;
  storage::job_filter filter{q.status, q.instance_id, q.limit + 1, q.after};
  for (;;) {
    auto chunk = r.jobs().list(filter);
    if (!chunk) return chunk.err();
    int64_t last_seen = chunk->empty() ? filter.after_id : chunk->back().id;
    for (auto& j : *chunk) {
      if (allowed && !allowed->count(j.instance_id)) continue;
      page.items.push_back(std::move(j));
      if (page.items.size() == wanted) break;
    }
    if (page.items.size() == wanted || chunk->size() < static_cast<std::size_t>(filter.limit))
      break;
    filter.after_id = last_seen;
  }
  if (page.items.size() == wanted) {
    page.items.pop_back();
    page.next_after = page.items.back().id;
  }
  return page;
}

result<std::vector<storage::dead_letter>> dead_letters(storage::read_context& r,
                                                       std::optional<int64_t> tenant_id) {
  std::optional<std::set<int64_t>> allowed;
  if (tenant_id) {
    auto mine = r.instances().list(*tenant_id);
    if (!mine) return mine.err();
    allowed.emplace();
    for (const auto& i : *mine) allowed->insert(i.id);
  }
  std::vector<storage::dead_letter> out;
  int64_t after = 0;
  for (;;) {
    auto page = r.failed_jobs().list(500, after);
    if (!page) return page.err();
    if (page->empty()) return out;
    after = page->back().id;
    for (auto& d : *page)
      if (!allowed || allowed->count(d.instance_id)) out.push_back(std::move(d));
  }
}

result<int64_t> tenant_of_instance(storage::read_context& r, int64_t instance_id) {
  auto i = r.instances().get(instance_id);
  if (!i) return i.err();
  return i->tenant_id;
}

result<std::string> normalize_jid(std::string_view text) {
  std::string jid(text);
  if (jid.find('@') != std::string::npos) return jid;
  std::string digits;
  for (char c : jid) {
    if (std::isdigit(static_cast<unsigned char>(c)))
      digits += c;
    else if (c != '+' && c != ' ' && c != '-')
      return make_error(errc::invalid_argument,
                        "'" + jid + "' is neither a JID nor a phone number");
  }
  if (digits.empty()) return make_error(errc::invalid_argument, "empty JID");
  return digits + "@s.whatsapp.net";
}

result<storage::contact> find_contact(storage::read_context& r, int64_t instance_id,
                                      std::string_view text) {
  auto jid = normalize_jid(text);
  if (!jid) return jid.err();
  return r.contacts().find(instance_id, *jid);
}

}  // namespace aibud::runtime::inspect
