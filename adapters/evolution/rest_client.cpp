#include "adapters/evolution/rest_client.hpp"

#include <time.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <nlohmann/json.hpp>

#include "adapters/evolution/json_fields_internal.hpp"
#include "base/json_text.hpp"
#include "base/time.hpp"

namespace aibud::evolution {

namespace {

using detail::json;
using detail::member;
using detail::object_member;
using detail::string_or_empty;

// Instance names are chosen by users; anything but unreserved characters is escaped so a
// name can never reach another route.
std::string path_segment(std::string_view text) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0xF];
    }
  }
  return out;
}

std::string url_of(const endpoint& ep, std::string_view route, std::string_view instance = {}) {
  std::string url = ep.base_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  url += route;
  if (!instance.empty()) {
    url += '/';
    url += path_segment(instance);
  }
  return url;
}

http_call make_call(const endpoint& ep, std::string method, std::string url,
                    std::int64_t extra_ms = 0) {
  http_call call;
  call.method = std::move(method);
  call.url = std::move(url);
  call.headers = {{"apikey", ep.api_key}, {"Accept", "application/json"}};
  call.connect_timeout = ep.connect_timeout;
  call.timeout = ep.timeout + std::chrono::milliseconds(std::max<std::int64_t>(extra_ms, 0));
  return call;
}

http_call post_json(const endpoint& ep, std::string url, const json& body,
                    std::int64_t extra_ms = 0) {
  http_call call = make_call(ep, "POST", std::move(url), extra_ms);
  call.headers.emplace_back("Content-Type", "application/json");
  call.body = json_text::dump(body);
  return call;
}

// The options every send route shares (reference §5.1-5.3).
void add_send_options(json& body, const std::optional<std::int64_t>& delay_ms,
                      const std::string& quoted_id) {
  if (delay_ms) body["delay"] = *delay_ms;
  if (!quoted_id.empty()) body["quoted"] = {{"key", {{"id", quoted_id}}}};
}

json webhook_json(const webhook_settings& s) {
  json headers = json::object();
  for (const auto& [name, value] : s.headers) headers[name] = value;
  // `events` is always sent: without it Evolution crashes on enabled:true (§5.11).
  return json{{"enabled", s.enabled}, {"url", s.url},       {"byEvents", s.by_events},
              {"base64", s.base64},   {"headers", headers}, {"events", s.events}};
}

error upstream_error(std::string detail) {
  return make_error(errc::unavailable, "evolution response: " + std::move(detail));
}

result<json> parse_object(std::string_view body) {
  json doc = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return upstream_error("body: not valid JSON");
  if (!doc.is_object()) return upstream_error("body: expected an object");
  return doc;
}

std::optional<connection_state> state_of(const json& doc) {
  const json* instance = object_member(doc, "instance");
  if (!instance) return std::nullopt;
  connection_state state;
  state.instance_name = string_or_empty(*instance, "instanceName");
  state.state = string_or_empty(*instance, "state");
  if (state.state.empty()) return std::nullopt;
  return state;
}

connect_answer qr_of(const json& qr) {
  connect_answer answer;
  answer.code = string_or_empty(qr, "code");
  answer.pairing_code = string_or_empty(qr, "pairingCode");
  answer.qr_base64 = string_or_empty(qr, "base64");
  if (answer.qr_base64.rfind("data:", 0) == 0) {
    auto comma = answer.qr_base64.find(',');
    answer.qr_base64.erase(0, comma == std::string::npos ? answer.qr_base64.size() : comma + 1);
  }
  if (const json* count = member(qr, "count"); count && count->is_number_integer()) {
    answer.count = count->get<std::int64_t>();
  }
  return answer;
}

outcome failed(outcome_kind kind, int http_status, std::string message) {
  outcome o;
  o.kind = kind;
  o.http_status = http_status;
  o.message = std::move(message);
  return o;
}

outcome_kind kind_of(failure_kind f) {
  switch (f) {
    case failure_kind::retryable:
      return outcome_kind::retryable;
    case failure_kind::not_connected:
      return outcome_kind::not_connected;
    case failure_kind::unauthorized:
      return outcome_kind::unauthorized;
    case failure_kind::unknown_instance:
      return outcome_kind::not_found;
    case failure_kind::number_not_on_whatsapp:
    case failure_kind::conflict:
    case failure_kind::rejected:
      return outcome_kind::rejected;
  }
  return outcome_kind::retryable;
}

// A 2xx whose body we cannot use. "No media in that message" is final; anything else is an
// upstream fault worth another try (a send's intent is reconciled before it is repeated).
outcome unusable_body(int http_status, const error& err) {
  return failed(err.code == errc::not_found ? outcome_kind::rejected : outcome_kind::retryable,
                http_status, err.message);
}

template <class T, class Parse>
void run_call(const http_transport& transport, http_call call, Parse parse, callback<T> done) {
  transport(std::move(call), [parse = std::move(parse), done = std::move(done)](http_reply reply) {
    call_result<T> r;
    r.status = classify_reply(reply);
    if (r.status.ok()) {
      result<T> value = parse(reply.body);
      if (value.ok()) {
        r.value = std::move(value).value();
      } else {
        r.status = unusable_body(reply.status, value.err());
      }
    }
    done(std::move(r));
  });
}

result<unit> ignore_body(std::string_view) {
  return unit{};
}

}  // namespace

// --- requests ---------------------------------------------------------------------------

find_messages_query reconciliation_query(std::string remote_jid, std::int64_t intent_ms,
                                         std::int64_t now_ms, std::chrono::milliseconds skew) {
  find_messages_query q;
  q.remote_jid = std::move(remote_jid);
  q.from_me_only = true;
  q.since_ms = intent_ms - skew.count();
  q.until_ms = std::max(now_ms, intent_ms) + skew.count();
  return q;
}

webhook_settings aibud_webhook(std::string url, const std::string& secret) {
  webhook_settings s;
  s.url = std::move(url);
  s.headers = {{"X-Aibud-Secret", secret}, {"jwt_key", secret}};
  return s;
}

webhook_settings aibud_webhook_for(std::string url, const std::string& secret,
                                   std::string_view version) {
  if (version.empty()) return aibud_webhook(std::move(url), secret);
  webhook_settings s;
  s.url = std::move(url);
  if (version_at_least(version, 2, 3, 0)) {
    s.headers = {{"jwt_key", secret}};
  } else {
    s.headers = {{"X-Aibud-Secret", secret}};
  }
  return s;
}

http_call send_text_call(const endpoint& ep, std::string_view instance,
                         const send_text_request& req) {
  json body{{"number", req.number}, {"text", req.text}};
  add_send_options(body, req.delay_ms, req.quoted_id);
  if (req.link_preview) body["linkPreview"] = *req.link_preview;
  if (req.mentions_everyone) body["mentionsEveryOne"] = true;
  if (!req.mentioned.empty()) body["mentioned"] = req.mentioned;
  return post_json(ep, url_of(ep, "/message/sendText", instance), body, req.delay_ms.value_or(0));
}

http_call send_poll_call(const endpoint& ep, std::string_view instance,
                         const send_poll_request& req) {
  json body{{"number", req.number},
            {"name", req.name},
            {"selectableCount", req.selectable_count},
            {"values", req.values}};
  add_send_options(body, req.delay_ms, req.quoted_id);
  return post_json(ep, url_of(ep, "/message/sendPoll", instance), body, req.delay_ms.value_or(0));
}

http_call send_media_call(const endpoint& ep, std::string_view instance,
                          const send_media_request& req) {
  json body{{"number", req.number}, {"mediatype", req.media_type}, {"media", req.media}};
  if (!req.mimetype.empty()) body["mimetype"] = req.mimetype;
  if (!req.file_name.empty()) body["fileName"] = req.file_name;
  if (!req.caption.empty()) body["caption"] = req.caption;
  add_send_options(body, req.delay_ms, "");
  return post_json(ep, url_of(ep, "/message/sendMedia", instance), body, req.delay_ms.value_or(0));
}

http_call send_presence_call(const endpoint& ep, std::string_view instance,
                             const send_presence_request& req) {
  json body{{"number", req.number}, {"presence", req.presence}, {"delay", req.delay_ms}};
  return post_json(ep, url_of(ep, "/chat/sendPresence", instance), body, req.delay_ms);
}

http_call get_base64_call(const endpoint& ep, std::string_view instance,
                          std::string_view message_id, bool convert_to_mp4) {
  json body{{"message", {{"key", {{"id", std::string(message_id)}}}}},
            {"convertToMp4", convert_to_mp4}};
  return post_json(ep, url_of(ep, "/chat/getBase64FromMediaMessage", instance), body);
}

http_call find_messages_call(const endpoint& ep, std::string_view instance,
                             const find_messages_query& query) {
  json key = json::object();
  if (!query.remote_jid.empty()) key["remoteJid"] = query.remote_jid;
  // Evolution drops fromMe:false (it tests truthiness), so only true is worth sending.
  if (query.from_me_only) key["fromMe"] = true;
  json where = json::object();
  if (!key.empty()) where["key"] = key;
  // Epoch milliseconds as numbers: the one encoding Evolution reads without time-zone doubt.
  where["messageTimestamp"] = {{"gte", query.since_ms}, {"lte", query.until_ms}};
  json body{{"where", where}, {"page", query.page}, {"offset", query.page_size}};
  return post_json(ep, url_of(ep, "/chat/findMessages", instance), body);
}

http_call create_instance_call(const endpoint& ep, const create_instance_request& req) {
  json body{{"instanceName", req.instance_name},
            {"integration", "WHATSAPP-BAILEYS"},
            {"qrcode", req.qrcode}};
  if (!req.token.empty()) body["token"] = req.token;
  if (!req.number.empty()) body["number"] = req.number;
  if (req.groups_ignore) body["groupsIgnore"] = *req.groups_ignore;
  if (req.webhook) body["webhook"] = webhook_json(*req.webhook);
  // With qrcode:true Evolution waits for the first QR before answering.
  return post_json(ep, url_of(ep, "/instance/create"), body, req.qrcode ? 10000 : 0);
}

http_call connect_call(const endpoint& ep, std::string_view instance,
                       std::string_view pairing_number) {
  std::string url = url_of(ep, "/instance/connect", instance);
  if (!pairing_number.empty()) url += "?number=" + path_segment(pairing_number);
  return make_call(ep, "GET", std::move(url), 5000);
}

http_call connection_state_call(const endpoint& ep, std::string_view instance) {
  return make_call(ep, "GET", url_of(ep, "/instance/connectionState", instance));
}

http_call server_info_call(const endpoint& ep) {
  return make_call(ep, "GET", url_of(ep, "/"));
}

http_call set_webhook_call(const endpoint& ep, std::string_view instance,
                           const webhook_settings& settings) {
  json body{{"webhook", webhook_json(settings)}};
  return post_json(ep, url_of(ep, "/webhook/set", instance), body);
}

// --- replies ----------------------------------------------------------------------------

std::string_view to_string(outcome_kind kind) {
  switch (kind) {
    case outcome_kind::ok:
      return "ok";
    case outcome_kind::retryable:
      return "retryable";
    case outcome_kind::not_connected:
      return "not_connected";
    case outcome_kind::unauthorized:
      return "unauthorized";
    case outcome_kind::not_found:
      return "not_found";
    case outcome_kind::rejected:
      return "rejected";
  }
  return "retryable";
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::int64_t now_ms) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (value.size() > 9) return std::nullopt;  // more than 30 years: not a real answer
    return std::chrono::seconds(std::stoll(std::string(value)));
  }
  // IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
  std::tm tm{};
  const std::string text(value);
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end != '\0') return std::nullopt;
  const std::int64_t at_ms = static_cast<std::int64_t>(timegm(&tm)) * 1000;
  return std::chrono::milliseconds(std::max<std::int64_t>(at_ms - now_ms, 0));
}

outcome classify_reply(const http_reply& reply) {
  if (reply.status == 0) {
    outcome o = failed(outcome_kind::retryable, 0,
                       reply.transport_error.empty() ? "no answer" : reply.transport_error);
    o.timed_out = reply.timed_out;
    return o;
  }
  if (reply.status >= 200 && reply.status < 300) {
    outcome o;
    o.http_status = reply.status;
    return o;
  }
  api_failure f = classify_failure(reply.status, reply.body);
  outcome o = failed(kind_of(f.kind), reply.status, std::move(f.message));
  o.failure = f.kind;
  if (std::string after = reply.header("retry-after"); !after.empty()) {
    o.retry_after = parse_retry_after(after, time::now_ms());
  }
  return o;
}

result<connection_state> parse_connection_state(std::string_view body) {
  auto doc = parse_object(body);
  if (!doc.ok()) return doc.err();
  auto state = state_of(*doc);
  if (!state) return upstream_error("instance.state: expected a non-empty string");
  return *state;
}

result<connect_answer> parse_connect(std::string_view body) {
  auto doc = parse_object(body);
  if (!doc.ok()) return doc.err();
  // Internal errors come back as 200 {"error":true,"message":...} (§5.8).
  if (const json* err = member(*doc, "error"); err && err->is_boolean() && err->get<bool>()) {
    return upstream_error("connect failed: " + string_or_empty(*doc, "message"));
  }
  if (auto state = state_of(*doc)) {
    connect_answer answer;
    answer.already = std::move(state);
    return answer;
  }
  return qr_of(*doc);
}

result<created_instance> parse_create_instance(std::string_view body) {
  auto doc = parse_object(body);
  if (!doc.ok()) return doc.err();
  const json* instance = object_member(*doc, "instance");
  if (!instance) return upstream_error("instance: expected an object");
  created_instance created;
  created.instance_name = string_or_empty(*instance, "instanceName");
  created.instance_id = string_or_empty(*instance, "instanceId");
  created.status = string_or_empty(*instance, "status");
  created.token = string_or_empty(*doc, "hash");
  if (created.instance_name.empty()) {
    return upstream_error("instance.instanceName: expected a non-empty string");
  }
  if (const json* qr = object_member(*doc, "qrcode")) created.qrcode = qr_of(*qr);
  return created;
}

namespace {

// The key.id of the newest of our messages to one of `jids` that `matches`.
template <class Match>
std::optional<std::string> find_ours(const message_page& page, const std::vector<std::string>& jids,
                                     const std::vector<std::string>& taken, Match matches) {
  auto known = [&jids](const std::string& jid) {
    return !jid.empty() && std::find(jids.begin(), jids.end(), jid) != jids.end();
  };
  for (const auto& record : page.records) {
    const message_key& key = record.msg.key;
    if (!key.from_me) continue;
    if (!known(key.remote_jid) && !known(key.remote_jid_alt)) continue;
    if (std::find(taken.begin(), taken.end(), key.id) != taken.end()) continue;
    if (matches(record.msg.content)) return key.id;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> find_sent_text(const message_page& page,
                                          const std::vector<std::string>& jids,
                                          std::string_view text,
                                          const std::vector<std::string>& taken) {
  return find_ours(page, jids, taken,
                   [text](const message_content& content) { return text_of(content) == text; });
}

std::optional<std::string> find_sent_poll(const message_page& page,
                                          const std::vector<std::string>& jids,
                                          std::string_view question,
                                          const std::vector<std::string>& options,
                                          const std::vector<std::string>& taken) {
  return find_ours(page, jids, taken, [&](const message_content& content) {
    const auto* poll = std::get_if<poll_creation_content>(&content);
    return poll && poll->question == question && poll->options == options;
  });
}

// --- the asynchronous client ------------------------------------------------------------

evolution_client::evolution_client(http_transport transport, endpoint ep)
    : transport_(std::move(transport)), endpoint_(std::move(ep)) {}

void evolution_client::send_text(std::string instance, send_text_request req,
                                 callback<sent_message> done) const {
  run_call(transport_, send_text_call(endpoint_, instance, req), parse_send_response,
           std::move(done));
}

void evolution_client::send_poll(std::string instance, send_poll_request req,
                                 callback<sent_message> done) const {
  run_call(transport_, send_poll_call(endpoint_, instance, req), parse_send_response,
           std::move(done));
}

void evolution_client::send_media(std::string instance, send_media_request req,
                                  callback<sent_message> done) const {
  run_call(transport_, send_media_call(endpoint_, instance, req), parse_send_response,
           std::move(done));
}

void evolution_client::send_presence(std::string instance, send_presence_request req,
                                     callback<unit> done) const {
  run_call(transport_, send_presence_call(endpoint_, instance, req), ignore_body, std::move(done));
}

void evolution_client::get_base64(std::string instance, std::string message_id,
                                  callback<media_download> done) const {
  run_call(transport_, get_base64_call(endpoint_, instance, message_id), parse_media_download,
           std::move(done));
}

void evolution_client::find_messages(std::string instance, find_messages_query query,
                                     callback<message_page> done) const {
  run_call(transport_, find_messages_call(endpoint_, instance, query), parse_find_messages,
           std::move(done));
}

void evolution_client::create_instance(create_instance_request req,
                                       callback<created_instance> done) const {
  run_call(transport_, create_instance_call(endpoint_, req), parse_create_instance,
           std::move(done));
}

void evolution_client::connect(std::string instance, std::string pairing_number,
                               callback<connect_answer> done) const {
  run_call(transport_, connect_call(endpoint_, instance, pairing_number), parse_connect,
           std::move(done));
}

void evolution_client::connection_state_of(std::string instance,
                                           callback<connection_state> done) const {
  run_call(transport_, connection_state_call(endpoint_, instance), parse_connection_state,
           std::move(done));
}

void evolution_client::set_webhook(std::string instance, webhook_settings settings,
                                   callback<unit> done) const {
  run_call(transport_, set_webhook_call(endpoint_, instance, settings), ignore_body,
           std::move(done));
}

void evolution_client::server_info_of(callback<server_info> done) const {
  run_call(transport_, server_info_call(endpoint_), parse_server_info, std::move(done));
}

}  // namespace aibud::evolution
