// Decoding of the value encodings Evolution API has used across releases (reference §2.2),
// JID classification (§2.3) and event-name slugs (§1.1). Pure functions; none throws.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace aibud::evolution {

// The bytes of a protobuf `bytes` field in any encoding Evolution has emitted:
// a base64 string (either alphabet, padding optional), an object with numeric keys
// {"0":12,"1":200,...} (bytes in numeric key order, {} = empty), a Node Buffer
// {"type":"Buffer","data":[...]}, or an array of numbers. nullopt when `v` is none of
// these or a byte is outside 0..255.
std::optional<std::string> bytes_of(const nlohmann::json& v);

// The value of an int64/uint64 field in any encoding: a JSON integer, an integral
// floating-point number, a decimal string ("48213", "-5"), or a Long.js object
// {"low":L,"high":H,"unsigned":b} with 32-bit halves. nullopt when `v` is none of these
// or the value does not fit an int64.
std::optional<std::int64_t> int64_of(const nlohmann::json& v);

// The byEvents URL suffix of an event name (§1.1): lower-cased, '.' and '_' turned into '-'.
// "messages.upsert" -> "messages-upsert", "MESSAGES_UPSERT" -> "messages-upsert".
std::string event_slug(std::string_view event_name);

enum class jid_kind {
  phone,       // <digits>@s.whatsapp.net (also the legacy @c.us)
  lid,         // <digits>@lid
  group,       // <id>@g.us
  broadcast,   // status@broadcast and broadcast lists
  newsletter,  // <id>@newsletter
  other,       // anything else, including strings without '@'
};

jid_kind classify_jid(std::string_view jid);

// A user JID without its device part ("5511900000001:12@s.whatsapp.net" ->
// "5511900000001@s.whatsapp.net"); other JIDs are returned unchanged.
std::string normalize_user_jid(std::string_view jid);

}  // namespace aibud::evolution
