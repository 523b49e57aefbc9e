#include <doctest/doctest.h>

#include "adapters/evolution/webhook_parser.hpp"
#include "adapters/evolution/wire_values.hpp"
#include "tests/evolution/samples.hpp"

namespace evo = aibud::evolution;
using evo::event_kind;
using evo::testing::sample_json;
using evo::testing::sample_text;
using json = nlohmann::json;

namespace {

evo::event parse_ok(const std::string& body, std::string_view slug = "") {
  auto parsed = evo::parse_webhook(body, slug);
  REQUIRE_MESSAGE(parsed.ok(), (parsed.ok() ? "" : parsed.err().message));
  return std::move(parsed).value();
}

evo::event parse_sample(const std::string& name) {
  return parse_ok(sample_text(name));
}

const evo::message& message_of(const evo::event& e) {
  REQUIRE(e.as_message() != nullptr);
  return *e.as_message();
}

template <class T>
const T& content_of(const evo::event& e) {
  const auto* content = std::get_if<T>(&message_of(e).content);
  REQUIRE(content != nullptr);
  return *content;
}

// "code|detail" of a rejected body, for one CHECK per case.
std::string rejection(const std::string& body, std::string_view slug = "") {
  auto parsed = evo::parse_webhook(body, slug);
  if (parsed.ok()) return "accepted";
  CHECK(parsed.err().code == aibud::errc::invalid_argument);
  return std::string(evo::webhook_error_code(parsed.err())) + "|" +
         std::string(evo::webhook_error_detail(parsed.err()));
}

}  // namespace

TEST_CASE("a plain text message is an inbound message with its text, ids and both JIDs") {
  auto e = parse_sample("messages-upsert-text.json");
  CHECK(e.kind == event_kind::inbound_message);
  CHECK(e.name == "messages.upsert");
  CHECK(e.instance == "acme-bot");
  CHECK(e.owner_jid == "5511900000000@s.whatsapp.net");
  CHECK(e.message_id() == "3A5F0C1B2D3E4F5A6B7C");
  const auto& m = message_of(e);
  CHECK(m.chat == evo::chat_kind::direct);
  CHECK(m.chat_jid == "5511900000001@s.whatsapp.net");
  CHECK_FALSE(m.key.from_me);
  CHECK(m.key.addressing_mode == "pn");
  CHECK(m.push_name == "Maria Teste");
  CHECK(m.timestamp == 1764929732);
  CHECK(m.source == "ios");
  CHECK(m.contact.phone_jid == "5511900000001@s.whatsapp.net");
  CHECK(m.contact.lid == "100000000000001@lid");
  CHECK(m.contact.canonical() == "5511900000001@s.whatsapp.net");
  CHECK(m.contact.jids ==
        std::vector<std::string>{"5511900000001@s.whatsapp.net", "100000000000001@lid"});
  const auto& text = content_of<evo::text_content>(e);
  CHECK(text.text == "Olá, quero fazer um pedido");
  CHECK(text.quoted_id.empty());
  CHECK_FALSE(evo::ignore_reason(e));
}

TEST_CASE("a quoted reply carries its text and the quoted message id") {
  auto e = parse_sample("messages-upsert-extended-text.json");
  CHECK(e.kind == event_kind::inbound_message);
  CHECK(e.message_id() == "A1C3E5F7092B4D6F8A0C2E4F6B8D0A1C");
  const auto& text = content_of<evo::text_content>(e);
  CHECK(text.text == "Pode ser às 15h?");
  CHECK(text.quoted_id == "3EB0A7B6C5D4E3F2A1B0C9");
  const auto& m = message_of(e);
  CHECK(m.timestamp == 1764929792);
  // 2.3.7's rewrite: both fields hold the phone JID, the LID is lost.
  CHECK(m.contact.jids == std::vector<std::string>{"5511900000002@s.whatsapp.net"});
  CHECK(m.contact.lid.empty());
}

TEST_CASE("an unrewritten extendedTextMessage is read as text too") {
  json body = sample_json("messages-upsert-text.json");
  body["data"]["message"].erase("conversation");
  body["data"]["message"]["extendedTextMessage"] = {
      {"text", "veja https://example.com"},
      {"contextInfo", {{"stanzaId", "3EB0000000000000000001"}}}};
  body["data"]["messageType"] = "extendedTextMessage";
  auto e = parse_ok(body.dump());
  CHECK(e.kind == event_kind::inbound_message);
  const auto& text = content_of<evo::text_content>(e);
  CHECK(text.text == "veja https://example.com");
  CHECK(text.quoted_id == "3EB0000000000000000001");
}

TEST_CASE("an image carries caption, mimetype, size, inline base64 and its key for download") {
  auto e = parse_sample("messages-upsert-image.json");
  CHECK(e.kind == event_kind::inbound_message);
  const auto& image = content_of<evo::image_content>(e);
  CHECK(image.caption == "Foto do produto com defeito");
  CHECK(image.mimetype == "image/jpeg");
  CHECK(image.file_length == 48213);
  CHECK(image.width == 960);
  CHECK(image.height == 1280);
  CHECK(image.inline_base64.rfind("/9j/4AAQSkZJRgABAQAAAQABAAB", 0) == 0);
  CHECK(image.inline_base64.size() > 200);
  const auto& m = message_of(e);
  CHECK(m.key.id == "3A0B9C8D7E6F5A4B3C2D");
  CHECK(m.key.remote_jid == "5511900000001@s.whatsapp.net");
  CHECK(m.message_type == "imageMessage");
  CHECK(m.timestamp == 1764929852);
}

TEST_CASE("an image without webhook base64 has an empty inline payload") {
  json body = sample_json("messages-upsert-image.json");
  body["data"]["message"].erase("base64");
  auto e = parse_ok(body.dump());
  CHECK(content_of<evo::image_content>(e).inline_base64.empty());
  CHECK(e.message_id() == "3A0B9C8D7E6F5A4B3C2D");
}

TEST_CASE("a voice note is an inbound audio message") {
  auto e = parse_sample("messages-upsert-audio.json");
  CHECK(e.kind == event_kind::inbound_message);
  const auto& audio = content_of<evo::audio_content>(e);
  CHECK(audio.voice_note);
  CHECK(audio.mimetype == "audio/ogg; codecs=opus");
  CHECK(audio.seconds == 7);
  CHECK(audio.file_length == 18342);
  CHECK(audio.inline_base64.empty());
  CHECK(e.message_id() == "3A6B7C8D9E0F1A2B3C4D");
  CHECK(message_of(e).timestamp == 1764929912);
}

TEST_CASE("a 2.3.7 poll vote names the poll and the selected options") {
  auto e = parse_sample("poll-vote.json");
  CHECK(e.kind == event_kind::inbound_message);
  CHECK(e.message_id() == "3A7E6D5C4B3A29180F1E");
  const auto& vote = content_of<evo::poll_vote_content>(e);
  CHECK(vote.poll_id == "3EB0F1E2D3C4B5A6978812");
  CHECK(vote.selected_options == std::vector<std::string>{"Entrega"});
  CHECK(vote.decrypted);
  CHECK(vote.sender_timestamp_ms == 1764930211588);
  CHECK(message_of(e).contact.phone_jid == "5511900000001@s.whatsapp.net");
}

TEST_CASE("a vote without selectedOptions falls back to pollUpdates, else is undecrypted") {
  json body = sample_json("poll-vote.json");
  body["data"]["message"]["pollUpdateMessage"]["vote"].erase("selectedOptions");
  auto from_updates = parse_ok(body.dump());
  CHECK(content_of<evo::poll_vote_content>(from_updates).selected_options ==
        std::vector<std::string>{"Entrega"});

  body["data"].erase("pollUpdates");
  auto undecrypted = parse_ok(body.dump());
  const auto& vote = content_of<evo::poll_vote_content>(undecrypted);
  CHECK_FALSE(vote.decrypted);
  CHECK(vote.selected_options.empty());
  CHECK(vote.poll_id == "3EB0F1E2D3C4B5A6978812");
}

TEST_CASE("a retracted vote is decrypted with no option") {
  json body = sample_json("poll-vote.json");
  body["data"]["message"]["pollUpdateMessage"]["vote"]["selectedOptions"] = json::array();
  auto e = parse_ok(body.dump());
  const auto& vote = content_of<evo::poll_vote_content>(e);
  CHECK(vote.decrypted);
  CHECK(vote.selected_options.empty());
}

TEST_CASE("a 2.3.0 poll update on messages.update is a vote on the poll in keyId") {
  json body = {{"event", "messages.update"},
               {"instance", "acme-bot"},
               {"date_time", "2025-06-01T10:00:00.000Z"},
               {"sender", "5511900000000@s.whatsapp.net"},
               {"data",
                {{"messageId", "cm0000000000000000000000"},
                 {"keyId", "3EB0F1E2D3C4B5A6978812"},
                 {"remoteJid", "5511900000001@s.whatsapp.net"},
                 {"fromMe", true},
                 {"participant", "5511900000001@s.whatsapp.net"},
                 {"status", "DELETED"},
                 {"pollUpdates",
                  {{{"name", "Retirada na loja"}, {"voters", json::array()}},
                   {{"name", "Entrega"}, {"voters", {"5511900000001@s.whatsapp.net"}}}}}}}};
  auto e = parse_ok(body.dump(), "messages-update");
  CHECK(e.kind == event_kind::inbound_message);
  const auto& vote = content_of<evo::poll_vote_content>(e);
  CHECK(vote.poll_id == "3EB0F1E2D3C4B5A6978812");
  CHECK(vote.selected_options == std::vector<std::string>{"Entrega"});
  const auto& m = message_of(e);
  CHECK_FALSE(m.key.from_me);
  CHECK(m.contact.phone_jid == "5511900000001@s.whatsapp.net");
  // No vote id exists on this shape; the synthetic one is stable across retries.
  CHECK(e.message_id() == "poll-update:3EB0F1E2D3C4B5A6978812:2025-06-01T10:00:00.000Z");
  CHECK(parse_ok(body.dump()).message_id() == e.message_id());
}

TEST_CASE("a receipt on messages.update is an unsupported event") {
  json body = {{"event", "messages.update"},
               {"instance", "acme-bot"},
               {"data",
                {{"keyId", "3EB0C4D2A91F7E3B5A6C10"},
                 {"remoteJid", "5511900000001@s.whatsapp.net"},
                 {"fromMe", true},
                 {"status", "READ"}}}};
  auto e = parse_ok(body.dump());
  CHECK(e.kind == event_kind::unsupported_event);
  CHECK(evo::ignore_reason(e) == std::optional<std::string_view>("unsupported_event"));
}

TEST_CASE("a fromMe 1:1 message is a business message naming the contact, not the business") {
  auto e = parse_sample("messages-upsert-from-me.json");
  CHECK(e.kind == event_kind::business_message);
  CHECK_FALSE(evo::ignore_reason(e));
  CHECK(e.message_id() == "3AE4D2C0B8A6F4E2D0C1");
  const auto& m = message_of(e);
  CHECK(m.key.from_me);
  CHECK(m.status == "SERVER_ACK");
  CHECK(m.contact.jids == std::vector<std::string>{"5511900000001@s.whatsapp.net"});
  CHECK(content_of<evo::text_content>(e).text ==
        "Pedido enviado! Código de rastreio: XX000000000BR");
  CHECK(m.timestamp == 1764929972);
}

TEST_CASE("a fromMe message never aliases an alternate id that may be the business's own") {
  json body = sample_json("messages-upsert-from-me.json");
  body["data"]["key"]["remoteJidAlt"] = "100000000000000@lid";
  auto e = parse_ok(body.dump());
  CHECK(message_of(e).contact.jids == std::vector<std::string>{"5511900000001@s.whatsapp.net"});

  // 2.3.7 may rewrite remoteJid to the business's own number: then no contact is named.
  body["data"]["key"]["remoteJid"] = "5511900000000@s.whatsapp.net";
  auto own = parse_ok(body.dump());
  CHECK(message_of(own).contact.empty());
}

TEST_CASE("a fromMe poll creation is a business message echoing the poll") {
  json body = sample_json("messages-upsert-from-me.json");
  json poll = sample_json("send-poll-response.json");
  body["data"]["message"] = poll["message"];
  body["data"]["messageType"] = "pollCreationMessageV3";
  auto e = parse_ok(body.dump());
  CHECK(e.kind == event_kind::business_message);
  const auto& created = content_of<evo::poll_creation_content>(e);
  CHECK(created.question == "Como prefere receber seu pedido?");
  CHECK(created.options == std::vector<std::string>{"Retirada na loja", "Entrega"});
  CHECK(created.selectable_count == 1);
}

TEST_CASE("a group message names the group chat and the author's JIDs") {
  auto e = parse_sample("messages-upsert-group.json");
  CHECK(e.kind == event_kind::group_message);
  CHECK(evo::ignore_reason(e) == std::optional<std::string_view>("group"));
  const auto& m = message_of(e);
  CHECK(m.chat == evo::chat_kind::group);
  CHECK(m.chat_jid == "120363000000000001@g.us");
  CHECK(m.contact.lid == "100000000000004@lid");
  CHECK(m.contact.phone_jid == "5511900000004@s.whatsapp.net");
  CHECK(m.contact.canonical() == "5511900000004@s.whatsapp.net");
  CHECK(m.push_name == "João Teste");
  CHECK(content_of<evo::text_content>(e).text == "@100000000000000 vocês abrem amanhã?");
  CHECK(e.message_id() == "3A1D2E3F4A5B6C7D8E9F");
}

TEST_CASE("a status broadcast is a broadcast message naming the poster") {
  auto e = parse_sample("messages-upsert-status-broadcast.json");
  CHECK(e.kind == event_kind::broadcast_message);
  CHECK(evo::ignore_reason(e) == std::optional<std::string_view>("broadcast"));
  const auto& m = message_of(e);
  CHECK(m.chat == evo::chat_kind::broadcast);
  CHECK(m.chat_jid == "status@broadcast");
  CHECK(m.contact.lid == "100000000000005@lid");
  CHECK(m.contact.phone_jid == "5511900000005@s.whatsapp.net");
  CHECK(content_of<evo::text_content>(e).text == "Bom dia! Promoção de hoje no meu perfil");
}

TEST_CASE("a newsletter message is treated as a broadcast") {
  json body = sample_json("messages-upsert-text.json");
  body["data"]["key"]["remoteJid"] = "120363000000000009@newsletter";
  body["data"]["key"].erase("remoteJidAlt");
  auto e = parse_ok(body.dump());
  CHECK(e.kind == event_kind::broadcast_message);
  CHECK(message_of(e).chat == evo::chat_kind::newsletter);
  CHECK(message_of(e).contact.empty());
}

TEST_CASE("send.message is an own send carrying the sent key.id") {
  auto e = parse_sample("send-message.json");
  CHECK(e.kind == event_kind::own_send);
  CHECK(evo::ignore_reason(e) == std::optional<std::string_view>("own_send"));
  CHECK(e.message_id() == "3EB0C4D2A91F7E3B5A6C10");
  const auto& m = message_of(e);
  CHECK(m.key.from_me);
  CHECK(m.contact.phone_jid == "5511900000001@s.whatsapp.net");
  CHECK(content_of<evo::text_content>(e).text == "Recebemos seu pedido! Em instantes confirmamos.");
  CHECK(m.timestamp == 1764929762);
}

TEST_CASE("content aibud does not handle is an unsupported message naming its type") {
  json body = sample_json("messages-upsert-text.json");
  body["data"]["message"] = {{"stickerMessage", {{"mimetype", "image/webp"}}}};
  body["data"]["messageType"] = "stickerMessage";
  auto sticker = parse_ok(body.dump());
  CHECK(sticker.kind == event_kind::unsupported_message);
  CHECK(evo::ignore_reason(sticker) == std::optional<std::string_view>("unsupported_message"));
  CHECK(content_of<evo::unsupported_content>(sticker).message_type == "stickerMessage");
  CHECK(sticker.message_id() == "3A5F0C1B2D3E4F5A6B7C");

  body["data"]["message"] = {{"messageContextInfo", json::object()}};
  body["data"]["messageType"] = "unknown";
  CHECK(parse_ok(body.dump()).kind == event_kind::unsupported_message);

  body["data"].erase("message");
  body["data"].erase("messageType");
  auto empty = parse_ok(body.dump());
  CHECK(content_of<evo::unsupported_content>(empty).message_type == "unknown");
}

TEST_CASE("an inbound poll creation from a contact is unsupported") {
  json body = sample_json("messages-upsert-text.json");
  body["data"]["message"] = sample_json("send-poll-response.json")["message"];
  auto e = parse_ok(body.dump());
  CHECK(e.kind == event_kind::unsupported_message);
  CHECK(std::holds_alternative<evo::poll_creation_content>(message_of(e).content));
}

TEST_CASE("ephemeral and view-once wrappers are unwrapped") {
  json body = sample_json("messages-upsert-image.json");
  json image = body["data"]["message"]["imageMessage"];
  body["data"]["message"].erase("imageMessage");
  body["data"]["message"]["ephemeralMessage"] = {
      {"message", {{"viewOnceMessageV2", {{"message", {{"imageMessage", image}}}}}}}};
  auto e = parse_ok(body.dump());
  CHECK(e.kind == event_kind::inbound_message);
  CHECK(content_of<evo::image_content>(e).caption == "Foto do produto com defeito");
}

TEST_CASE("connection.update carries state, reason and owner") {
  auto e = parse_sample("connection-update.json");
  CHECK(e.kind == event_kind::connection_update);
  CHECK_FALSE(evo::ignore_reason(e));
  CHECK(e.message_id().empty());
  REQUIRE(e.as_connection());
  CHECK(e.as_connection()->state == "open");
  CHECK(e.as_connection()->status_reason == 200);
  CHECK(e.as_connection()->owner_jid == "5511900000000@s.whatsapp.net");
  CHECK(e.as_connection()->profile_name == "Loja Exemplo");

  json close = {{"event", "connection.update"},
                {"instance", "acme-bot"},
                {"data", {{"instance", "acme-bot"}, {"state", "close"}, {"statusReason", 401}}}};
  auto closed = parse_ok(close.dump(), "connection-update");
  CHECK(closed.as_connection()->state == "close");
  CHECK(closed.as_connection()->status_reason == 401);
}

TEST_CASE("qrcode.updated carries the QR image, its code and the pairing code") {
  auto e = parse_sample("qrcode-updated.json");
  CHECK(e.kind == event_kind::qrcode_updated);
  CHECK(e.owner_jid.empty());  // no sender before login
  REQUIRE(e.as_qrcode());
  const auto& qr = *e.as_qrcode();
  CHECK(qr.code.rfind("2@oYA3zlvsCN2xy5SsJYxAMdJKfa1Z8nry8mX2E9jylihX6ys7qGwGt733UPNV,", 0) == 0);
  CHECK(qr.data_url.rfind("data:image/png;base64,iVBORw0KGgo", 0) == 0);
  CHECK(qr.png_base64.rfind("iVBORw0KGgo", 0) == 0);
  CHECK(qr.pairing_code.empty());
  CHECK_FALSE(qr.limit_reached);

  json body = sample_json("qrcode-updated.json");
  body["data"]["qrcode"]["pairingCode"] = "WZYEH1YY";
  CHECK(parse_ok(body.dump()).as_qrcode()->pairing_code == "WZYEH1YY");
}

TEST_CASE("the QR limit notice is a qrcode update without a QR") {
  json body = sample_json("qrcode-updated.json");
  body["data"] = {{"message", "QR code limit reached, please login again"}, {"statusCode", 500}};
  auto e = parse_ok(body.dump());
  CHECK(e.kind == event_kind::qrcode_updated);
  CHECK(e.as_qrcode()->limit_reached);
  CHECK(e.as_qrcode()->message == "QR code limit reached, please login again");
}

TEST_CASE("events aibud does not handle are unsupported whatever their data") {
  json body = {{"event", "contacts.upsert"},
               {"instance", "acme-bot"},
               {"data", {{{"remoteJid", "5511900000001@s.whatsapp.net"}}}}};
  auto e = parse_ok(body.dump(), "contacts-upsert");
  CHECK(e.kind == event_kind::unsupported_event);
  CHECK(e.name == "contacts.upsert");
  CHECK(e.as_message() == nullptr);
}

TEST_CASE("the byEvents suffix must name the body's event") {
  for (const auto& name : evo::testing::webhook_samples()) {
    json body = sample_json(name);
    std::string slug = evo::event_slug(body["event"].get<std::string>());
    CAPTURE(name);
    CHECK(evo::parse_webhook(sample_text(name), slug).ok());
  }
  CHECK(rejection(sample_text("connection-update.json"), "messages-upsert") ==
        "invalid_payload|event: \"connection.update\" does not match the route suffix "
        "\"messages-upsert\"");
  CHECK(rejection(sample_text("messages-upsert-text.json"), "send-message")
            .rfind("invalid_payload|event:", 0) == 0);
}

TEST_CASE("the stored payload is the envelope without apikey") {
  json body = sample_json("messages-upsert-text.json");
  body["apikey"] = "B6D711FCDE4D4FD5936544120E713976";
  auto e = parse_ok(body.dump());
  CHECK(e.stored_payload.find("B6D711FCDE4D4FD5936544120E713976") == std::string::npos);
  json stored = json::parse(e.stored_payload);
  CHECK_FALSE(stored.contains("apikey"));
  body.erase("apikey");
  CHECK(stored == body);
  CHECK(json::parse(evo::strip_apikey(sample_json("connection-update.json"))).contains("apikey") ==
        false);
}

TEST_CASE("bodies that are not JSON are invalid_json") {
  CHECK(rejection("") == "invalid_json|body: empty");
  const std::string text = sample_text("messages-upsert-text.json");
  CHECK(rejection(text.substr(0, text.size() / 2)) == "invalid_json|body: not valid JSON");
  CHECK(rejection("{\"event\":") == "invalid_json|body: not valid JSON");
  CHECK(rejection("hello") == "invalid_json|body: not valid JSON");
  CHECK(rejection(text + "}") == "invalid_json|body: not valid JSON");
}

TEST_CASE("JSON of the wrong shape is invalid_payload naming the field") {
  json base = sample_json("messages-upsert-text.json");
  auto with = [&](auto&& change) {
    json body = base;
    change(body);
    return rejection(body.dump());
  };
  CHECK(rejection("[]") == "invalid_payload|body: expected a JSON object");
  CHECK(rejection("42") == "invalid_payload|body: expected a JSON object");
  CHECK(with([](json& b) { b["data"]["key"].erase("id"); }) ==
        "invalid_payload|data.key.id: expected a non-empty string");
  CHECK(with([](json& b) { b["data"]["key"]["id"] = 12345; }) ==
        "invalid_payload|data.key.id: expected a non-empty string");
  CHECK(with([](json& b) { b["data"]["key"]["id"] = ""; }) ==
        "invalid_payload|data.key.id: expected a non-empty string");
  CHECK(with([](json& b) { b["data"]["key"]["remoteJid"] = nullptr; }) ==
        "invalid_payload|data.key.remoteJid: expected a non-empty string");
  CHECK(with([](json& b) { b["data"]["key"]["fromMe"] = "false"; }) ==
        "invalid_payload|data.key.fromMe: expected a boolean");
  CHECK(with([](json& b) { b["data"]["key"] = "3A5F"; }) ==
        "invalid_payload|data.key: expected an object");
  CHECK(with([](json& b) { b["data"] = "text"; }) == "invalid_payload|data: expected an object");
  CHECK(with([](json& b) { b["data"] = json::array(); }) ==
        "invalid_payload|data: expected an object");
  CHECK(with([](json& b) { b.erase("data"); }) == "invalid_payload|data: missing");
  CHECK(with([](json& b) { b["data"] = nullptr; }) == "invalid_payload|data: missing");
  CHECK(with([](json& b) { b.erase("event"); }) ==
        "invalid_payload|event: expected a non-empty string");
  CHECK(with([](json& b) { b["event"] = 1; }) ==
        "invalid_payload|event: expected a non-empty string");
  CHECK(with([](json& b) { b["instance"] = json::object(); }) ==
        "invalid_payload|instance: expected a non-empty string");
  CHECK(with([](json& b) { b["data"]["messageTimestamp"] = "soon"; }) ==
        "invalid_payload|data.messageTimestamp: expected an integer (epoch seconds)");
}

TEST_CASE("a poll vote without its poll id is invalid_payload") {
  json body = sample_json("poll-vote.json");
  body["data"]["message"]["pollUpdateMessage"]["pollCreationMessageKey"].erase("id");
  CHECK(rejection(body.dump()) ==
        "invalid_payload|data.message.pollUpdateMessage.pollCreationMessageKey.id: expected a "
        "non-empty string");
}

TEST_CASE("connection and QR events without their fields are invalid_payload") {
  json conn = sample_json("connection-update.json");
  conn["data"].erase("state");
  CHECK(rejection(conn.dump()) == "invalid_payload|data.state: expected a non-empty string");
  conn = sample_json("connection-update.json");
  conn["data"]["statusReason"] = "two hundred";
  CHECK(rejection(conn.dump()) == "invalid_payload|data.statusReason: expected an integer");
  json qr = sample_json("qrcode-updated.json");
  qr["data"] = json::object();
  CHECK(rejection(qr.dump()) == "invalid_payload|data.qrcode: expected an object");
}

TEST_CASE("absurdly nested JSON is refused without recursing") {
  std::string deep = R"({"event":"contacts.upsert","instance":"acme-bot","data":)";
  deep += std::string(100000, '[') + std::string(100000, ']') + "}";
  CHECK(rejection(deep) == "invalid_payload|body: nested too deeply");
}

TEST_CASE("the timestamp is accepted in every int64 encoding") {
  json body = sample_json("messages-upsert-text.json");
  for (const json& ts : {json(1764929732), json("1764929732"), json(1764929732.0),
                         json::parse(R"({"low":1764929732,"high":0,"unsigned":true})")}) {
    body["data"]["messageTimestamp"] = ts;
    CAPTURE(ts.dump());
    CHECK(message_of(parse_ok(body.dump())).timestamp == 1764929732);
  }
  body["data"].erase("messageTimestamp");
  CHECK_FALSE(message_of(parse_ok(body.dump())).timestamp);
}

TEST_CASE("binary and int64 fields parse in the encodings of older releases") {
  json body = sample_json("messages-upsert-audio.json");
  json& audio = body["data"]["message"]["audioMessage"];
  // ≤ 2.3.2: bytes as base64, int64 as decimal strings.
  audio["fileLength"] = "18342";
  audio["mediaKey"] = "7Bu+ChSuyS//NP9KxAr1U1Pf5FzP1JIOQ6P0Qm9GV1w=";
  audio["mediaKeyTimestamp"] = "1764929911";
  CHECK(content_of<evo::audio_content>(parse_ok(body.dump())).file_length == 18342);
  // 2.3.3 - 2.3.5: plain numbers.
  audio["fileLength"] = 18342;
  audio["seconds"] = "7";
  auto e = parse_ok(body.dump());
  CHECK(content_of<evo::audio_content>(e).file_length == 18342);
  CHECK(content_of<evo::audio_content>(e).seconds == 7);

  json vote = sample_json("poll-vote.json");
  vote["data"]["message"]["pollUpdateMessage"]["senderTimestampMs"] = "1764930211588";
  vote["data"]["message"]["pollUpdateMessage"]["vote"]["encPayload"] = "MjCQPcs96GjcvFDLY82c9Q==";
  CHECK(content_of<evo::poll_vote_content>(parse_ok(vote.dump())).sender_timestamp_ms ==
        1764930211588);
  vote["data"]["message"]["pollUpdateMessage"]["senderTimestampMs"] = 1764930211588;
  CHECK(content_of<evo::poll_vote_content>(parse_ok(vote.dump())).sender_timestamp_ms ==
        1764930211588);
}

TEST_CASE("UPPER_SNAKE event names are understood") {
  json body = sample_json("messages-upsert-text.json");
  body["event"] = "MESSAGES_UPSERT";
  auto e = parse_ok(body.dump(), "messages-upsert");
  CHECK(e.kind == event_kind::inbound_message);
  CHECK(e.name == "MESSAGES_UPSERT");
}

TEST_CASE("error codes and details are read back from any error") {
  aibud::error other = aibud::make_error(aibud::errc::internal, "boom");
  CHECK(evo::webhook_error_code(other).empty());
  CHECK(evo::webhook_error_detail(other) == "boom");
}
