// The REST client for Evolution API v2 (reference §5, §6): pure request builders, the
// classification of every reply into what the caller should do next (ARCHITECTURE §3.6), and
// `evolution_client`, which sends the requests through an injected http_transport.
//
// Builders return plain `http_call`s: the `apikey` header, JSON bodies, and timeouts that
// cover Evolution's own `delay` sleeps (reference §5: client timeout = delay + 30 s).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/evolution/rest_responses.hpp"
#include "base/error.hpp"
#include "base/http_call.hpp"

namespace aibud::evolution {

// Where an Evolution server is and how to authenticate to it.
struct endpoint {
  std::string base_url;  // "http://evolution:8080" (a trailing '/' is ignored)
  std::string api_key;   // global AUTHENTICATION_API_KEY or the instance token
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds timeout{30000};  // added to any `delay` the request asks for
};

// --- requests ---------------------------------------------------------------------------

struct send_text_request {
  std::string number;  // digits or a JID
  std::string text;
  std::optional<std::int64_t> delay_ms;  // Evolution shows "composing" and sleeps first
  std::optional<bool> link_preview;
  std::string quoted_id;  // key.id of the message replied to, "" for none
  bool mentions_everyone = false;
  std::vector<std::string> mentioned;  // digit strings
};

struct send_poll_request {
  std::string number;
  std::string name;                 // the question
  std::vector<std::string> values;  // 2-10 unique options
  int selectable_count = 1;         // 0 = unlimited
  std::optional<std::int64_t> delay_ms;
  std::string quoted_id;
};

struct send_media_request {
  std::string number;
  std::string media_type = "image";  // image | video | document | audio
  std::string media;                 // an http(s) URL or raw base64 (no data: prefix)
  std::string mimetype;              // "" lets Evolution guess
  std::string file_name;             // required for base64 documents
  std::string caption;
  std::optional<std::int64_t> delay_ms;
};

struct send_presence_request {
  std::string number;
  std::string presence = "composing";  // composing | recording | paused | available | unavailable
  std::int64_t delay_ms = 1000;        // Evolution holds the presence this long, then answers
};

// Our own messages in one chat over a time window (reference §5.12). Evolution filters
// `fromMe` only when true and has no text search: match the text with find_sent_text().
struct find_messages_query {
  std::string remote_jid;  // "" to leave the chat out and compare key.remoteJid yourself
  bool from_me_only = true;
  std::int64_t since_ms = 0;  // inclusive bounds, epoch ms; both are always sent
  std::int64_t until_ms = 0;
  int page = 1;        // 1-based
  int page_size = 50;  // Evolution's `offset`
};

// The window for "did the send of an intent saved at `intent_ms` go out?": from the intent
// minus `skew` to now plus `skew`, to absorb clock differences with Evolution's host.
find_messages_query reconciliation_query(std::string remote_jid, std::int64_t intent_ms,
                                         std::int64_t now_ms,
                                         std::chrono::milliseconds skew = std::chrono::minutes(2));

// The per-instance webhook (reference §5.11, §1.4).
struct webhook_settings {
  std::string url;
  std::vector<std::string> events = {"MESSAGES_UPSERT", "CONNECTION_UPDATE", "QRCODE_UPDATED"};
  std::vector<std::pair<std::string, std::string>> headers;
  bool by_events = false;
  bool base64 = false;  // inline media in webhooks; Evolution applies a change on reconnect
  bool enabled = true;
};

// aibud's webhook: `X-Aibud-Secret` for Evolution ≥ 2.1.1, `jwt_key` so that ≥ 2.3 sends an
// HS256 JWT signed with the secret instead of that header (ARCHITECTURE §8).
webhook_settings aibud_webhook(std::string url, const std::string& secret);

// aibud's webhook for a server of `version` (from GET /): Evolution ≥ 2.3.0 gets only
// `jwt_key`, so the secret never crosses the wire (it signs an HS256 JWT with it instead);
// older servers get only `X-Aibud-Secret` (they would send `jwt_key` verbatim); an unknown
// version ("") gets both, as aibud_webhook does.
webhook_settings aibud_webhook_for(std::string url, const std::string& secret,
                                   std::string_view version);

struct create_instance_request {
  std::string instance_name;
  std::string token;   // the instance's own apikey; "" lets Evolution pick one
  bool qrcode = true;  // start connecting and answer with the first QR
  std::string number;  // digits: ask for a pairing code instead of scanning
  std::optional<bool> groups_ignore;
  std::optional<webhook_settings> webhook;
};

// --- builders (pure) --------------------------------------------------------------------

http_call send_text_call(const endpoint& ep, std::string_view instance,
                         const send_text_request& req);
http_call send_poll_call(const endpoint& ep, std::string_view instance,
                         const send_poll_request& req);
http_call send_media_call(const endpoint& ep, std::string_view instance,
                          const send_media_request& req);
http_call send_presence_call(const endpoint& ep, std::string_view instance,
                             const send_presence_request& req);
// With only key.id Evolution reads the message from its own database (reference §5.5).
http_call get_base64_call(const endpoint& ep, std::string_view instance,
                          std::string_view message_id, bool convert_to_mp4 = false);
http_call find_messages_call(const endpoint& ep, std::string_view instance,
                             const find_messages_query& query);
// REQUIRES: ep.api_key is the global key.
http_call create_instance_call(const endpoint& ep, const create_instance_request& req);
http_call connect_call(const endpoint& ep, std::string_view instance,
                       std::string_view pairing_number = {});
http_call connection_state_call(const endpoint& ep, std::string_view instance);
// GET / (no instance, any key): the server's banner with its version.
http_call server_info_call(const endpoint& ep);
http_call set_webhook_call(const endpoint& ep, std::string_view instance,
                           const webhook_settings& settings);

// --- replies ----------------------------------------------------------------------------

// What the caller does with a reply (ARCHITECTURE §3.6).
enum class outcome_kind {
  ok,             // 2xx with the documented body
  retryable,      // transport failure, 5xx, 408, 429, or a 2xx body we cannot read: back off
  not_connected,  // the instance is not connected: wait for connection.update "open"
  unauthorized,   // 401/403 on the apikey: mark the instance unauthorized, hold its jobs
  not_found,      // the instance does not exist on that server
  rejected,       // any other 4xx (or a 2xx saying "no such media"): final, do not retry
};

std::string_view to_string(outcome_kind kind);

struct outcome {
  outcome_kind kind = outcome_kind::ok;
  int http_status = 0;  // 0 when no answer arrived
  std::string message;  // why it failed, one line, never a secret; "" when ok
  std::optional<std::chrono::milliseconds> retry_after;  // an upstream's Retry-After
  bool timed_out = false;
  // The finer reading of an error answer (number_not_on_whatsapp, conflict, ...).
  std::optional<failure_kind> failure;

  bool ok() const { return kind == outcome_kind::ok; }
};

// Reads transport failures and non-2xx answers; a 2xx is `ok` (its body is not read here).
outcome classify_reply(const http_reply& reply);

// Retry-After as delta-seconds or an HTTP date (relative to `now_ms`); nullopt otherwise.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::int64_t now_ms);

// GET /instance/connectionState (§5.9) and the "already open" answer of /instance/connect.
struct connection_state {
  std::string instance_name;
  std::string state;  // open | connecting | close
};
result<connection_state> parse_connection_state(std::string_view body);

// GET /instance/connect (§5.8): a QR to show, or the instance is open already.
struct connect_answer {
  std::optional<connection_state> already;  // set when the instance is connected
  std::string code;                         // raw QR string; "" when not ready yet
  std::string qr_base64;                    // PNG, no data: prefix
  std::string pairing_code;
  std::int64_t count = 0;
};
result<connect_answer> parse_connect(std::string_view body);

// POST /instance/create (§5.7).
struct created_instance {
  std::string instance_name;
  std::string instance_id;
  std::string token;   // `hash`: the instance apikey
  std::string status;  // connecting | close
  std::optional<connect_answer> qrcode;
};
result<created_instance> parse_create_instance(std::string_view body);

// The key.id of our message in `page` whose chat is one of `jids` and whose text is `text`
// (newest first, as Evolution orders them), leaving out the key.ids in `taken` (sends known to
// be others, however alike); nullopt when none matches.
std::optional<std::string> find_sent_text(const message_page& page,
                                          const std::vector<std::string>& jids,
                                          std::string_view text,
                                          const std::vector<std::string>& taken = {});

// The same for a poll: our pollCreationMessage (any version) with this question and these
// options, in order.
std::optional<std::string> find_sent_poll(const message_page& page,
                                          const std::vector<std::string>& jids,
                                          std::string_view question,
                                          const std::vector<std::string>& options,
                                          const std::vector<std::string>& taken = {});

// --- the asynchronous client ------------------------------------------------------------

// What a call delivers: `value` is meaningful only when `status.ok()`.
template <class T>
struct call_result {
  outcome status;
  T value{};

  bool ok() const { return status.ok(); }
};

template <class T>
using callback = std::function<void(call_result<T>)>;

// Talks to one Evolution server. Thread-safe (it holds no mutable state); every callback runs
// on the transport's thread, exactly once, and must not block.
class evolution_client {
 public:
  evolution_client(http_transport transport, endpoint ep);

  const endpoint& target() const { return endpoint_; }

  void send_text(std::string instance, send_text_request req, callback<sent_message> done) const;
  void send_poll(std::string instance, send_poll_request req, callback<sent_message> done) const;
  void send_media(std::string instance, send_media_request req, callback<sent_message> done) const;
  void send_presence(std::string instance, send_presence_request req, callback<unit> done) const;
  void get_base64(std::string instance, std::string message_id,
                  callback<media_download> done) const;
  void find_messages(std::string instance, find_messages_query query,
                     callback<message_page> done) const;
  void create_instance(create_instance_request req, callback<created_instance> done) const;
  void connect(std::string instance, std::string pairing_number,
               callback<connect_answer> done) const;
  void connection_state_of(std::string instance, callback<connection_state> done) const;
  void set_webhook(std::string instance, webhook_settings settings, callback<unit> done) const;
  void server_info_of(callback<server_info> done) const;

 private:
  http_transport transport_;
  endpoint endpoint_;
};

}  // namespace aibud::evolution
