#include "adapters/evolution/rest_client.hpp"

#include <doctest/doctest.h>

#include <mutex>
#include <optional>

#include "adapters/http/client.hpp"
#include "base/time.hpp"
#include "tests/evolution/samples.hpp"
#include "tests/support/fake_evolution.hpp"
#include "tests/support/process.hpp"

namespace evo = aibud::evolution;
using aibud::http_reply;
using aibud::testing::fake_evolution;
using aibud::testing::scripted_reply;
using aibud::testing::wait_until;
using evo::outcome_kind;
using evo::testing::sample_text;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

evo::endpoint test_endpoint() {
  evo::endpoint ep;
  ep.base_url = "http://evo.test:8080/";
  ep.api_key = "global-key-1234";
  ep.timeout = 30s;
  return ep;
}

std::string header_of(const aibud::http_call& call, const std::string& name) {
  for (const auto& [n, v] : call.headers)
    if (n == name) return v;
  return {};
}

json body_of(const aibud::http_call& call) {
  return json::parse(call.body);
}

http_reply reply(int status, std::string body,
                 std::vector<std::pair<std::string, std::string>> headers = {}) {
  http_reply r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

std::string error_body(int status, const json& message) {
  return json{{"status", status}, {"error", "x"}, {"response", {{"message", message}}}}.dump();
}

evo::send_text_request text_to(const std::string& number, const std::string& text) {
  evo::send_text_request req;
  req.number = number;
  req.text = text;
  return req;
}

// One callback's result, handed from the client's thread to the test.
template <class T>
class slot {
 public:
  evo::callback<T> callback() {
    return [this](evo::call_result<T> r) {
      std::lock_guard<std::mutex> lock(mutex_);
      value_ = std::move(r);
    };
  }
  evo::call_result<T> wait() {
    REQUIRE(wait_until([this] {
      std::lock_guard<std::mutex> lock(mutex_);
      return value_.has_value();
    }));
    std::lock_guard<std::mutex> lock(mutex_);
    return *value_;
  }

 private:
  std::mutex mutex_;
  std::optional<evo::call_result<T>> value_;
};

// A client and the fake it talks to.
struct against_fake {
  fake_evolution fake;
  aibud::http::client http;
  evo::evolution_client evolution{http.as_transport(), endpoint_for(fake)};

  static evo::endpoint endpoint_for(const fake_evolution& f) {
    evo::endpoint ep;
    ep.base_url = f.base_url();
    ep.api_key = f.config().global_key;
    ep.timeout = 10s;
    return ep;
  }

  evo::call_result<evo::sent_message> send_text(const std::string& number,
                                                const std::string& text) {
    slot<evo::sent_message> s;
    evolution.send_text(fake.config().instance, text_to(number, text), s.callback());
    return s.wait();
  }
};

}  // namespace

// --- builders ---------------------------------------------------------------------------

TEST_CASE("sendText is a POST with the apikey header and the documented body fields") {
  evo::send_text_request req;
  req.number = "5511900000001";
  req.text = "Olá!";
  req.delay_ms = 1200;
  req.link_preview = false;
  req.quoted_id = "3A5F0C1B2D3E4F5A6B7C";
  auto call = evo::send_text_call(test_endpoint(), "acme-bot", req);
  CHECK(call.method == "POST");
  CHECK(call.url == "http://evo.test:8080/message/sendText/acme-bot");
  CHECK(header_of(call, "apikey") == "global-key-1234");
  CHECK(header_of(call, "Content-Type") == "application/json");
  CHECK(call.timeout == 30s + 1200ms);  // Evolution sleeps `delay` before answering
  json body = body_of(call);
  CHECK(body["number"] == "5511900000001");
  CHECK(body["text"] == "Olá!");
  CHECK(body["delay"] == 1200);
  CHECK(body["linkPreview"] == false);
  CHECK(body["quoted"] == json{{"key", {{"id", "3A5F0C1B2D3E4F5A6B7C"}}}});
  CHECK_FALSE(body.contains("mentionsEveryOne"));
  CHECK_FALSE(body.contains("mentioned"));
}

TEST_CASE(
    "sendText leaves optional fields out unless asked, and sends mentions as Evolution reads "
    "them") {
  evo::send_text_request req;
  req.number = "5511900000001";
  req.text = "hi";
  json plain = body_of(evo::send_text_call(test_endpoint(), "acme-bot", req));
  CHECK(plain == json{{"number", "5511900000001"}, {"text", "hi"}});
  req.mentions_everyone = true;
  req.mentioned = {"5511900000002"};
  json mentions = body_of(evo::send_text_call(test_endpoint(), "acme-bot", req));
  CHECK(mentions["mentionsEveryOne"] == true);  // the code reads this name, not `everyOne`
  CHECK(mentions["mentioned"] == json::array({"5511900000002"}));
}

TEST_CASE("sendPoll carries the question, the options and the selectable count") {
  evo::send_poll_request req;
  req.number = "5511900000001";
  req.name = "Como prefere receber seu pedido?";
  req.values = {"Retirada na loja", "Entrega"};
  req.selectable_count = 1;
  auto call = evo::send_poll_call(test_endpoint(), "acme-bot", req);
  CHECK(call.url == "http://evo.test:8080/message/sendPoll/acme-bot");
  json body = body_of(call);
  CHECK(body == json{{"number", "5511900000001"},
                     {"name", "Como prefere receber seu pedido?"},
                     {"selectableCount", 1},
                     {"values", {"Retirada na loja", "Entrega"}}});
}

TEST_CASE("sendMedia sends mediatype, media, mimetype, fileName and caption") {
  evo::send_media_request req;
  req.number = "5511900000001";
  req.media_type = "document";
  req.media = "JVBERi0xLjQK";
  req.mimetype = "application/pdf";
  req.file_name = "orcamento.pdf";
  req.caption = "Seu orçamento";
  auto call = evo::send_media_call(test_endpoint(), "acme-bot", req);
  CHECK(call.url == "http://evo.test:8080/message/sendMedia/acme-bot");
  CHECK(body_of(call) == json{{"number", "5511900000001"},
                              {"mediatype", "document"},
                              {"media", "JVBERi0xLjQK"},
                              {"mimetype", "application/pdf"},
                              {"fileName", "orcamento.pdf"},
                              {"caption", "Seu orçamento"}});
}

TEST_CASE("sendPresence sends all three required fields and waits out its delay") {
  evo::send_presence_request req;
  req.number = "5511900000001";
  req.delay_ms = 2500;
  auto call = evo::send_presence_call(test_endpoint(), "acme-bot", req);
  CHECK(call.url == "http://evo.test:8080/chat/sendPresence/acme-bot");
  CHECK(body_of(call) ==
        json{{"number", "5511900000001"}, {"presence", "composing"}, {"delay", 2500}});
  CHECK(call.timeout == 30s + 2500ms);
}

TEST_CASE("getBase64FromMediaMessage names the message by key.id only") {
  auto call = evo::get_base64_call(test_endpoint(), "acme-bot", "3A6B7C8D9E0F1A2B3C4D");
  CHECK(call.url == "http://evo.test:8080/chat/getBase64FromMediaMessage/acme-bot");
  CHECK(body_of(call) ==
        json{{"message", {{"key", {{"id", "3A6B7C8D9E0F1A2B3C4D"}}}}}, {"convertToMp4", false}});
}

TEST_CASE("findMessages asks for our own messages to a chat with both time bounds in epoch ms") {
  evo::find_messages_query q;
  q.remote_jid = "5511900000001@s.whatsapp.net";
  q.since_ms = 1764929700000;
  q.until_ms = 1764930000000;
  auto call = evo::find_messages_call(test_endpoint(), "acme-bot", q);
  CHECK(call.url == "http://evo.test:8080/chat/findMessages/acme-bot");
  json body = body_of(call);
  CHECK(body["where"]["key"] ==
        json{{"remoteJid", "5511900000001@s.whatsapp.net"}, {"fromMe", true}});
  CHECK(body["where"]["messageTimestamp"] == json{{"gte", 1764929700000}, {"lte", 1764930000000}});
  CHECK(body["where"]["messageTimestamp"]["gte"].is_number_integer());
  CHECK(body["page"] == 1);
  CHECK(body["offset"] == 50);

  q.remote_jid.clear();
  q.from_me_only = false;
  json loose = body_of(evo::find_messages_call(test_endpoint(), "acme-bot", q));
  CHECK_FALSE(loose["where"].contains("key"));  // fromMe:false would be ignored anyway
}

TEST_CASE("the reconciliation window is widened on both sides for clock skew") {
  auto q = evo::reconciliation_query("5511900000001@s.whatsapp.net", 1000000000, 1000060000);
  CHECK(q.remote_jid == "5511900000001@s.whatsapp.net");
  CHECK(q.from_me_only);
  CHECK(q.since_ms == 1000000000 - 120000);
  CHECK(q.until_ms == 1000060000 + 120000);
}

TEST_CASE("instance create sends the integration and the webhook nested, with events") {
  evo::create_instance_request req;
  req.instance_name = "acme-bot";
  req.qrcode = true;
  req.groups_ignore = true;
  req.webhook =
      evo::aibud_webhook("https://aibud.example/webhook/evolution/acme-bot", "s3cr3t-value");
  auto call = evo::create_instance_call(test_endpoint(), req);
  CHECK(call.method == "POST");
  CHECK(call.url == "http://evo.test:8080/instance/create");
  json body = body_of(call);
  CHECK(body["instanceName"] == "acme-bot");
  CHECK(body["integration"] == "WHATSAPP-BAILEYS");
  CHECK(body["qrcode"] == true);
  CHECK(body["groupsIgnore"] == true);
  CHECK_FALSE(body.contains("token"));
  CHECK_FALSE(body.contains("webhookUrl"));  // the flat form is ignored by Evolution
  const json& w = body["webhook"];
  CHECK(w["url"] == "https://aibud.example/webhook/evolution/acme-bot");
  CHECK(w["byEvents"] == false);
  CHECK(w["base64"] == false);
  CHECK(w["enabled"] == true);
  CHECK(w["events"] == json::array({"MESSAGES_UPSERT", "CONNECTION_UPDATE", "QRCODE_UPDATED"}));
  CHECK(w["headers"] == json{{"X-Aibud-Secret", "s3cr3t-value"}, {"jwt_key", "s3cr3t-value"}});
}

TEST_CASE("webhook/set wraps the settings in `webhook` and always sends events") {
  evo::webhook_settings s = evo::aibud_webhook("https://aibud.example/wh", "secret-xyz");
  s.events.clear();
  auto call = evo::set_webhook_call(test_endpoint(), "acme-bot", s);
  CHECK(call.url == "http://evo.test:8080/webhook/set/acme-bot");
  json body = body_of(call);
  REQUIRE(body.contains("webhook"));
  CHECK(body.size() == 1);
  CHECK(body["webhook"]["events"] == json::array());
  CHECK(body["webhook"]["byEvents"] == false);
  CHECK_FALSE(body["webhook"].contains("webhookByEvents"));
}

TEST_CASE("connect and connectionState are GETs; names and pairing numbers are escaped") {
  auto connect = evo::connect_call(test_endpoint(), "acme bot/2", "5511900000000");
  CHECK(connect.method == "GET");
  CHECK(connect.body.empty());
  CHECK(connect.url == "http://evo.test:8080/instance/connect/acme%20bot%2F2?number=5511900000000");
  auto state = evo::connection_state_call(test_endpoint(), "acme-bot");
  CHECK(state.method == "GET");
  CHECK(state.url == "http://evo.test:8080/instance/connectionState/acme-bot");
  CHECK(header_of(state, "apikey") == "global-key-1234");
}

// --- classification ---------------------------------------------------------------------

TEST_CASE("a 2xx is ok; a transport failure is retryable and keeps the timeout flag") {
  CHECK(evo::classify_reply(reply(201, sample_text("send-text-response.json"))).ok());
  http_reply timed_out;
  timed_out.transport_error = "Operation timed out";
  timed_out.timed_out = true;
  auto o = evo::classify_reply(timed_out);
  CHECK(o.kind == outcome_kind::retryable);
  CHECK(o.timed_out);
  CHECK(o.http_status == 0);
  CHECK(o.message == "Operation timed out");
}

TEST_CASE("5xx, 408 and 429 are retryable, with Retry-After when the server gives one") {
  CHECK(evo::classify_reply(reply(503, "<html>Service Unavailable</html>")).kind ==
        outcome_kind::retryable);
  CHECK(evo::classify_reply(reply(502, "")).kind == outcome_kind::retryable);
  CHECK(evo::classify_reply(reply(408, "")).kind == outcome_kind::retryable);
  auto limited = evo::classify_reply(reply(429, "", {{"retry-after", "7"}}));
  CHECK(limited.kind == outcome_kind::retryable);
  REQUIRE(limited.retry_after);
  CHECK(*limited.retry_after == 7s);
}

TEST_CASE("Retry-After is read as seconds or as an HTTP date") {
  CHECK(evo::parse_retry_after("120", 0) == std::chrono::milliseconds(120000));
  const std::int64_t now = 784111777000;  // Sun, 06 Nov 1994 08:49:37 GMT
  CHECK(evo::parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now) ==
        std::chrono::milliseconds(30000));
  CHECK(evo::parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now) ==
        std::chrono::milliseconds(0));
  CHECK_FALSE(evo::parse_retry_after("soon", now));
  CHECK_FALSE(evo::parse_retry_after("", now));
}

TEST_CASE("401 and 403 on the apikey mark the instance unauthorized") {
  auto o = evo::classify_reply(reply(401, sample_text("error-401.json")));
  CHECK(o.kind == outcome_kind::unauthorized);
  CHECK(o.http_status == 401);
  CHECK(o.message == "Unauthorized");
  CHECK(evo::classify_reply(reply(403, error_body(403, "Forbidden"))).kind ==
        outcome_kind::unauthorized);
}

TEST_CASE("instance not connected, as 400 or as 500, waits for the connection") {
  auto as_400 = evo::classify_reply(
      reply(400, error_body(400, json::array({"The \"acme-bot\" instance is not connected"}))));
  CHECK(as_400.kind == outcome_kind::not_connected);
  auto as_500 = evo::classify_reply(reply(500, error_body(500, "Connection Closed")));
  CHECK(as_500.kind == outcome_kind::not_connected);
  CHECK(as_500.message == "Connection Closed");
}

TEST_CASE("an unknown instance is not_found; an unknown route is rejected") {
  auto missing = evo::classify_reply(
      reply(404, error_body(404, json::array({"The \"acme-bot\" instance does not exist"}))));
  CHECK(missing.kind == outcome_kind::not_found);
  auto route = evo::classify_reply(
      reply(404, error_body(404, json::array({"Cannot POST /message/sendTxt/acme-bot"}))));
  CHECK(route.kind == outcome_kind::rejected);
}

TEST_CASE("other 4xx are final: validation, unknown number, name in use") {
  auto invalid = evo::classify_reply(reply(400, sample_text("error-400.json")));
  CHECK(invalid.kind == outcome_kind::rejected);
  CHECK(invalid.message == "instance requires property \"text\"");
  auto number = evo::classify_reply(
      reply(400, error_body(400, json::array({{{"jid", "5511900000009@s.whatsapp.net"},
                                               {"exists", false},
                                               {"number", "5511900000009"}}}))));
  CHECK(number.kind == outcome_kind::rejected);
  CHECK(number.failure == evo::failure_kind::number_not_on_whatsapp);
  auto in_use = evo::classify_reply(
      reply(403, error_body(403, json::array({"This name \"acme-bot\" is already in use."}))));
  CHECK(in_use.kind == outcome_kind::rejected);
  CHECK(in_use.failure == evo::failure_kind::conflict);
  CHECK(evo::classify_reply(reply(422, "{}")).kind == outcome_kind::rejected);
}

TEST_CASE("connect answers are a QR to show or the state open") {
  auto qr = evo::parse_connect(
      R"({"pairingCode":"WZYEH1YY","code":"2@abc","base64":"data:image/png;base64,iVBOR","count":2})");
  REQUIRE(qr.ok());
  CHECK_FALSE(qr->already);
  CHECK(qr->code == "2@abc");
  CHECK(qr->qr_base64 == "iVBOR");
  CHECK(qr->pairing_code == "WZYEH1YY");
  CHECK(qr->count == 2);
  auto open = evo::parse_connect(R"({"instance":{"instanceName":"acme-bot","state":"open"}})");
  REQUIRE(open.ok());
  REQUIRE(open->already);
  CHECK(open->already->state == "open");
  CHECK(evo::parse_connect(R"({"count":0})")->code.empty());
  auto failed = evo::parse_connect(R"({"error":true,"message":"boom"})");
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.err().code == aibud::errc::unavailable);
}

TEST_CASE(
    "a findMessages page yields the key.id of our message with the same text to a known JID") {
  auto page = evo::parse_find_messages(sample_text("find-messages-response.json"));
  REQUIRE(page.ok());
  const std::vector<std::string> jids = {"100000000000001@lid", "5511900000001@s.whatsapp.net"};
  CHECK(evo::find_sent_text(*page, jids, "Recebemos seu pedido! Em instantes confirmamos.") ==
        "3EB0C4D2A91F7E3B5A6C10");
  CHECK_FALSE(evo::find_sent_text(*page, jids, "Olá, quero fazer um pedido"));  // not ours
  CHECK_FALSE(evo::find_sent_text(*page, {"5511900000002@s.whatsapp.net"},
                                  "Recebemos seu pedido! Em instantes confirmamos."));
}

TEST_CASE("a findMessages page yields our poll by its question and options, in any version") {
  auto page =
      evo::parse_find_messages(R"({"messages":{"total":3,"pages":1,"currentPage":1,"records":[
    {"id":"cm1","key":{"id":"3EB0POLLV3","fromMe":true,"remoteJid":"5511900000001@s.whatsapp.net"},
     "pushName":"Você","messageType":"pollCreationMessageV3",
     "message":{"messageContextInfo":{"messageSecret":"c2VjcmV0"},
                "pollCreationMessageV3":{"name":"Que tipo de imóvel?","selectableOptionsCount":1,
                  "options":[{"optionName":"Apartamento"},{"optionName":"Casa"}]}},
     "messageTimestamp":1764930934,"instanceId":"i","source":"web","contextInfo":null,"MessageUpdate":[]},
    {"id":"cm2","key":{"id":"3EB0POLLMULTI","fromMe":true,"remoteJid":"5511900000001@s.whatsapp.net"},
     "pushName":"Você","messageType":"pollCreationMessage",
     "message":{"pollCreationMessage":{"name":"Quando?","selectableOptionsCount":0,
                  "options":[{"optionName":"Já"},{"optionName":"Depois"}]}},
     "messageTimestamp":1764930930,"instanceId":"i","source":"web","contextInfo":null,"MessageUpdate":[]},
    {"id":"cm3","key":{"id":"3A0THEIRS","fromMe":false,"remoteJid":"5511900000001@s.whatsapp.net"},
     "pushName":"Ana","messageType":"conversation","message":{"conversation":"Que tipo de imóvel?"},
     "messageTimestamp":1764930920,"instanceId":"i","source":"android","contextInfo":null,"MessageUpdate":[]}]}})");
  REQUIRE(page.ok());
  const std::vector<std::string> jids = {"5511900000001@s.whatsapp.net"};
  CHECK(evo::find_sent_poll(*page, jids, "Que tipo de imóvel?", {"Apartamento", "Casa"}) ==
        "3EB0POLLV3");
  CHECK(evo::find_sent_poll(*page, jids, "Quando?", {"Já", "Depois"}) == "3EB0POLLMULTI");
  // Other options, another chat, or a text with the question's words: not our poll.
  CHECK_FALSE(evo::find_sent_poll(*page, jids, "Que tipo de imóvel?", {"Casa", "Apartamento"}));
  CHECK_FALSE(
      evo::find_sent_poll(*page, {"5511900000002@s.whatsapp.net"}, "Quando?", {"Já", "Depois"}));
  CHECK_FALSE(evo::find_sent_text(*page, jids, "Que tipo de imóvel?"));
}

TEST_CASE("a findMessages lookup passes over the sends it is told are others") {
  auto page =
      evo::parse_find_messages(R"({"messages":{"total":2,"pages":1,"currentPage":1,"records":[
    {"id":"cm1","key":{"id":"3EB0NEWER","fromMe":true,"remoteJid":"5511900000001@s.whatsapp.net"},
     "pushName":"Você","messageType":"conversation","message":{"conversation":"Olá! Como posso ajudar?"},
     "messageTimestamp":1764930934,"instanceId":"i","source":"web","contextInfo":null,"MessageUpdate":[]},
    {"id":"cm2","key":{"id":"3EB0OLDER","fromMe":true,"remoteJid":"5511900000001@s.whatsapp.net"},
     "pushName":"Você","messageType":"conversation","message":{"conversation":"Olá! Como posso ajudar?"},
     "messageTimestamp":1764930934,"instanceId":"i","source":"web","contextInfo":null,"MessageUpdate":[]}]}})");
  REQUIRE(page.ok());
  const std::vector<std::string> jids = {"5511900000001@s.whatsapp.net"};
  CHECK(evo::find_sent_text(*page, jids, "Olá! Como posso ajudar?") == "3EB0NEWER");
  CHECK(evo::find_sent_text(*page, jids, "Olá! Como posso ajudar?", {"3EB0NEWER"}) == "3EB0OLDER");
  CHECK_FALSE(
      evo::find_sent_text(*page, jids, "Olá! Como posso ajudar?", {"3EB0OLDER", "3EB0NEWER"}));
}

// --- against the fake server -------------------------------------------------------------

TEST_CASE("send_text through the fake returns the key.id the server assigned") {
  against_fake f;
  auto first = f.send_text("5511900000001", "Olá, tudo bem?");
  REQUIRE(first.ok());
  CHECK(first.status.http_status == 201);
  CHECK(first.value.id.rfind("3EB0", 0) == 0);
  CHECK(first.value.remote_jid == "5511900000001@s.whatsapp.net");
  CHECK(evo::text_of(first.value.content) == "Olá, tudo bem?");
  auto second = f.send_text("5511900000001", "De novo");
  REQUIRE(second.ok());
  CHECK(second.value.id != first.value.id);

  auto stored = f.fake.stored("acme-bot");
  REQUIRE(stored.size() == 2);
  CHECK(stored[0].key_id == first.value.id);
  auto sent = f.fake.requests_to("/message/sendText/acme-bot");
  REQUIRE(sent.size() == 2);
  CHECK(sent[0].header("apikey") == "test-global-key");
  CHECK(sent[0].json()["text"] == "Olá, tudo bem?");
}

TEST_CASE("send_poll through the fake returns the poll's key.id and its options") {
  against_fake f;
  slot<evo::sent_message> s;
  evo::send_poll_request req;
  req.number = "5511900000001";
  req.name = "Como prefere receber seu pedido?";
  req.values = {"Retirada na loja", "Entrega"};
  f.evolution.send_poll("acme-bot", req, s.callback());
  auto r = s.wait();
  REQUIRE(r.ok());
  CHECK(r.value.message_type == "pollCreationMessageV3");
  const auto* poll = std::get_if<evo::poll_creation_content>(&r.value.content);
  REQUIRE(poll);
  CHECK(poll->options == std::vector<std::string>{"Retirada na loja", "Entrega"});
  CHECK(f.fake.stored("acme-bot").at(0).key_id == r.value.id);
}

TEST_CASE("a 503 from the fake is retryable and the next call succeeds") {
  against_fake f;
  f.fake.fail_next(scripted_reply::unavailable(), 1, "sendText");
  auto failed = f.send_text("5511900000001", "first try");
  CHECK(failed.status.kind == outcome_kind::retryable);
  CHECK(failed.status.http_status == 503);
  CHECK(f.fake.stored("acme-bot").empty());
  auto retried = f.send_text("5511900000001", "first try");
  CHECK(retried.ok());
}

TEST_CASE("a wrong apikey is unauthorized; a scripted 401 is too") {
  against_fake f;
  evo::endpoint wrong = against_fake::endpoint_for(f.fake);
  wrong.api_key = "not-the-key";
  evo::evolution_client stranger(f.http.as_transport(), wrong);
  slot<evo::sent_message> s;
  stranger.send_text("acme-bot", text_to("5511900000001", "hi"), s.callback());
  auto denied = s.wait();
  CHECK(denied.status.kind == outcome_kind::unauthorized);
  CHECK(denied.status.http_status == 401);

  f.fake.fail_next(scripted_reply::unauthorized());
  CHECK(f.send_text("5511900000001", "hi").status.kind == outcome_kind::unauthorized);
  CHECK(f.fake.stored("acme-bot").empty());
}

TEST_CASE("an instance that is not connected gives not_connected, as 400 or 500") {
  against_fake f;
  f.fake.set_state("acme-bot", "close");
  auto closed = f.send_text("5511900000001", "hi");
  CHECK(closed.status.kind == outcome_kind::not_connected);
  CHECK(closed.status.http_status == 400);
  f.fake.set_state("acme-bot", "open");
  f.fake.fail_next(scripted_reply::not_connected(500));
  CHECK(f.send_text("5511900000001", "hi").status.kind == outcome_kind::not_connected);
  CHECK(f.send_text("5511900000001", "hi").ok());
}

TEST_CASE("a 429 from the fake carries its Retry-After to the caller") {
  against_fake f;
  f.fake.fail_next(scripted_reply::rate_limited(12));
  auto limited = f.send_text("5511900000001", "hi");
  CHECK(limited.status.kind == outcome_kind::retryable);
  REQUIRE(limited.status.retry_after);
  CHECK(*limited.status.retry_after == 12s);
}

TEST_CASE("a reply slower than the call's timeout is a retryable timeout") {
  fake_evolution fake;
  aibud::http::client http;
  evo::endpoint ep = against_fake::endpoint_for(fake);
  ep.timeout = 200ms;
  evo::evolution_client evolution(http.as_transport(), ep);
  fake.fail_next(scripted_reply::slow(3s));
  slot<evo::sent_message> s;
  evolution.send_text("acme-bot", text_to("5511900000001", "slow"), s.callback());
  auto r = s.wait();
  CHECK(r.status.kind == outcome_kind::retryable);
  CHECK(r.status.timed_out);
}

TEST_CASE("an unknown instance is not_found even with a wrong key") {
  against_fake f;
  slot<evo::sent_message> s;
  evo::endpoint wrong = against_fake::endpoint_for(f.fake);
  wrong.api_key = "nope";
  evo::evolution_client stranger(f.http.as_transport(), wrong);
  stranger.send_text("ghost", text_to("5511900000001", "hi"), s.callback());
  CHECK(s.wait().status.kind == outcome_kind::not_found);
}

TEST_CASE("find_messages finds a sent message by its content, and only ours") {
  against_fake f;
  const std::int64_t intent_ms = aibud::time::now_ms();
  f.fake.add_incoming("acme-bot", "5511900000001@s.whatsapp.net", "Quanto vale meu apartamento?",
                      intent_ms / 1000);
  auto other = f.send_text("5511900000002", "Recebemos seu pedido!");
  auto sent = f.send_text("5511900000001", "Recebemos seu pedido!");
  REQUIRE(sent.ok());
  REQUIRE(other.ok());

  slot<evo::message_page> s;
  f.evolution.find_messages(
      "acme-bot",
      evo::reconciliation_query("5511900000001@s.whatsapp.net", intent_ms, aibud::time::now_ms()),
      s.callback());
  auto page = s.wait();
  REQUIRE(page.ok());
  CHECK(page.value.total == 1);  // the incoming message and the other chat are filtered out
  const std::vector<std::string> jids = {"5511900000001@s.whatsapp.net"};
  CHECK(evo::find_sent_text(page.value, jids, "Recebemos seu pedido!") == sent.value.id);
  CHECK_FALSE(evo::find_sent_text(page.value, jids, "Quanto vale meu apartamento?"));

  // A window before the send finds nothing.
  slot<evo::message_page> before;
  f.evolution.find_messages("acme-bot",
                            evo::reconciliation_query("5511900000001@s.whatsapp.net",
                                                      intent_ms - 3600000, intent_ms - 3600000),
                            before.callback());
  auto empty = before.wait();
  REQUIRE(empty.ok());
  CHECK(empty.value.records.empty());
}

TEST_CASE("get_base64 returns the fake's configured image") {
  against_fake f;
  f.fake.set_media("/9j/4AAQSkZJRgABAQ==", "image/jpeg");
  slot<evo::media_download> s;
  f.evolution.get_base64("acme-bot", "3A0000000000000000AA", s.callback());
  auto r = s.wait();
  REQUIRE(r.ok());
  CHECK(r.value.base64 == "/9j/4AAQSkZJRgABAQ==");
  CHECK(r.value.mimetype == "image/jpeg");
  CHECK(r.value.media_type == "imageMessage");
  auto asked = f.fake.requests_to("getBase64FromMediaMessage");
  REQUIRE(asked.size() == 1);
  CHECK(asked[0].json()["message"]["key"]["id"] == "3A0000000000000000AA");
}

TEST_CASE("a message without media is a final answer, not a retry") {
  against_fake f;  // no media configured: the fake answers `null`
  slot<evo::media_download> s;
  f.evolution.get_base64("acme-bot", "3A0000000000000000AB", s.callback());
  CHECK(s.wait().status.kind == outcome_kind::rejected);
}

TEST_CASE("an instance is created with its webhook, connected by QR, and its state read") {
  against_fake f;
  evo::create_instance_request req;
  req.instance_name = "new-bot";
  req.webhook =
      evo::aibud_webhook("http://127.0.0.1:8787/webhook/evolution/new-bot", "wh-secret-1");
  slot<evo::created_instance> created;
  f.evolution.create_instance(req, created.callback());
  auto c = created.wait();
  REQUIRE(c.ok());
  CHECK(c.value.instance_name == "new-bot");
  CHECK_FALSE(c.value.token.empty());
  REQUIRE(c.value.qrcode);
  CHECK_FALSE(c.value.qrcode->code.empty());
  CHECK(f.fake.webhook("new-bot")["headers"]["X-Aibud-Secret"] == "wh-secret-1");

  slot<evo::created_instance> again;
  f.evolution.create_instance(req, again.callback());
  auto dup = again.wait();
  CHECK(dup.status.kind == outcome_kind::rejected);
  CHECK(dup.status.failure == evo::failure_kind::conflict);

  slot<aibud::unit> hook;
  f.evolution.set_webhook("new-bot", evo::aibud_webhook("http://h/wh", "other-secret"),
                          hook.callback());
  CHECK(hook.wait().ok());
  CHECK(f.fake.webhook("new-bot")["url"] == "http://h/wh");

  slot<evo::connect_answer> qr;
  f.evolution.connect("new-bot", "", qr.callback());
  auto q = qr.wait();
  REQUIRE(q.ok());
  CHECK_FALSE(q.value.already);
  CHECK(q.value.code.rfind("2@", 0) == 0);

  f.fake.set_state("new-bot", "open");
  slot<evo::connection_state> state;
  f.evolution.connection_state_of("new-bot", state.callback());
  auto st = state.wait();
  REQUIRE(st.ok());
  CHECK(st.value.state == "open");
  slot<evo::connect_answer> open;
  f.evolution.connect("new-bot", "", open.callback());
  auto o = open.wait();
  REQUIRE(o.ok());
  REQUIRE(o.value.already);
  CHECK(o.value.already->state == "open");
}

TEST_CASE("send_presence waits for the fake's answer and reports ok") {
  against_fake f;
  slot<aibud::unit> s;
  evo::send_presence_request req;
  req.number = "5511900000001";
  req.delay_ms = 50;
  f.evolution.send_presence("acme-bot", req, s.callback());
  CHECK(s.wait().ok());
  auto asked = f.fake.requests_to("sendPresence");
  REQUIRE(asked.size() == 1);
  CHECK(asked[0].json()["presence"] == "composing");
}
