// The JIDs of one person across the key shapes of each Evolution release (reference §0, §2.3).
#include <doctest/doctest.h>

#include "adapters/evolution/webhook_parser.hpp"
#include "tests/evolution/samples.hpp"

namespace evo = aibud::evolution;
using evo::testing::sample_json;
using json = nlohmann::json;

namespace {

const std::string phone = "5511900000001@s.whatsapp.net";
const std::string lid = "100000000000001@lid";

// The contact of a 1:1 text message whose data.key is `key` (id and fromMe added).
evo::contact_ids contact_for_key(json key) {
  json body = sample_json("messages-upsert-text.json");
  key["id"] = "3A5F0C1B2D3E4F5A6B7C";
  if (!key.contains("fromMe")) key["fromMe"] = false;
  body["data"]["key"] = key;
  auto parsed = evo::parse_webhook(body.dump(), "");
  REQUIRE_MESSAGE(parsed.ok(), (parsed.ok() ? "" : parsed.err().message));
  REQUIRE(parsed->as_message());
  return parsed->as_message()->contact;
}

}  // namespace

TEST_CASE("PN-addressed chats and 2.4.0's swap give the phone JID with the LID as alias") {
  auto ids =
      contact_for_key({{"remoteJid", phone}, {"remoteJidAlt", lid}, {"addressingMode", "pn"}});
  CHECK(ids.jids == std::vector<std::string>{phone, lid});
  CHECK(ids.phone_jid == phone);
  CHECK(ids.lid == lid);
  CHECK(ids.canonical() == phone);
}

TEST_CASE("2.3.5-2.3.6 raw keys give the LID in remoteJid and the phone in remoteJidAlt") {
  auto ids =
      contact_for_key({{"remoteJid", lid}, {"remoteJidAlt", phone}, {"addressingMode", "lid"}});
  CHECK(ids.phone_jid == phone);
  CHECK(ids.lid == lid);
  CHECK(ids.canonical() == phone);
  CHECK(ids.jids == std::vector<std::string>{lid, phone});
}

TEST_CASE("2.3.7 and 2.3.3-2.3.4 rewrites leave only the phone JID") {
  auto ids =
      contact_for_key({{"remoteJid", phone}, {"remoteJidAlt", phone}, {"addressingMode", "lid"}});
  CHECK(ids.jids == std::vector<std::string>{phone});
  CHECK(ids.lid.empty());
}

TEST_CASE("a LID-only sender has the LID as its canonical key") {
  auto ids = contact_for_key({{"remoteJid", lid}, {"addressingMode", "lid"}});
  CHECK(ids.jids == std::vector<std::string>{lid});
  CHECK(ids.phone_jid.empty());
  CHECK(ids.canonical() == lid);
}

TEST_CASE("2.3.1-2.3.2 keys give senderPn in remoteJid and the LID in previousRemoteJid") {
  auto ids =
      contact_for_key({{"remoteJid", phone}, {"senderPn", phone}, {"previousRemoteJid", lid}});
  CHECK(ids.phone_jid == phone);
  CHECK(ids.lid == lid);
  CHECK(ids.jids.size() == 2);
}

TEST_CASE("2.3.0 fork keys give a LID remoteJid with the phone in senderPn") {
  auto ids = contact_for_key({{"remoteJid", lid}, {"senderPn", "5511900000001:7@s.whatsapp.net"}});
  CHECK(ids.phone_jid == phone);  // device part removed
  CHECK(ids.lid == lid);
}

TEST_CASE("Baileys 6 senderLid is an alias too") {
  auto ids = contact_for_key({{"remoteJid", phone}, {"senderLid", lid}});
  CHECK(ids.lid == lid);
}

TEST_CASE("group authors are named by participant, participantAlt, participantPn") {
  json body = sample_json("messages-upsert-group.json");
  json& key = body["data"]["key"];
  key.erase("participantAlt");
  key["participantPn"] = "5511900000004@s.whatsapp.net";
  auto parsed = evo::parse_webhook(body.dump(), "");
  REQUIRE(parsed.ok());
  const auto& ids = parsed->as_message()->contact;
  CHECK(ids.lid == "100000000000004@lid");
  CHECK(ids.phone_jid == "5511900000004@s.whatsapp.net");
  // The group JID is the chat, never the contact.
  for (const auto& jid : ids.jids) CHECK(jid.find("@g.us") == std::string::npos);
}

TEST_CASE("the business's own JID never becomes a contact alias") {
  json body = sample_json("messages-upsert-group.json");
  body["data"]["key"]["fromMe"] = true;
  body["data"]["key"]["participant"] = "5511900000000@s.whatsapp.net";
  body["data"]["key"].erase("participantAlt");
  auto parsed = evo::parse_webhook(body.dump(), "");
  REQUIRE(parsed.ok());
  CHECK(parsed->as_message()->contact.empty());
}

TEST_CASE("a vote's voter JID joins the contact's aliases") {
  json body = sample_json("poll-vote.json");
  body["data"]["pollUpdates"][1]["voters"] = json::array({"100000000000001@lid"});
  body["data"]["key"].erase("remoteJidAlt");
  auto parsed = evo::parse_webhook(body.dump(), "");
  REQUIRE(parsed.ok());
  const auto& ids = parsed->as_message()->contact;
  CHECK(ids.phone_jid == phone);
  CHECK(ids.lid == lid);
}
