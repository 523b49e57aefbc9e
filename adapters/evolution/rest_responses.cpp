#include "adapters/evolution/rest_responses.hpp"

#include <nlohmann/json.hpp>

#include "adapters/evolution/json_fields_internal.hpp"
#include "adapters/evolution/message_data_internal.hpp"
#include "adapters/evolution/wire_values.hpp"

namespace aibud::evolution {

namespace {

using detail::json;
using detail::member;
using detail::object_member;
using detail::string_or_empty;

// Long enough for any message Evolution writes; short enough for a log line and a DLQ row.
constexpr std::size_t max_message_chars = 500;

// Cuts at a character boundary: the message ends up in JSON, which must stay valid UTF-8.
void truncate_utf8(std::string& text, std::size_t limit) {
  if (text.size() <= limit) return;
  std::size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  text.resize(end);
}

error upstream_error(std::string detail) {
  return make_error(errc::unavailable, "evolution response: " + std::move(detail));
}

error upstream_error(const error& field_err) {
  return upstream_error(field_err.message);
}

result<json> parse_body(std::string_view body) {
  json doc = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return upstream_error("body: not valid JSON");
  return doc;
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// response.message is a string, an array of strings, an array of arrays (schema errors) or an
// array of {jid, exists, number} (unknown numbers). Depth is bounded: a hostile body must not
// recurse us off the stack.
void flatten_message(const json& v, std::string& out, int depth) {
  if (out.size() >= max_message_chars || depth > 4) return;
  auto append = [&out](std::string_view part) {
    if (part.empty()) return;
    if (!out.empty()) out += "; ";
    out += part;
  };
  if (v.is_string()) {
    append(v.get_ref<const std::string&>());
  } else if (v.is_array()) {
    for (const auto& item : v) flatten_message(item, out, depth + 1);
  } else if (v.is_object()) {
    if (const json* exists = member(v, "exists"); exists && exists->is_boolean()) {
      std::string who = string_or_empty(v, "number");
      if (who.empty()) who = string_or_empty(v, "jid");
      append(who + (exists->get<bool>() ? " exists on WhatsApp" : " is not on WhatsApp"));
    } else {
      append(string_or_empty(v, "message"));
    }
  }
  truncate_utf8(out, max_message_chars);
}

bool has_missing_number(const json& message) {
  if (!message.is_array()) return false;
  for (const auto& item : message) {
    const json* exists = member(item, "exists");
    if (exists && exists->is_boolean() && !exists->get<bool>()) return true;
  }
  return false;
}

std::string status_text(int http_status) {
  return "HTTP " + std::to_string(http_status);
}

failure_kind kind_for(int http_status, std::string_view message, bool missing_number) {
  const std::string text = lowercase(message);
  // "Instance not connected" surfaces as 400 or 500 depending on where Baileys throws (§6);
  // "Cannot read properties of undefined" is an instance in the DB that is not loaded.
  const bool not_connected = contains(text, "not connected") ||
                             contains(text, "connection closed") ||
                             contains(text, "cannot read properties of undefined");
  if (http_status == 401) return failure_kind::unauthorized;
  if (http_status == 403) {
    return contains(text, "already in use") ? failure_kind::conflict : failure_kind::unauthorized;
  }
  if (http_status == 404) {
    // Express answers an unknown route with "Cannot POST /..."; everything else is the guard.
    return contains(text, "cannot ") ? failure_kind::rejected : failure_kind::unknown_instance;
  }
  if ((http_status == 400 || http_status >= 500) && not_connected) {
    return failure_kind::not_connected;
  }
  if (http_status == 400 && missing_number) return failure_kind::number_not_on_whatsapp;
  if (http_status == 408 || http_status == 429 || http_status >= 500 || http_status < 400) {
    return failure_kind::retryable;
  }
  return failure_kind::rejected;
}

}  // namespace

result<sent_message> parse_send_response(std::string_view body) {
  auto doc = parse_body(body);
  if (!doc.ok()) return doc.err();
  auto m = detail::parse_message_data(*doc, "", "", false);
  if (!m.ok()) return upstream_error(m.err());
  sent_message sent;
  sent.id = m->key.id;
  sent.remote_jid = m->key.remote_jid;
  sent.timestamp = m->timestamp;
  sent.message_type = m->message_type;
  sent.content = std::move(m->content);
  return sent;
}

result<message_page> parse_find_messages(std::string_view body) {
  auto doc = parse_body(body);
  if (!doc.ok()) return doc.err();
  const json* messages = object_member(*doc, "messages");
  if (!messages) return upstream_error("messages: expected an object");
  const json* records = member(*messages, "records");
  if (!records || !records->is_array()) {
    return upstream_error("messages.records: expected an array");
  }
  message_page page;
  if (const json* v = member(*messages, "total")) page.total = int64_of(*v).value_or(0);
  if (const json* v = member(*messages, "pages")) page.pages = int64_of(*v).value_or(0);
  if (const json* v = member(*messages, "currentPage")) {
    page.current_page = int64_of(*v).value_or(1);
  }
  page.records.reserve(records->size());
  std::size_t index = 0;
  for (const auto& record : *records) {
    const std::string path = "messages.records[" + std::to_string(index++) + "]";
    // A record we cannot read fails the page: skipping it could hide a send that did happen.
    auto m = detail::parse_message_data(record, path, "", false);
    if (!m.ok()) return upstream_error(m.err());
    stored_message stored;
    stored.row_id = string_or_empty(record, "id");
    stored.msg = std::move(m).value();
    if (const json* updates = member(record, "MessageUpdate"); updates && updates->is_array()) {
      for (const auto& update : *updates) {
        std::string status = string_or_empty(update, "status");
        if (!status.empty()) stored.receipts.push_back(std::move(status));
      }
    }
    page.records.push_back(std::move(stored));
  }
  return page;
}

std::string_view text_of(const message_content& content) {
  if (const auto* text = std::get_if<text_content>(&content)) return text->text;
  return {};
}

result<media_download> parse_media_download(std::string_view body) {
  auto doc = parse_body(body);
  if (!doc.ok()) return doc.err();
  if (doc->is_null())
    return make_error(errc::not_found, "evolution response: message has no media");
  if (!doc->is_object()) return upstream_error("body: expected an object");
  media_download media;
  media.base64 = string_or_empty(*doc, "base64");
  if (media.base64.empty()) return upstream_error("base64: expected a non-empty string");
  if (media.base64.rfind("data:", 0) == 0) {
    auto comma = media.base64.find(',');
    media.base64.erase(0, comma == std::string::npos ? media.base64.size() : comma + 1);
  }
  media.media_type = string_or_empty(*doc, "mediaType");
  media.file_name = string_or_empty(*doc, "fileName");
  media.caption = string_or_empty(*doc, "caption");
  media.mimetype = string_or_empty(*doc, "mimetype");
  if (const json* size = object_member(*doc, "size")) {
    if (const json* length = member(*size, "fileLength")) media.file_length = int64_of(*length);
  }
  return media;
}

result<server_info> parse_server_info(std::string_view body) {
  auto doc = parse_body(body);
  if (!doc.ok()) return doc.err();
  if (!doc->is_object()) return upstream_error("body: expected an object");
  server_info info;
  info.version = string_or_empty(*doc, "version");
  info.client_name = string_or_empty(*doc, "clientName");
  return info;
}

bool version_at_least(std::string_view version, int major, int minor, int patch) {
  if (!version.empty() && (version.front() == 'v' || version.front() == 'V'))
    version.remove_prefix(1);
  int parts[3] = {0, 0, 0};
  std::size_t at = 0;
  for (int i = 0; i < 3; ++i) {
    const std::size_t start = at;
    while (at < version.size() && version[at] >= '0' && version[at] <= '9' && at - start < 6)
      parts[i] = parts[i] * 10 + (version[at++] - '0');
    if (at == start) {
      if (i == 0) return false;  // no number at all
      break;                     // "2.4" reads as 2.4.0
    }
    if (at >= version.size() || version[at] != '.') break;
    ++at;
  }
  const int wanted[3] = {major, minor, patch};
  for (int i = 0; i < 3; ++i)
    if (parts[i] != wanted[i]) return parts[i] > wanted[i];
  return true;
}

std::string_view to_string(failure_kind kind) {
  switch (kind) {
    case failure_kind::retryable:
      return "retryable";
    case failure_kind::not_connected:
      return "not_connected";
    case failure_kind::unauthorized:
      return "unauthorized";
    case failure_kind::unknown_instance:
      return "unknown_instance";
    case failure_kind::number_not_on_whatsapp:
      return "number_not_on_whatsapp";
    case failure_kind::conflict:
      return "conflict";
    case failure_kind::rejected:
      return "rejected";
  }
  return "retryable";
}

api_failure classify_failure(int http_status, std::string_view body) {
  api_failure failure;
  failure.http_status = http_status;
  json doc = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  bool missing_number = false;
  if (doc.is_object()) {
    // {"status","error","response":{"message"}} (§6), or 2.4's licence gate {"error","message"}.
    if (const json* response = object_member(doc, "response")) {
      if (const json* message = member(*response, "message")) {
        flatten_message(*message, failure.message, 0);
        missing_number = has_missing_number(*message);
      }
    }
    if (failure.message.empty()) failure.message = string_or_empty(doc, "message");
    if (failure.message.empty()) failure.message = string_or_empty(doc, "error");
  }
  truncate_utf8(failure.message, max_message_chars);
  failure.kind = kind_for(http_status, failure.message, missing_number);
  if (failure.message.empty()) failure.message = status_text(http_status);
  return failure;
}

}  // namespace aibud::evolution
