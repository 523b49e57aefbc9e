#include <doctest/doctest.h>

#include "storage/credit_ledger_repo.hpp"
#include "storage/failed_jobs_repo.hpp"
#include "storage/instances_repo.hpp"
#include "storage/jobs_repo.hpp"
#include "storage/tenants_repo.hpp"
#include "tests/storage/storage_fixture.hpp"

using namespace aibud;
using aibud::testing::make_world;
using aibud::testing::storage_fixture;
using aibud::testing::world;

namespace {

int64_t make_job(SQLite::Database& db, int64_t instance, const std::string& message_id) {
  storage::jobs_repo jobs(db);
  storage::new_job j;
  j.instance_id = instance;
  j.wa_message_id = message_id;
  j.event = "messages.upsert";
  j.contact_key = "x@s.whatsapp.net";
  j.payload = R"({"n":1})";
  auto id = jobs.insert(j);
  REQUIRE(id.ok());
  return *id;
}

}  // namespace

TEST_CASE("the ledger holds one entry per job, step and kind") {
  storage_fixture f;
  world w = make_world(f.db());
  storage::credit_ledger_repo ledger(f.db());
  storage::ledger_entry e;
  e.tenant_id = w.tenant;
  e.period_start = 100;
  e.job_id = 1;
  e.step = "ai";
  e.kind = "reserve";
  e.amount = 5;
  REQUIRE(ledger.append(e).ok());
  CHECK(ledger.append(e).err().code == errc::conflict);
  e.kind = "commit";
  e.amount = 3;
  REQUIRE(ledger.append(e).ok());
  storage::ledger_entry grant;
  grant.tenant_id = w.tenant;
  grant.period_start = 100;
  grant.kind = "grant";
  grant.amount = 10;
  REQUIRE(ledger.append(grant).ok());
  REQUIRE(ledger.append(grant).ok());  // grants have no job: any number of them
  CHECK(ledger.for_job(1)->size() == 2);
  CHECK(ledger.for_period(w.tenant, 100)->size() == 4);
  grant.kind = "refund";
  CHECK(ledger.append(grant).err().code == errc::invalid_argument);
}

TEST_CASE("a failed job moves to the dead letter queue with its steps and error") {
  storage_fixture f;
  world w = make_world(f.db());
  int64_t job_id = make_job(f.db(), w.instance, "M1");
  storage::jobs_repo jobs(f.db());
  REQUIRE(jobs.begin_attempt(job_id).ok());
  REQUIRE(jobs.set_steps(job_id, R"({"context":"ok"})").ok());
  storage::failed_jobs_repo dlq(f.db());
  auto id = dlq.record(job_id, "ai: 500 from provider");
  REQUIRE(id.ok());
  auto d = dlq.get(*id);
  REQUIRE(d.ok());
  CHECK(d->job_id == job_id);
  CHECK(d->instance_name == "sales");
  CHECK(d->contact_key == "x@s.whatsapp.net");
  CHECK(d->payload == R"({"n":1})");
  CHECK(d->steps == R"({"context":"ok"})");
  CHECK(d->error == "ai: 500 from provider");
  CHECK(d->attempts == 1);
  CHECK(jobs.get(job_id)->status == "failed");
  CHECK(jobs.get(job_id)->last_error == "ai: 500 from provider");
  // Failing again after a replay updates the one entry of that job.
  auto again = dlq.record(job_id, "second");
  REQUIRE(again.ok());
  CHECK(*again == *id);
  CHECK(dlq.list()->size() == 1);
  CHECK(dlq.record(999, "x").err().code == errc::not_found);
}

TEST_CASE("replaying a dead letter puts its job back in the inbox with its steps") {
  storage_fixture f;
  world w = make_world(f.db());
  int64_t job_id = make_job(f.db(), w.instance, "M1");
  storage::jobs_repo jobs(f.db());
  REQUIRE(jobs.begin_attempt(job_id).ok());
  REQUIRE(jobs.set_steps(job_id, R"({"context":"ok"})").ok());
  storage::failed_jobs_repo dlq(f.db());
  int64_t id = *dlq.record(job_id, "boom");
  auto replayed = dlq.replay(id);
  REQUIRE(replayed.ok());
  CHECK(*replayed == job_id);
  auto j = jobs.get(job_id);
  CHECK(j->status == "pending");
  CHECK(j->attempts == 0);
  CHECK(j->steps == R"({"context":"ok"})");
  CHECK(dlq.list()->empty());
  CHECK(dlq.replay(id).err().code == errc::not_found);
}

TEST_CASE("purging removes one dead letter or all of them") {
  storage_fixture f;
  world w = make_world(f.db());
  storage::failed_jobs_repo dlq(f.db());
  int64_t a = *dlq.record(make_job(f.db(), w.instance, "A"), "x");
  REQUIRE(dlq.record(make_job(f.db(), w.instance, "B"), "y").ok());
  REQUIRE(dlq.record(make_job(f.db(), w.instance, "C"), "z").ok());
  REQUIRE(dlq.purge(a).ok());
  CHECK(dlq.purge(a).err().code == errc::not_found);
  CHECK(*dlq.purge_all() == 2);
  CHECK(dlq.list()->empty());
}
