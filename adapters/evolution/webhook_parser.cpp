#include "adapters/evolution/webhook_parser.hpp"

#include <algorithm>

#include "adapters/evolution/json_fields_internal.hpp"
#include "adapters/evolution/message_data_internal.hpp"
#include "adapters/evolution/wire_values.hpp"

namespace aibud::evolution {

namespace {

using detail::json;
using detail::member;
using detail::object_member;
using detail::string_or_empty;

// Real envelopes nest about ten levels. The bound keeps the recursive serializer that writes
// stored_payload far from the end of the stack, whatever a client sends.
constexpr int max_depth = 64;

error with_code(std::string_view code, const error& field_err) {
  std::string message(code);
  message += ": ";
  message += field_err.message;
  return make_error(errc::invalid_argument, std::move(message));
}

error payload_error(std::string_view path, std::string_view detail) {
  return with_code(invalid_payload_code, detail::field_error(path, detail));
}

// Only called on text the JSON parser accepted, so brackets inside strings are the only trap.
int nesting_depth(std::string_view text) {
  int depth = 0;
  int deepest = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return deepest;
}

event_kind message_kind(const message& m) {
  switch (m.chat) {
    case chat_kind::group:
      return event_kind::group_message;
    case chat_kind::broadcast:
    case chat_kind::newsletter:
      return event_kind::broadcast_message;
    case chat_kind::direct:
      break;
  }
  if (m.key.from_me) return event_kind::business_message;
  if (classify_jid(m.chat_jid) == jid_kind::other) return event_kind::unsupported_message;
  const bool handled = std::holds_alternative<text_content>(m.content) ||
                       std::holds_alternative<image_content>(m.content) ||
                       std::holds_alternative<audio_content>(m.content) ||
                       std::holds_alternative<poll_vote_content>(m.content);
  return handled ? event_kind::inbound_message : event_kind::unsupported_message;
}

status parse_upsert(const json& data, event& e) {
  auto m = detail::parse_message_data(data, "data", e.owner_jid, true);
  if (!m.ok()) return with_code(invalid_payload_code, m.err());
  e.kind = message_kind(*m);
  e.body = std::move(m).value();
  return ok_status();
}

status parse_send_message(const json& data, event& e) {
  auto m = detail::parse_message_data(data, "data", e.owner_jid, false);
  if (!m.ok()) return with_code(invalid_payload_code, m.err());
  e.kind = event_kind::own_send;
  e.body = std::move(m).value();
  return ok_status();
}

// ≤ 2.3.0 delivered a decrypted vote as messages.update (reference §3.2): `keyId` is the
// poll's id, `pollUpdates` lists every option with only this voter in `voters`. There is no
// id of the vote itself; the delivery's date_time tells votes apart and is identical across
// Evolution's retries, so the synthetic id still deduplicates them.
status parse_legacy_poll_update(const json& data, event& e) {
  std::string poll_id = string_or_empty(data, "keyId");
  if (poll_id.empty()) return payload_error("data.keyId", "expected a non-empty string");
  std::string remote = string_or_empty(data, "remoteJid");
  if (remote.empty()) return payload_error("data.remoteJid", "expected a non-empty string");

  message m;
  m.key.id = "poll-update:" + poll_id + ":" + e.date_time;
  m.key.remote_jid = remote;
  m.key.participant = string_or_empty(data, "participant");
  m.chat_jid = remote;
  m.status = string_or_empty(data, "status");
  const json& updates = *member(data, "pollUpdates");
  for (const auto& option : updates) {
    if (const json* voters = member(option, "voters"); voters && voters->is_array()) {
      for (const auto& voter : *voters) {
        if (voter.is_string()) {
          detail::add_contact_jid(m.contact, voter.get_ref<const std::string&>(), e.owner_jid);
        }
      }
    }
  }
  poll_vote_content vote;
  vote.poll_id = poll_id;
  vote.decrypted = true;
  for (const auto& option : updates) {
    const json* voters = member(option, "voters");
    std::string name = string_or_empty(option, "name");
    if (voters && voters->is_array() && !voters->empty() && !name.empty()) {
      vote.selected_options.push_back(std::move(name));
    }
  }
  m.message_type = "pollUpdateMessage";
  m.content = std::move(vote);
  switch (classify_jid(remote)) {
    case jid_kind::group:
      m.chat = chat_kind::group;
      e.kind = event_kind::group_message;
      break;
    case jid_kind::phone:
    case jid_kind::lid:
      // In 1:1 the chat is the voter, whatever `voters` held.
      detail::add_contact_jid(m.contact, remote, e.owner_jid);
      e.kind = event_kind::inbound_message;
      break;
    default:
      m.chat = chat_kind::broadcast;
      e.kind = event_kind::broadcast_message;
      break;
  }
  e.body = std::move(m);
  return ok_status();
}

status parse_messages_update(const json& data, event& e) {
  const json* updates = member(data, "pollUpdates");
  if (updates && updates->is_array() && !updates->empty()) {
    return parse_legacy_poll_update(data, e);
  }
  e.kind = event_kind::unsupported_event;  // receipts
  return ok_status();
}

status parse_connection_update(const json& data, event& e) {
  if (!data.is_object()) return payload_error("data", "expected an object");
  const json* state = member(data, "state");
  if (!state || !state->is_string() || state->get_ref<const std::string&>().empty()) {
    return payload_error("data.state", "expected a non-empty string");
  }
  connection_update c;
  c.state = state->get<std::string>();
  if (const json* reason = member(data, "statusReason"); reason && !reason->is_null()) {
    c.status_reason = int64_of(*reason);
    if (!c.status_reason) return payload_error("data.statusReason", "expected an integer");
  }
  c.owner_jid = string_or_empty(data, "wuid");
  c.profile_name = string_or_empty(data, "profileName");
  c.profile_picture_url = string_or_empty(data, "profilePictureUrl");
  e.kind = event_kind::connection_update;
  e.body = std::move(c);
  return ok_status();
}

status parse_qrcode_updated(const json& data, event& e) {
  if (!data.is_object()) return payload_error("data", "expected an object");
  qrcode_update q;
  if (const json* qr = object_member(data, "qrcode")) {
    q.code = string_or_empty(*qr, "code");
    q.data_url = string_or_empty(*qr, "base64");
    q.pairing_code = string_or_empty(*qr, "pairingCode");
    if (q.code.empty() && q.data_url.empty() && q.pairing_code.empty()) {
      return payload_error("data.qrcode", "expected code, base64 or pairingCode");
    }
    q.png_base64 = q.data_url;
    if (q.png_base64.rfind("data:", 0) == 0) {
      auto comma = q.png_base64.find(',');
      q.png_base64.erase(0, comma == std::string::npos ? q.png_base64.size() : comma + 1);
    }
  } else if (const json* text = member(data, "message"); text && text->is_string()) {
    // After QRCODE_LIMIT refreshes: {"message":"QR code limit reached...","statusCode":500}.
    q.limit_reached = true;
    q.message = text->get<std::string>();
  } else {
    return payload_error("data.qrcode", "expected an object");
  }
  e.kind = event_kind::qrcode_updated;
  e.body = std::move(q);
  return ok_status();
}

status parse_data(const std::string& slug, const json& data, event& e) {
  if (slug == "messages-upsert") return parse_upsert(data, e);
  if (slug == "send-message") return parse_send_message(data, e);
  if (slug == "messages-update") return parse_messages_update(data, e);
  if (slug == "connection-update") return parse_connection_update(data, e);
  if (slug == "qrcode-updated") return parse_qrcode_updated(data, e);
  e.kind = event_kind::unsupported_event;
  return ok_status();
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

result<event> parse_webhook(std::string_view body, std::string_view route_event_slug) {
  if (body.empty()) {
    return with_code(invalid_json_code, detail::field_error("body", "empty"));
  }
  json doc = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return with_code(invalid_json_code, detail::field_error("body", "not valid JSON"));
  }
  if (nesting_depth(body) > max_depth) return payload_error("body", "nested too deeply");
  if (!doc.is_object()) return payload_error("body", "expected a JSON object");

  const json* name = member(doc, "event");
  if (!name || !name->is_string() || name->get_ref<const std::string&>().empty()) {
    return payload_error("event", "expected a non-empty string");
  }
  event e;
  e.name = name->get<std::string>();
  const std::string slug = event_slug(e.name);
  if (!route_event_slug.empty() && slug != lowercase(route_event_slug)) {
    return payload_error("event", "\"" + e.name + "\" does not match the route suffix \"" +
                                      std::string(route_event_slug) + "\"");
  }
  const json* instance = member(doc, "instance");
  if (!instance || !instance->is_string() || instance->get_ref<const std::string&>().empty()) {
    return payload_error("instance", "expected a non-empty string");
  }
  e.instance = instance->get<std::string>();
  const json* data = member(doc, "data");
  if (!data || data->is_null()) return payload_error("data", "missing");
  e.owner_jid = string_or_empty(doc, "sender");
  e.date_time = string_or_empty(doc, "date_time");

  if (auto parsed = parse_data(slug, *data, e); !parsed.ok()) return parsed.err();
  doc.erase("apikey");
  e.stored_payload = doc.dump(-1, ' ', false, json::error_handler_t::replace);
  return e;
}

std::string_view webhook_error_code(const error& e) {
  std::string_view message(e.message);
  for (std::string_view code : {invalid_json_code, invalid_payload_code}) {
    if (message.size() > code.size() && message.substr(0, code.size()) == code &&
        message[code.size()] == ':') {
      return code;
    }
  }
  return {};
}

std::string_view webhook_error_detail(const error& e) {
  std::string_view code = webhook_error_code(e);
  std::string_view message(e.message);
  if (code.empty()) return message;
  message.remove_prefix(code.size() + 1);
  if (!message.empty() && message.front() == ' ') message.remove_prefix(1);
  return message;
}

std::string strip_apikey(nlohmann::json envelope) {
  if (envelope.is_object()) envelope.erase("apikey");
  return envelope.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace aibud::evolution
