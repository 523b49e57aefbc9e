#include <doctest/doctest.h>

#include "storage/contacts_repo.hpp"
#include "storage/instances_repo.hpp"
#include "storage/interactions_repo.hpp"
#include "storage/sent_messages_repo.hpp"
#include "storage/tenants_repo.hpp"
#include "tests/storage/storage_fixture.hpp"

using namespace aibud;
using aibud::testing::make_world;
using aibud::testing::storage_fixture;
using aibud::testing::world;

namespace {

const std::string phone = "5511999990000@s.whatsapp.net";
const std::string lid = "123456789012345@lid";

}  // namespace

TEST_CASE("a contact is found by its canonical jid and by every alias") {
  storage_fixture f;
  world w = make_world(f.db());
  storage::contacts_repo contacts(f.db());
  storage::contact_aliases_repo aliases(f.db());
  auto c = contacts.create(w.instance, phone, "Ana");
  REQUIRE(c.ok());
  CHECK(c->status == "new");
  CHECK(c->context == "[]");
  REQUIRE(aliases.add(w.instance, lid, c->id).ok());
  CHECK(contacts.find(w.instance, lid)->id == c->id);
  CHECK(contacts.find(w.instance, phone)->id == c->id);
  CHECK(*aliases.resolve(w.instance, lid) == c->id);
  CHECK_FALSE(aliases.resolve(w.instance, "other@lid")->has_value());
  CHECK(*aliases.of(c->id) == std::vector<std::string>{lid, phone});
  CHECK(contacts.find(w.instance, "other@lid").err().code == errc::not_found);
}

TEST_CASE("a jid cannot name two contacts") {
  storage_fixture f;
  world w = make_world(f.db());
  storage::contacts_repo contacts(f.db());
  storage::contact_aliases_repo aliases(f.db());
  auto ana = contacts.create(w.instance, phone);
  auto bia = contacts.create(w.instance, "5511888880000@s.whatsapp.net");
  REQUIRE(ana.ok());
  REQUIRE(bia.ok());
  CHECK(contacts.create(w.instance, phone).err().code == errc::conflict);
  REQUIRE(aliases.add(w.instance, lid, ana->id).ok());
  CHECK(aliases.add(w.instance, lid, ana->id).ok());
  CHECK(aliases.add(w.instance, lid, bia->id).err().code == errc::conflict);
  CHECK(contacts.create(w.instance, lid).err().code == errc::conflict);
}

TEST_CASE("merging moves every alias and deleting a contact removes its aliases") {
  storage_fixture f;
  world w = make_world(f.db());
  storage::contacts_repo contacts(f.db());
  storage::contact_aliases_repo aliases(f.db());
  auto by_phone = contacts.create(w.instance, phone);
  auto by_lid = contacts.create(w.instance, lid);
  REQUIRE(by_phone.ok());
  REQUIRE(by_lid.ok());
  CHECK(*aliases.move(by_lid->id, by_phone->id) == 1);
  REQUIRE(contacts.remove(by_lid->id).ok());
  CHECK(contacts.find(w.instance, lid)->id == by_phone->id);
  REQUIRE(contacts.remove(by_phone->id).ok());
  CHECK(aliases.of(by_phone->id)->empty());
  CHECK(contacts.remove(by_phone->id).err().code == errc::not_found);
}

TEST_CASE("a saved contact keeps its status, pause and context across a reopen") {
  storage_fixture f;
  world w = make_world(f.db());
  int64_t id = 0;
  {
    storage::contacts_repo contacts(f.db());
    auto c = contacts.create(w.instance, phone);
    REQUIRE(c.ok());
    c->status = "handed_off";
    c->status_before_handoff = "qualified";
    c->paused_until = 1795600231000;
    c->context = R"([{"role":"user","text":"oi"}])";
    c->open_poll = R"({"id":"P1"})";
    REQUIRE(contacts.save(*c).ok());
    id = c->id;
  }
  f.reopen();
  storage::contacts_repo contacts(f.db());
  auto c = contacts.get(id);
  REQUIRE(c.ok());
  CHECK(c->status == "handed_off");
  CHECK(c->status_before_handoff == "qualified");
  CHECK(c->paused_until == 1795600231000);
  CHECK(c->context == R"([{"role":"user","text":"oi"}])");
  CHECK(c->open_poll == R"({"id":"P1"})");
  CHECK(contacts.list(w.instance)->size() == 1);
  storage::contact ghost;
  ghost.id = 999;
  CHECK(contacts.save(ghost).err().code == errc::not_found);
}

TEST_CASE("sent messages tell our own sends apart and are unique per instance") {
  storage_fixture f;
  world w = make_world(f.db());
  storage::contacts_repo contacts(f.db());
  auto c = contacts.create(w.instance, phone);
  REQUIRE(c.ok());
  storage::sent_messages_repo sent(f.db());
  storage::sent_message m;
  m.instance_id = w.instance;
  m.contact_id = c->id;
  m.job_id = 7;
  m.step = "send";
  m.wa_message_id = "3EB0ABC";
  m.content_hash = "h1";
  m.created_at = 1000;
  REQUIRE(sent.insert(m).ok());
  CHECK(*sent.contains(w.instance, "3EB0ABC"));
  CHECK_FALSE(*sent.contains(w.instance, "3EB0XYZ"));
  CHECK(sent.insert(m).err().code == errc::conflict);
  m.wa_message_id = "3EB0DEF";
  m.created_at = 2000;
  REQUIRE(sent.insert(m).ok());
  CHECK(sent.for_job(7)->size() == 2);
  auto recent = sent.since(w.instance, c->id, 1500);
  REQUIRE(recent->size() == 1);
  CHECK((*recent)[0].wa_message_id == "3EB0DEF");
  CHECK((*recent)[0].step == "send");
}

TEST_CASE("a contact's interactions come back as the newest window in reading order") {
  storage_fixture f;
  world w = make_world(f.db());
  storage::interactions_repo interactions(f.db());
  for (int n = 0; n < 5; ++n) {
    storage::interaction i;
    i.tenant_id = w.tenant;
    i.instance_id = w.instance;
    i.contact_id = 1;
    i.direction = n % 2 ? "out" : "in";
    i.content = "m" + std::to_string(n);
    i.credits = n;
    REQUIRE(interactions.append(i).ok());
  }
  auto tail = interactions.for_contact(1, 3);
  REQUIRE(tail->size() == 3);
  CHECK((*tail)[0].content == "m2");
  CHECK((*tail)[2].content == "m4");
  CHECK((*tail)[2].credits == 4);
  CHECK(interactions.for_instance(w.instance)->size() == 5);
  storage::interaction bad;
  bad.direction = "sideways";
  CHECK(interactions.append(bad).err().code == errc::invalid_argument);
}
