#include <doctest/doctest.h>

#include "adapters/evolution/rest_responses.hpp"
#include "tests/evolution/samples.hpp"

namespace evo = aibud::evolution;
using evo::failure_kind;
using evo::testing::sample_json;
using evo::testing::sample_text;
using json = nlohmann::json;

TEST_CASE("a sendText response gives the key.id to remember and the text sent") {
  auto sent = evo::parse_send_response(sample_text("send-text-response.json"));
  REQUIRE(sent.ok());
  CHECK(sent->id == "3EB0C4D2A91F7E3B5A6C10");
  CHECK(sent->remote_jid == "5511900000001@s.whatsapp.net");
  CHECK(sent->timestamp == 1764929762);
  CHECK(sent->message_type == "conversation");
  CHECK(evo::text_of(sent->content) == "Recebemos seu pedido! Em instantes confirmamos.");
}

TEST_CASE("a sendPoll response gives the poll id that votes will name") {
  auto sent = evo::parse_send_response(sample_text("send-poll-response.json"));
  REQUIRE(sent.ok());
  CHECK(sent->id == "3EB0F1E2D3C4B5A6978812");
  CHECK(sent->message_type == "pollCreationMessageV3");
  const auto* poll = std::get_if<evo::poll_creation_content>(&sent->content);
  REQUIRE(poll);
  CHECK(poll->question == "Como prefere receber seu pedido?");
  CHECK(poll->options == std::vector<std::string>{"Retirada na loja", "Entrega"});
  CHECK(evo::text_of(sent->content).empty());
}

TEST_CASE("a send response without key.id is an upstream fault") {
  json body = sample_json("send-text-response.json");
  body["key"].erase("id");
  auto sent = evo::parse_send_response(body.dump());
  REQUIRE_FALSE(sent.ok());
  CHECK(sent.err().code == aibud::errc::unavailable);
  CHECK(sent.err().message == "evolution response: key.id: expected a non-empty string");
  CHECK(evo::parse_send_response("<html>Bad Gateway</html>").err().code ==
        aibud::errc::unavailable);
}

TEST_CASE("findMessages gives each record's key, text, time and receipts") {
  auto page = evo::parse_find_messages(sample_text("find-messages-response.json"));
  REQUIRE(page.ok());
  CHECK(page->total == 2);
  CHECK(page->pages == 1);
  CHECK(page->current_page == 1);
  REQUIRE(page->records.size() == 2);

  const auto& sent = page->records[0];
  CHECK(sent.row_id == "cmit4r8xq000bqz0k8v2f4h1d");
  CHECK(sent.msg.key.id == "3EB0C4D2A91F7E3B5A6C10");
  CHECK(sent.msg.key.from_me);
  CHECK(sent.msg.key.remote_jid == "5511900000001@s.whatsapp.net");
  CHECK(sent.msg.timestamp == 1764929762);
  CHECK(evo::text_of(sent.msg.content) == "Recebemos seu pedido! Em instantes confirmamos.");
  CHECK(sent.receipts == std::vector<std::string>{"SERVER_ACK", "DELIVERY_ACK"});

  const auto& received = page->records[1];
  CHECK(received.msg.key.id == "3A5F0C1B2D3E4F5A6B7C");
  CHECK_FALSE(received.msg.key.from_me);
  CHECK(received.msg.key.remote_jid_alt == "100000000000001@lid");
  CHECK(received.msg.contact.lid == "100000000000001@lid");
  CHECK(evo::text_of(received.msg.content) == "Olá, quero fazer um pedido");
  CHECK(received.receipts.empty());
}

TEST_CASE("an empty findMessages page has no records") {
  auto page = evo::parse_find_messages(
      R"({"messages":{"total":0,"pages":0,"currentPage":1,"records":[]}})");
  REQUIRE(page.ok());
  CHECK(page->total == 0);
  CHECK(page->records.empty());
}

TEST_CASE("a findMessages record that cannot be read fails the whole page") {
  json body = sample_json("find-messages-response.json");
  body["messages"]["records"][1]["key"].erase("id");
  auto page = evo::parse_find_messages(body.dump());
  REQUIRE_FALSE(page.ok());
  CHECK(page.err().code == aibud::errc::unavailable);
  CHECK(page.err().message ==
        "evolution response: messages.records[1].key.id: expected a non-empty string");
  CHECK_FALSE(evo::parse_find_messages(R"({"messages":{}})").ok());
}

TEST_CASE("getBase64FromMediaMessage gives the media, its type and size") {
  auto media = evo::parse_media_download(sample_text("get-base64-response.json"));
  REQUIRE(media.ok());
  CHECK(media->media_type == "audioMessage");
  CHECK(media->file_name == "3A6B7C8D9E0F1A2B3C4D.oga");
  CHECK(media->mimetype == "audio/ogg; codecs=opus");
  CHECK(media->file_length == 18342);
  CHECK(media->base64.rfind("T2dnUwACU9bKE6df", 0) == 0);
}

TEST_CASE("a null media answer is not_found and a media answer without base64 is a fault") {
  auto none = evo::parse_media_download("null");
  REQUIRE_FALSE(none.ok());
  CHECK(none.err().code == aibud::errc::not_found);
  auto empty = evo::parse_media_download(R"({"mediaType":"imageMessage"})");
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.err().code == aibud::errc::unavailable);
}

TEST_CASE("Evolution error bodies are classified for retry decisions") {
  auto schema = evo::classify_failure(400, sample_text("error-400.json"));
  CHECK(schema.kind == failure_kind::rejected);
  CHECK_FALSE(schema.retryable());
  CHECK(schema.message == "instance requires property \"text\"");

  auto unauthorized = evo::classify_failure(401, sample_text("error-401.json"));
  CHECK(unauthorized.kind == failure_kind::unauthorized);
  CHECK(unauthorized.message == "Unauthorized");
  CHECK_FALSE(unauthorized.retryable());

  auto missing = evo::classify_failure(
      400,
      R"({"status":400,"error":"Bad Request","response":{"message":[{"jid":"5511900000009@s.whatsapp.net","exists":false,"number":"5511900000009"}]}})");
  CHECK(missing.kind == failure_kind::number_not_on_whatsapp);
  CHECK(missing.message == "5511900000009 is not on WhatsApp");
}

TEST_CASE("an instance that is not connected waits instead of failing") {
  auto closed = evo::classify_failure(
      500,
      R"({"status":500,"error":"Internal Server Error","response":{"message":"Connection Closed"}})");
  CHECK(closed.kind == failure_kind::not_connected);
  CHECK(closed.retryable());
  auto not_connected = evo::classify_failure(
      400,
      R"({"status":400,"error":"Bad Request","response":{"message":["The \"acme-bot\" instance is not connected"]}})");
  CHECK(not_connected.kind == failure_kind::not_connected);
  auto not_loaded = evo::classify_failure(
      500,
      R"x({"status":500,"error":"Internal Server Error","response":{"message":"Cannot read properties of undefined (reading 'textMessage')"}})x");
  CHECK(not_loaded.kind == failure_kind::not_connected);
}

TEST_CASE("404s tell an unknown instance from an unknown route, 403s a used name") {
  CHECK(
      evo::classify_failure(
          404,
          R"({"status":404,"error":"Not Found","response":{"message":["The \"acme-bot\" instance does not exist"]}})")
          .kind == failure_kind::unknown_instance);
  CHECK(
      evo::classify_failure(
          404,
          R"({"status":404,"error":"Not Found","response":{"message":["Cannot POST /message/sendTxt/acme-bot"]}})")
          .kind == failure_kind::rejected);
  CHECK(
      evo::classify_failure(
          403,
          R"({"status":403,"error":"Forbidden","response":{"message":["This name \"acme-bot\" is already in use."]}})")
          .kind == failure_kind::conflict);
  CHECK(evo::classify_failure(403, "").kind == failure_kind::unauthorized);
}

TEST_CASE("statuses alone classify bodies that are not Evolution's") {
  CHECK(evo::classify_failure(502, "<html>Bad Gateway</html>").kind == failure_kind::retryable);
  CHECK(evo::classify_failure(502, "<html>Bad Gateway</html>").message == "HTTP 502");
  CHECK(evo::classify_failure(429, "").kind == failure_kind::retryable);
  CHECK(evo::classify_failure(408, "").kind == failure_kind::retryable);
  CHECK(evo::classify_failure(422, "{").kind == failure_kind::rejected);
  auto licence = evo::classify_failure(
      503, R"({"error":"service not activated","code":"LICENSE_REQUIRED","message":"Register"})");
  CHECK(licence.kind == failure_kind::retryable);
  CHECK(licence.message == "Register");
}

TEST_CASE("long error messages are cut on a character boundary") {
  std::string text;
  for (int i = 0; i < 400; ++i) text += "é";  // two bytes each
  json body = {{"status", 400}, {"response", {{"message", json::array({text})}}}};
  auto failure = evo::classify_failure(400, body.dump());
  CHECK(failure.message.size() <= 500);
  CHECK(failure.message.size() % 2 == 0);
  CHECK_NOTHROW((void)json(failure.message).dump());
}
