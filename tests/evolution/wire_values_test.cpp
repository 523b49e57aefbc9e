#include <doctest/doctest.h>

#include <limits>

#include "adapters/evolution/wire_values.hpp"

using aibud::evolution::bytes_of;
using aibud::evolution::classify_jid;
using aibud::evolution::event_slug;
using aibud::evolution::int64_of;
using aibud::evolution::jid_kind;
using aibud::evolution::normalize_user_jid;
using json = nlohmann::json;

TEST_CASE("bytes are read from every encoding Evolution has used") {
  const std::string expected("\x0c\xc8\x00\xff", 4);
  CHECK(bytes_of(json("DMgA/w==")) == expected);  // ≤ 2.3.2 base64
  CHECK(bytes_of(json("DMgA_w")) == expected);    // URL alphabet, unpadded
  CHECK(bytes_of(json::parse(R"({"0":12,"1":200,"2":0,"3":255})")) == expected);  // 2.3.3+
  CHECK(bytes_of(json::parse(R"({"type":"Buffer","data":[12,200,0,255]})")) == expected);
  CHECK(bytes_of(json::parse("[12,200,0,255]")) == expected);
  CHECK(bytes_of(json::object()) == std::string());  // empty bytes are {} in 2.3.6+
}

TEST_CASE("numeric-key byte objects are ordered by number, not by key text") {
  json obj;
  for (int i = 0; i < 12; ++i) obj[std::to_string(i)] = i;
  auto bytes = bytes_of(obj);
  REQUIRE(bytes);
  REQUIRE(bytes->size() == 12);
  for (int i = 0; i < 12; ++i) CHECK(static_cast<unsigned char>((*bytes)[i]) == i);
}

TEST_CASE("malformed bytes are refused rather than guessed") {
  CHECK_FALSE(bytes_of(json("not base64!")));
  CHECK_FALSE(bytes_of(json::parse(R"({"0":1,"2":3})")));  // a gap
  CHECK_FALSE(bytes_of(json::parse(R"({"0":256})")));
  CHECK_FALSE(bytes_of(json::parse(R"({"0":-1})")));
  CHECK_FALSE(bytes_of(json::parse(R"({"a":1})")));
  CHECK_FALSE(bytes_of(json::parse(R"([1,"2"])")));
  CHECK_FALSE(bytes_of(json(17)));
  CHECK_FALSE(bytes_of(json(nullptr)));
}

TEST_CASE("int64 values are read from every encoding Evolution has used") {
  CHECK(int64_of(json(48213)) == 48213);    // 2.3.3-2.3.5 number
  CHECK(int64_of(json("48213")) == 48213);  // ≤ 2.3.2 decimal string
  CHECK(int64_of(json("-5")) == -5);
  CHECK(int64_of(json(1764929732.0)) == 1764929732);  // integral double
  CHECK(int64_of(json::parse(R"({"low":48213,"high":0,"unsigned":true})")) == 48213);  // 2.3.6+
  // The senderTimestampMs of poll-vote.json: a negative low half is the signed view of bits.
  CHECK(int64_of(json::parse(R"({"low":-301347068,"high":410,"unsigned":false})")) ==
        1764930211588);
  CHECK(int64_of(json::parse(R"({"low":-1,"high":-1,"unsigned":false})")) == -1);
  CHECK(int64_of(json::parse(R"({"low":4294967295,"high":2147483647})")) ==
        std::numeric_limits<std::int64_t>::max());
}

TEST_CASE("int64 values that do not fit or are not integers are refused") {
  CHECK_FALSE(int64_of(json("12a")));
  CHECK_FALSE(int64_of(json("")));
  CHECK_FALSE(int64_of(json("+5")));
  CHECK_FALSE(int64_of(json("99999999999999999999")));
  CHECK_FALSE(int64_of(json(1.5)));
  CHECK_FALSE(int64_of(json(1e300)));
  CHECK_FALSE(int64_of(json(std::numeric_limits<std::uint64_t>::max())));
  CHECK_FALSE(int64_of(json::parse(R"({"low":-1,"high":-1,"unsigned":true})")));
  CHECK_FALSE(int64_of(json::parse(R"({"low":1})")));
  CHECK_FALSE(int64_of(json::parse(R"({"low":1,"high":"0"})")));
  CHECK_FALSE(int64_of(json::parse(R"({"low":1,"high":4294967296})")));
  CHECK_FALSE(int64_of(json(true)));
  CHECK_FALSE(int64_of(json(nullptr)));
}

TEST_CASE("event names map to their byEvents slugs") {
  CHECK(event_slug("messages.upsert") == "messages-upsert");
  CHECK(event_slug("connection.update") == "connection-update");
  CHECK(event_slug("qrcode.updated") == "qrcode-updated");
  CHECK(event_slug("send.message") == "send-message");
  CHECK(event_slug("group-participants.update") == "group-participants-update");
  CHECK(event_slug("MESSAGES_UPSERT") == "messages-upsert");
}

TEST_CASE("JIDs are classified by server and user JIDs lose their device part") {
  CHECK(classify_jid("5511900000001@s.whatsapp.net") == jid_kind::phone);
  CHECK(classify_jid("100000000000001@lid") == jid_kind::lid);
  CHECK(classify_jid("120363000000000001@g.us") == jid_kind::group);
  CHECK(classify_jid("status@broadcast") == jid_kind::broadcast);
  CHECK(classify_jid("120363000000000009@newsletter") == jid_kind::newsletter);
  CHECK(classify_jid("5511900000001") == jid_kind::other);
  CHECK(classify_jid("@s.whatsapp.net") == jid_kind::other);
  CHECK(normalize_user_jid("5511900000001:12@s.whatsapp.net") == "5511900000001@s.whatsapp.net");
  CHECK(normalize_user_jid("5511900000001@c.us") == "5511900000001@s.whatsapp.net");
  CHECK(normalize_user_jid("100000000000001:3@lid") == "100000000000001@lid");
  CHECK(normalize_user_jid("120363000000000001@g.us") == "120363000000000001@g.us");
}
