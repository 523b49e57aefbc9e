// Domain events parsed from Evolution API v2 webhooks (reference: evolution-api.md).
// Plain values: no JSON, HTTP, storage or actor types. The parser (webhook_parser.hpp)
// is the only producer; the HTTP layer and the actors consume them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace aibud::evolution {

// Every JID found for one person in one payload (reference §2.3): phone JIDs
// (@s.whatsapp.net) and LIDs (@lid) from remoteJid, remoteJidAlt, senderPn, senderLid,
// previousRemoteJid, participant, participantAlt, participantPn, participantLid and a
// decrypted vote's voters, as the chat kind calls for. Device suffixes are removed; the
// instance owner's own JID is never included. The runtime resolves all of them to one
// contact (`contact_aliases`).
struct contact_ids {
  std::vector<std::string> jids;  // distinct, in the order found; only phone JIDs and LIDs
  std::string phone_jid;          // the first @s.whatsapp.net among them, "" when unknown
  std::string lid;                // the first @lid among them, "" when unknown

  // The key to prefer: the phone JID, else the LID, else "".
  const std::string& canonical() const { return phone_jid.empty() ? lid : phone_jid; }
  bool empty() const { return jids.empty(); }
};

// `data.key` as delivered (after Evolution's own LID rewrite, reference §0).
struct message_key {
  std::string id;  // WhatsApp message id; never empty in a parsed event
  std::string remote_jid;
  std::string remote_jid_alt;
  bool from_me = false;
  std::string participant;  // "" in 1:1 chats
  std::string participant_alt;
  std::string addressing_mode;  // "pn", "lid" or ""
};

// `conversation`, or `extendedTextMessage.text` on servers that do not rewrite it.
struct text_content {
  std::string text;
  std::string quoted_id;  // contextInfo.stanzaId of a reply, "" otherwise
};

// An image. To download it when `inline_base64` is empty, call
// getBase64FromMediaMessage with the message's `key` (reference §5.5).
struct image_content {
  std::string caption;
  std::string mimetype;
  std::optional<std::int64_t> file_length;
  std::optional<std::int64_t> width;
  std::optional<std::int64_t> height;
  std::string inline_base64;  // data.message.base64 (webhook base64 on), without any data: prefix
  std::string media_url;      // data.message.mediaUrl (S3/MinIO on), "" otherwise
};

struct audio_content {
  std::string mimetype;
  bool voice_note = false;  // ptt
  std::optional<std::int64_t> seconds;
  std::optional<std::int64_t> file_length;
  std::string inline_base64;
  std::string media_url;
};

// A vote on a poll (reference §3). `selected_options` is the voter's whole current
// selection by option name; empty means retracted or undecryptable (indistinguishable).
struct poll_vote_content {
  std::string poll_id;  // key.id of the poll creation message (what sendPoll returned)
  std::vector<std::string> selected_options;
  bool decrypted = false;  // false: Evolution could not read the vote (poll not in its DB)
  std::optional<std::int64_t> sender_timestamp_ms;
};

// A poll creation (pollCreationMessage, V2, V3): our own send echoed, or one typed on the phone.
struct poll_creation_content {
  std::string question;
  std::vector<std::string> options;
  std::int64_t selectable_count = 0;  // 0 = unlimited
};

// Anything else: sticker, reaction, location, video, document, "unknown", ...
struct unsupported_content {
  std::string message_type;
};

using message_content = std::variant<text_content, image_content, audio_content, poll_vote_content,
                                     poll_creation_content, unsupported_content>;

enum class chat_kind { direct, group, broadcast, newsletter };

// One WhatsApp message (messages.upsert, send.message, or a legacy poll update).
struct message {
  message_key key;
  chat_kind chat = chat_kind::direct;
  std::string chat_jid;  // key.remoteJid: the contact in 1:1, the group, "status@broadcast"
  // 1:1: the other party (for fromMe, the recipient); group/broadcast: the author.
  contact_ids contact;
  std::string push_name;                  // "" when absent or null
  std::optional<std::int64_t> timestamp;  // messageTimestamp, epoch seconds
  std::string message_type;               // data.messageType as delivered
  std::string status;                     // data.status ("DELIVERY_ACK", "SERVER_ACK", ...)
  std::string source;                     // data.source ("ios", "android", "web", ...)
  message_content content;
};

struct connection_update {
  std::string state;                          // "open", "connecting", "close", "refused"
  std::optional<std::int64_t> status_reason;  // Baileys code: 200, 401, 428, ...
  std::string owner_jid;                      // data.wuid, "" when absent
  std::string profile_name;
  std::string profile_picture_url;
};

struct qrcode_update {
  std::string code;            // raw QR string "2@..."
  std::string data_url;        // "data:image/png;base64,..." as delivered
  std::string png_base64;      // the same image without the data: prefix
  std::string pairing_code;    // "" unless a phone number was given
  bool limit_reached = false;  // the last event after QRCODE_LIMIT refreshes; no QR then
  std::string message;         // Evolution's text when limit_reached
};

enum class event_kind {
  inbound_message,      // 1:1 from a contact: text, image, audio or poll vote
  business_message,     // 1:1 with fromMe: typed by the business (human takeover)
  group_message,        // @g.us
  broadcast_message,    // status@broadcast, broadcast lists, @newsletter
  unsupported_message,  // 1:1 from a contact with content aibud does not handle
  own_send,             // send.message: a send through Evolution's REST API
  connection_update,
  qrcode_updated,
  unsupported_event,  // any other event (receipts, contacts, chats, presence, ...)
};

std::string_view to_string(event_kind kind);

struct event {
  event_kind kind = event_kind::unsupported_event;
  std::string instance;   // envelope "instance" (the instance name)
  std::string name;       // envelope "event" as delivered, e.g. "messages.upsert"
  std::string owner_jid;  // envelope "sender" (the business number), "" when absent
  std::string date_time;  // envelope "date_time"; server local time, not for ordering
  // message for every *_message kind and own_send; connection_update and qrcode_update
  // for their kinds; monostate for unsupported_event.
  std::variant<std::monostate, message, connection_update, qrcode_update> body;
  // The envelope as JSON text with `apikey` removed: what the durable inbox stores.
  std::string stored_payload;

  const message* as_message() const { return std::get_if<message>(&body); }
  const connection_update* as_connection() const { return std::get_if<connection_update>(&body); }
  const qrcode_update* as_qrcode() const { return std::get_if<qrcode_update>(&body); }
  // key.id of a message event, "" otherwise.
  std::string_view message_id() const;
};

// The `reason` of a 200 {"status":"ignored"} webhook answer (ARCHITECTURE §8): "group",
// "broadcast", "own_send", "unsupported_event", "unsupported_message"; nullopt for events
// that are handled (inbound and business messages, connection and QR updates). Whether a
// business message is our own send echoed is for the runtime to decide (sent_messages).
std::optional<std::string_view> ignore_reason(const event& e);

}  // namespace aibud::evolution
