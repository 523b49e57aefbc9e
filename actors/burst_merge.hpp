// The burst merge planner (issue 5): messages of one contact that arrive close together are
// answered once. A pure function of what the jobs table holds, so the same rows give the same
// plan after a restart:
//
//   - the burst's answering job is its latest message (messageTimestamp, then job id);
//   - an earlier job merges into the latest open one (status `merged`, merged_into = it);
//   - the latest job absorbs every earlier open job, then waits until the burst is quiet
//     (last arrival + quiet period) or the cap is reached (first arrival + cap), whichever
//     is first, and answers with the members' texts joined in messageTimestamp order.
//
// "Open" jobs are the contact's other jobs of the same kind (texts with texts, photos with
// photos: the runner filters) that are pending or waiting and have not begun to answer (no
// AI step in their journal). Arrival is the job's `created_at` (when aibud committed it);
// messageTimestamp orders only. Photos use the same planner with the valuation window as the
// quiet period. Quiet period 0 turns merging off: every job answers at once, alone.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace aibud::actors {

struct burst_job {
  int64_t id = 0;
  int64_t message_ts_ms = 0;  // messageTimestamp (ms); 0 when unknown → the arrival time
  int64_t received_ms = 0;    // jobs.created_at
  std::string text;           // the text or caption (for the joined answer)
};

struct burst_settings {
  std::chrono::milliseconds quiet_period{3000};  // merge.quiet_period; 0 = off
  std::chrono::milliseconds cap{15000};          // merge.max_wait
};

struct burst_input {
  burst_job current;
  std::vector<burst_job> absorbed;  // jobs already merged into `current` (merged_into = it)
  std::vector<burst_job> open;      // the contact's other open jobs of the same kind
  int64_t now_ms = 0;
};

struct burst_plan {
  enum class kind {
    answer_now,  // answer with `members` (absorb those in `absorb` first, same write)
    defer,       // absorb `absorb`, then wait (jobs.not_before = until_ms)
    merge_into,  // this job becomes `merged` into job `into` (and is not charged)
  };
  kind what = kind::answer_now;
  int64_t until_ms = 0;
  int64_t into = 0;
  std::vector<int64_t> absorb;     // open jobs to mark merged into `current`
  std::vector<int64_t> carry;      // merge_into: jobs merged into `current`, re-pointed to `into`
  std::vector<burst_job> members;  // answer_now: absorbed + absorb + current, in order
  std::string joined;              // answer_now: the members' non-empty texts, one per line
};
std::string to_string(burst_plan::kind k);

burst_plan plan_burst(const burst_input& in, const burst_settings& s);

}  // namespace aibud::actors
