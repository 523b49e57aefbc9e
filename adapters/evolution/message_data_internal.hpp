// Parsing of one message in the messages.upsert `data` format (reference §2), shared by
// the webhook parser (messages.upsert, send.message) and the REST parsers (send
// responses, findMessages records). Not part of the adapter's interface.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "adapters/evolution/events.hpp"
#include "base/error.hpp"

namespace aibud::evolution::detail {

// `data` must be an object with key.id (non-empty string), key.remoteJid (non-empty
// string), key.fromMe (boolean when `require_from_me`, else defaulting to false) and, when
// present and not null, a messageTimestamp in any int64 encoding. `path` names `data` in
// errors ("data" -> "data.key.id: expected a non-empty string"). `owner_jid` (the instance's
// own JID, may be "") is kept out of the contact's JIDs.
result<message> parse_message_data(const nlohmann::json& data, std::string_view path,
                                   std::string_view owner_jid, bool require_from_me);

// Adds `jid` to `ids` if it is a phone JID or LID, not the owner, and not already there.
void add_contact_jid(contact_ids& ids, std::string_view jid, std::string_view owner_jid);

}  // namespace aibud::evolution::detail
