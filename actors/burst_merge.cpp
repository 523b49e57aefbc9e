#include "actors/burst_merge.hpp"

#include <algorithm>

namespace aibud::actors {
namespace {

int64_t order_ts(const burst_job& j) {
  return j.message_ts_ms ? j.message_ts_ms : j.received_ms;
}

bool before(const burst_job& a, const burst_job& b) {
  if (order_ts(a) != order_ts(b)) return order_ts(a) < order_ts(b);
  return a.id < b.id;
}

}  // namespace

std::string to_string(burst_plan::kind k) {
  switch (k) {
    case burst_plan::kind::answer_now:
      return "answer_now";
    case burst_plan::kind::defer:
      return "defer";
    case burst_plan::kind::merge_into:
      return "merge_into";
  }
  return "answer_now";
}

burst_plan plan_burst(const burst_input& in, const burst_settings& s) {
  burst_plan plan;
  const bool merging = s.quiet_period.count() > 0;
  std::vector<burst_job> members = merging ? in.absorbed : std::vector<burst_job>{};
  if (merging) {
    const burst_job* latest = nullptr;
    for (const auto& j : in.open)
      if (before(in.current, j) && (!latest || before(*latest, j))) latest = &j;
    if (latest) {
      plan.what = burst_plan::kind::merge_into;
      plan.into = latest->id;
      for (const auto& j : in.absorbed) plan.carry.push_back(j.id);
      return plan;
    }
    for (const auto& j : in.open) {
      plan.absorb.push_back(j.id);
      members.push_back(j);
    }
  }
  members.push_back(in.current);
  std::sort(members.begin(), members.end(), before);

  if (merging) {
    int64_t first = in.current.received_ms;
    int64_t last = in.current.received_ms;
    for (const auto& m : members) {
      first = std::min(first, m.received_ms);
      last = std::max(last, m.received_ms);
    }
    const int64_t due = std::min(last + s.quiet_period.count(), first + s.cap.count());
    if (in.now_ms < due) {
      plan.what = burst_plan::kind::defer;
      plan.until_ms = due;
      return plan;
    }
  }
  plan.what = burst_plan::kind::answer_now;
  for (const auto& m : members) {
    if (m.text.empty()) continue;
    if (!plan.joined.empty()) plan.joined += '\n';
    plan.joined += m.text;
  }
  plan.members = std::move(members);
  return plan;
}

}  // namespace aibud::actors
