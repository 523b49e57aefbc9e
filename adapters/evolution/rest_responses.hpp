// Parsers for the bodies of Evolution's REST answers (reference §5, §6), for the gateway
// that sends and downloads through Evolution. Pure functions on the response text; never
// throw. The HTTP client itself lives elsewhere.
//
// A 2xx body that does not have the documented shape is an upstream fault: the parsers
// report it as errc::unavailable ("<field path>: <detail>"), which the runtime retries.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/evolution/events.hpp"
#include "base/error.hpp"

namespace aibud::evolution {

// What sendText / sendPoll / sendMedia answered (201, §5.1-5.3): the sent message in the
// messages.upsert format. `key.id` is what comes back in votes, receipts and send.message.
struct sent_message {
  std::string id;          // key.id
  std::string remote_jid;  // the JID Evolution resolved for `number` (may differ, §2.3)
  std::optional<std::int64_t> timestamp;
  std::string message_type;
  message_content content;  // text_content for sendText, poll_creation_content for sendPoll
};

result<sent_message> parse_send_response(std::string_view body);

// One row of POST /chat/findMessages (§5.12). `key` is the key as Evolution saved it
// (before its LID rewrite, so remoteJid may be a LID with the phone JID in remoteJidAlt).
struct stored_message {
  std::string row_id;  // Evolution's cuid, not key.id
  message msg;         // msg.content: text from conversation or extendedTextMessage.text
  std::vector<std::string> receipts;  // MessageUpdate[].status: SERVER_ACK, DELIVERY_ACK, ...
};

struct message_page {
  std::int64_t total = 0;
  std::int64_t pages = 0;
  std::int64_t current_page = 1;
  std::vector<stored_message> records;  // newest first
};

result<message_page> parse_find_messages(std::string_view body);

// The text of a message as findMessages or a send response shows it, "" for non-text.
std::string_view text_of(const message_content& content);

// POST /chat/getBase64FromMediaMessage (§5.5). A `null` body (no media in that message)
// is errc::not_found.
struct media_download {
  std::string media_type;  // "imageMessage", "audioMessage", ...
  std::string file_name;
  std::string caption;
  std::string mimetype;
  std::string base64;  // raw base64, no data: prefix
  std::optional<std::int64_t> file_length;
};

result<media_download> parse_media_download(std::string_view body);

// GET / (the server's banner): {"status":200,"message":"Welcome to the Evolution API, it is
// working!","version":"2.3.7","clientName":...}. `version` is "" when the banner has none.
struct server_info {
  std::string version;
  std::string client_name;
};

result<server_info> parse_server_info(std::string_view body);

// Whether `version` ("2.3.7", "v2.2.3", "2.4.0-rc2") is at least major.minor.patch; false
// when it does not start with a number (an unknown version is not assumed new).
bool version_at_least(std::string_view version, int major, int minor, int patch);

// What an Evolution error answer means for the caller (§6, ARCHITECTURE §3.6).
enum class failure_kind {
  retryable,               // 5xx, 408, 429, or a network-level failure: retry with backoff
  not_connected,           // the instance is not connected: wait for connection.update open
  unauthorized,            // 401/403 on the apikey: mark the instance unauthorized, hold jobs
  unknown_instance,        // 404 "instance does not exist"
  number_not_on_whatsapp,  // 400 with [{"exists":false,...}]: never retry
  conflict,                // 403 "name already in use" (instance create)
  rejected,                // any other 4xx: the request can never succeed as sent
};

std::string_view to_string(failure_kind kind);

struct api_failure {
  failure_kind kind = failure_kind::retryable;
  int http_status = 0;
  std::string message;  // response.message flattened into one line, or the status line

  // True when the same request may succeed later (retryable or not_connected).
  bool retryable() const {
    return kind == failure_kind::retryable || kind == failure_kind::not_connected;
  }
};

// Classifies a non-2xx answer from its status and body. The body may be anything (an HTML
// page from a proxy, empty, truncated); it only refines what the status says.
api_failure classify_failure(int http_status, std::string_view body);

}  // namespace aibud::evolution
