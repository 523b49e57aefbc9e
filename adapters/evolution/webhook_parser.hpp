// Evolution API v2 webhook body -> domain event (reference §1-§4). Pure: no I/O, never
// throws.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "adapters/evolution/events.hpp"
#include "base/error.hpp"

namespace aibud::evolution {

// The stable machine codes of a rejected body; the HTTP layer answers 400 with them.
inline constexpr std::string_view invalid_json_code = "invalid_json";        // not JSON at all
inline constexpr std::string_view invalid_payload_code = "invalid_payload";  // JSON, wrong shape

// Parses one webhook body. `route_event_slug` is the byEvents suffix of the URL it was
// posted to ("messages-upsert"), or "" for the plain route; a body whose event does not
// map to that suffix (§1.1) is rejected.
//
// On failure the error has code errc::invalid_argument and a message of the form
// "<machine code>: <field path>: <detail>", e.g.
//   "invalid_json: body: not valid JSON"        (truncated, not JSON; "body: empty" for "")
//   "invalid_payload: data.key.id: expected a non-empty string"
//   "invalid_payload: event: \"connection.update\" does not match the route suffix ..."
// (see webhook_error_code / webhook_error_detail).
//
// Validated: the envelope (`event`, `instance`, `data`), and for messages
// `data.key.{id,remoteJid,fromMe}`, `data.messageTimestamp` (when present) and the poll
// id of a vote; `data.state` of connection.update; `data.qrcode` of qrcode.updated; JSON
// nested deeper than 64 levels is refused. Descriptive fields of a wrong type (pushName,
// caption, ...) read as absent. Events aibud does not handle parse to
// event_kind::unsupported_event, whatever their data (messages.update receipts included;
// a ≤ 2.3.0 messages.update carrying pollUpdates is a poll vote, §3.2).
result<event> parse_webhook(std::string_view body, std::string_view route_event_slug);

// invalid_json_code or invalid_payload_code for an error from parse_webhook, "" otherwise.
std::string_view webhook_error_code(const error& e);
// The rest of its message: "<field path>: <detail>".
std::string_view webhook_error_detail(const error& e);

// The envelope as JSON text without its `apikey` member (the instance token when the server
// exposes it; ARCHITECTURE §8). parse_webhook fills event::stored_payload the same way.
// REQUIRES: `envelope` nested no deeper than parse_webhook allows (the writer recurses).
std::string strip_apikey(nlohmann::json envelope);

}  // namespace aibud::evolution
