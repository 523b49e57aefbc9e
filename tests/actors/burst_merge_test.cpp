#include "actors/burst_merge.hpp"

#include <doctest/doctest.h>

using namespace aibud::actors;
using std::chrono::milliseconds;

namespace {

const int64_t t0 = 1'800'000'000'000;

burst_job job(int64_t id, int64_t received_offset_ms, std::string text, int64_t ts_offset_ms = -1) {
  burst_job j;
  j.id = id;
  j.received_ms = t0 + received_offset_ms;
  j.message_ts_ms = t0 + (ts_offset_ms < 0 ? received_offset_ms : ts_offset_ms);
  j.text = std::move(text);
  return j;
}

burst_settings settings(int64_t quiet_ms = 3000, int64_t cap_ms = 15000) {
  burst_settings s;
  s.quiet_period = milliseconds(quiet_ms);
  s.cap = milliseconds(cap_ms);
  return s;
}

}  // namespace

TEST_CASE("a lone message waits for the quiet period, then answers") {
  burst_input in;
  in.current = job(1, 0, "oi");
  in.now_ms = t0 + 100;
  auto p = plan_burst(in, settings());
  CHECK(p.what == burst_plan::kind::defer);
  CHECK(p.until_ms == t0 + 3000);
  in.now_ms = t0 + 3000;
  p = plan_burst(in, settings());
  CHECK(p.what == burst_plan::kind::answer_now);
  CHECK(p.joined == "oi");
}

TEST_CASE("an earlier job merges into the latest open job of the burst") {
  burst_input in;
  in.current = job(1, 0, "oi");
  in.open = {job(2, 1000, "quero vender"), job(3, 1500, "meu apartamento")};
  in.now_ms = t0 + 3500;
  auto p = plan_burst(in, settings());
  CHECK(p.what == burst_plan::kind::merge_into);
  CHECK(p.into == 3);
  CHECK(p.absorb.empty());
}

TEST_CASE(
    "the latest job absorbs the earlier ones and answers with them in messageTimestamp order") {
  burst_input in;
  // Job 2 arrived first but was written later: messageTimestamp decides the order.
  in.current = job(3, 1500, "meu apartamento", 1500);
  in.absorbed = {job(2, 200, "quero vender", 1000)};
  in.open = {job(1, 400, "oi", 0)};
  in.now_ms = t0 + 4500;
  auto p = plan_burst(in, settings());
  REQUIRE(p.what == burst_plan::kind::answer_now);
  CHECK(p.absorb == std::vector<int64_t>{1});
  REQUIRE(p.members.size() == 3);
  CHECK(p.members[0].id == 1);
  CHECK(p.members[1].id == 2);
  CHECK(p.members[2].id == 3);
  CHECK(p.joined == "oi\nquero vender\nmeu apartamento");
}

TEST_CASE("the latest job defers until the burst is quiet, counted from the last arrival") {
  burst_input in;
  in.current = job(3, 2000, "c");
  in.open = {job(1, 0, "a"), job(2, 1000, "b")};
  in.now_ms = t0 + 2100;
  auto p = plan_burst(in, settings());
  CHECK(p.what == burst_plan::kind::defer);
  CHECK(p.until_ms == t0 + 5000);
  CHECK(p.absorb == std::vector<int64_t>{1, 2});
}

TEST_CASE("the cap bounds the total wait of a burst that keeps going") {
  burst_input in;
  in.current = job(9, 14000, "still typing");
  in.absorbed = {job(1, 0, "first")};
  in.now_ms = t0 + 14100;
  auto p = plan_burst(in, settings(3000, 15000));
  CHECK(p.what == burst_plan::kind::defer);
  CHECK(p.until_ms == t0 + 15000);
  in.now_ms = t0 + 15000;
  CHECK(plan_burst(in, settings(3000, 15000)).what == burst_plan::kind::answer_now);
}

TEST_CASE("a quiet period of 0 turns merging off") {
  burst_input in;
  in.current = job(1, 0, "oi");
  in.open = {job(2, 500, "tudo bem?")};
  in.now_ms = t0;
  auto p = plan_burst(in, settings(0));
  CHECK(p.what == burst_plan::kind::answer_now);
  CHECK(p.absorb.empty());
  CHECK(p.joined == "oi");
}

TEST_CASE("a job that merges on carries the jobs merged into it") {
  burst_input in;
  in.current = job(2, 1000, "b");
  in.absorbed = {job(1, 0, "a")};
  in.open = {job(3, 2000, "c")};
  in.now_ms = t0 + 4000;
  auto p = plan_burst(in, settings());
  CHECK(p.what == burst_plan::kind::merge_into);
  CHECK(p.into == 3);
  CHECK(p.carry == std::vector<int64_t>{1});
}

TEST_CASE("the plan is a function of its inputs: a restart with the same rows plans the same") {
  burst_input in;
  in.current = job(5, 3000, "x");
  in.open = {job(4, 2500, "y")};
  in.now_ms = t0 + 3200;
  auto a = plan_burst(in, settings());
  auto b = plan_burst(in, settings());
  CHECK(a.what == b.what);
  CHECK(a.until_ms == b.until_ms);
  CHECK(a.absorb == b.absorb);
  // After the restart the absorbed job is read back as merged into this one: same deadline.
  burst_input after = in;
  after.absorbed = {in.open[0]};
  after.open.clear();
  auto c = plan_burst(after, settings());
  CHECK(c.what == burst_plan::kind::defer);
  CHECK(c.until_ms == a.until_ms);
}

TEST_CASE("photos use the same planner with the valuation window") {
  burst_input in;
  in.current = job(6, 8000, "");
  in.open = {job(4, 0, ""), job(5, 4000, "a sala")};
  in.now_ms = t0 + 8000;
  auto window = settings(10000, 60000);
  auto p = plan_burst(in, window);
  CHECK(p.what == burst_plan::kind::defer);
  CHECK(p.until_ms == t0 + 18000);
  in.absorbed = {in.open[0], in.open[1]};
  in.open.clear();
  in.now_ms = t0 + 18000;
  p = plan_burst(in, window);
  REQUIRE(p.what == burst_plan::kind::answer_now);
  CHECK(p.members.size() == 3);
  CHECK(p.joined == "a sala");
}
