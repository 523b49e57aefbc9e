#include <doctest/doctest.h>

#include "storage/instances_repo.hpp"
#include "storage/jobs_repo.hpp"
#include "storage/tenants_repo.hpp"
#include "tests/storage/storage_fixture.hpp"

using namespace aibud;
using aibud::testing::storage_fixture;

namespace {

int64_t make_instance(SQLite::Database& db, const std::string& name) {
  storage::tenants_repo tenants(db);
  auto t = tenants.find("acme");
  if (!t.ok()) t = tenants.create("acme", "standard", 0, 1, "en");
  REQUIRE(t.ok());
  storage::instances_repo instances(db);
  auto i = instances.create(name, t->id, "sandbox", "", "", "s");
  REQUIRE(i.ok());
  return i->id;
}

storage::new_job message(int64_t instance_id, const std::string& id,
                         const std::string& contact = "5511999990000@s.whatsapp.net") {
  storage::new_job j;
  j.instance_id = instance_id;
  j.wa_message_id = id;
  j.event = "messages.upsert";
  j.contact_key = contact;
  j.sender_jids = "[\"" + contact + "\"]";
  j.payload = R"({"event":"messages.upsert"})";
  j.message_ts = 1795600231000;
  return j;
}

}  // namespace

TEST_CASE("an inserted job reads back pending with its payload after a reopen") {
  storage_fixture f;
  int64_t inst = make_instance(f.db(), "sales");
  int64_t id = 0;
  {
    storage::jobs_repo jobs(f.db());
    auto inserted = jobs.insert(message(inst, "M1"));
    REQUIRE(inserted.ok());
    id = *inserted;
  }
  f.reopen();
  storage::jobs_repo jobs(f.db());
  auto j = jobs.get(id);
  REQUIRE(j.ok());
  CHECK(j->status == "pending");
  CHECK(j->instance_name == "sales");
  CHECK(j->wa_message_id == "M1");
  CHECK(j->payload == R"({"event":"messages.upsert"})");
  CHECK(j->attempts == 0);
  CHECK(j->steps == "{}");
  CHECK(j->message_ts == 1795600231000);
}

TEST_CASE("a repeated message id on one instance is a conflict and creates no job") {
  storage_fixture f;
  int64_t sales = make_instance(f.db(), "sales");
  int64_t support = make_instance(f.db(), "support");
  storage::jobs_repo jobs(f.db());
  auto first = jobs.insert(message(sales, "M1"));
  REQUIRE(first.ok());
  auto again = jobs.insert(message(sales, "M1"));
  REQUIRE_FALSE(again.ok());
  CHECK(again.err().code == errc::conflict);
  CHECK(jobs.find_by_message(sales, "M1")->id == *first);
  // The same id on another instance is another message.
  CHECK(jobs.insert(message(support, "M1")).ok());
  CHECK(jobs.list({})->size() == 2);
}

TEST_CASE("a payload left behind under a reused job id is replaced by the new job's") {
  storage_fixture f;
  int64_t inst = make_instance(f.db(), "sales");
  storage::jobs_repo jobs(f.db());
  auto first = jobs.insert(message(inst, "M1"));
  REQUIRE(first.ok());
  // Deleted the way an operator's sqlite3 shell would: foreign keys off, the payload stays.
  f.db().exec("PRAGMA foreign_keys=OFF");
  f.db().exec("DELETE FROM jobs WHERE id = " + std::to_string(*first));
  f.db().exec("PRAGMA foreign_keys=ON");
  auto next = message(inst, "M2");
  next.payload = R"({"event":"messages.upsert","n":2})";
  auto second = jobs.insert(next);
  REQUIRE(second.ok());
  CHECK(*second == *first);  // the id was handed out again
  CHECK(jobs.get(*second)->payload == next.payload);
  CHECK(jobs.get_without_payload(*second)->payload.empty());
}

TEST_CASE("jobs list filters by status and instance and pages by id") {
  storage_fixture f;
  int64_t sales = make_instance(f.db(), "sales");
  int64_t support = make_instance(f.db(), "support");
  storage::jobs_repo jobs(f.db());
  int64_t a = *jobs.insert(message(sales, "A"));
  int64_t b = *jobs.insert(message(sales, "B"));
  int64_t c = *jobs.insert(message(support, "C"));
  REQUIRE(jobs.set_status(b, "done").ok());

  storage::job_filter by_status;
  by_status.status = "pending";
  auto pending = jobs.list(by_status);
  REQUIRE(pending->size() == 2);
  CHECK((*pending)[0].id == a);
  CHECK((*pending)[1].id == c);

  storage::job_filter by_instance;
  by_instance.instance_id = sales;
  CHECK(jobs.list(by_instance)->size() == 2);

  storage::job_filter page;
  page.limit = 1;
  page.after_id = a;
  auto second = jobs.list(page);
  REQUIRE(second->size() == 1);
  CHECK((*second)[0].id == b);
}

TEST_CASE("attempts are counted and statuses, steps and deferrals are saved") {
  storage_fixture f;
  int64_t inst = make_instance(f.db(), "sales");
  storage::jobs_repo jobs(f.db());
  int64_t id = *jobs.insert(message(inst, "M1"));
  REQUIRE(jobs.begin_attempt(id).ok());
  REQUIRE(jobs.begin_attempt(id).ok());
  auto j = jobs.get(id);
  CHECK(j->attempts == 2);
  CHECK(j->status == "running");
  REQUIRE(jobs.set_steps(id, R"({"context":{"done":true}})").ok());
  REQUIRE(jobs.defer(id, 1795600300000, std::string("429 from gemini")).ok());
  j = jobs.get(id);
  CHECK(j->status == "waiting");
  CHECK(j->not_before == 1795600300000);
  CHECK(j->last_error == "429 from gemini");
  CHECK(j->steps == R"({"context":{"done":true}})");
  CHECK(jobs.set_status(id, "exploded").err().code == errc::invalid_argument);
  CHECK(jobs.begin_attempt(999).err().code == errc::not_found);
}

TEST_CASE("an attempt or a status can save the journal in the same row update") {
  storage_fixture f;
  int64_t inst = make_instance(f.db(), "sales");
  storage::jobs_repo jobs(f.db());
  int64_t id = *jobs.insert(message(inst, "M1"));
  REQUIRE(jobs.begin_attempt(id, std::string(R"({"context":{}})")).ok());
  auto j = jobs.get(id);
  CHECK(j->attempts == 1);
  CHECK(j->status == "running");
  CHECK(j->steps == R"({"context":{}})");
  REQUIRE(jobs.set_status(id, "done", std::nullopt, std::string(R"({"charge":true})")).ok());
  j = jobs.get(id);
  CHECK(j->status == "done");
  CHECK(j->steps == R"({"charge":true})");
  // Without a journal the saved one is kept.
  REQUIRE(jobs.set_status(id, "failed", std::string("boom")).ok());
  REQUIRE(jobs.begin_attempt(id).ok());
  j = jobs.get(id);
  CHECK(j->steps == R"({"charge":true})");
  CHECK(j->last_error == "boom");
  CHECK(jobs.set_status(999, "done", std::nullopt, std::string("{}")).err().code ==
        errc::not_found);
}

TEST_CASE("unfinished jobs come back in arrival order, per contact too") {
  storage_fixture f;
  int64_t inst = make_instance(f.db(), "sales");
  storage::jobs_repo jobs(f.db());
  int64_t a = *jobs.insert(message(inst, "A", "x@s.whatsapp.net"));
  int64_t b = *jobs.insert(message(inst, "B", "y@s.whatsapp.net"));
  int64_t c = *jobs.insert(message(inst, "C", "x@s.whatsapp.net"));
  int64_t d = *jobs.insert(message(inst, "D", "x@s.whatsapp.net"));
  REQUIRE(jobs.set_status(a, "done").ok());
  REQUIRE(jobs.mark_merged(d, c).ok());
  auto all = jobs.unfinished();
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].id == b);
  CHECK((*all)[1].id == c);
  auto x = jobs.unfinished_for_contact(inst, "x@s.whatsapp.net");
  REQUIRE(x->size() == 1);
  CHECK((*x)[0].id == c);
  CHECK(jobs.get(d)->merged_into == c);
}

TEST_CASE("requeueing running jobs leaves those started since the given time") {
  storage_fixture f;
  int64_t inst = make_instance(f.db(), "sales");
  storage::jobs_repo jobs(f.db());
  int64_t left = *jobs.insert(message(inst, "M1"));
  int64_t mine = *jobs.insert(message(inst, "M2"));
  REQUIRE(jobs.begin_attempt(left).ok());
  REQUIRE(jobs.begin_attempt(mine).ok());
  // `left` was last written by an earlier process, `mine` after this one started.
  f.db().exec("UPDATE jobs SET updated_at = 1000 WHERE id = " + std::to_string(left));
  f.db().exec("UPDATE jobs SET updated_at = 3000 WHERE id = " + std::to_string(mine));
  auto requeued = jobs.requeue_running(2000);
  REQUIRE(requeued.ok());
  CHECK(*requeued == 1);
  CHECK(jobs.get(left)->status == "pending");
  CHECK(jobs.get(mine)->status == "running");
}
