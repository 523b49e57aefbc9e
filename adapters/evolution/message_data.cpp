#include <algorithm>

#include "adapters/evolution/json_fields_internal.hpp"
#include "adapters/evolution/message_data_internal.hpp"
#include "adapters/evolution/wire_values.hpp"

namespace aibud::evolution::detail {

namespace {

chat_kind chat_kind_of(std::string_view remote_jid) {
  switch (classify_jid(remote_jid)) {
    case jid_kind::group:
      return chat_kind::group;
    case jid_kind::broadcast:
      return chat_kind::broadcast;
    case jid_kind::newsletter:
      return chat_kind::newsletter;
    case jid_kind::phone:
    case jid_kind::lid:
    case jid_kind::other:
      return chat_kind::direct;
  }
  return chat_kind::direct;
}

// Which key fields name the contact depends on the chat (reference §2.3). For a fromMe 1:1
// message the alternates are skipped: Baileys may put the business's own alternate id
// there, and aliasing it would merge every contact the business writes to into one.
contact_ids contact_of(const json& key, chat_kind chat, bool from_me, std::string_view owner_jid) {
  static const char* const direct_fields[] = {"remoteJid", "remoteJidAlt", "senderPn", "senderLid",
                                              "previousRemoteJid"};
  static const char* const direct_from_me_fields[] = {"remoteJid", "previousRemoteJid"};
  static const char* const group_fields[] = {"participant", "participantAlt", "participantPn",
                                             "participantLid"};
  static const char* const broadcast_fields[] = {"participant", "participantAlt", "remoteJidAlt",
                                                 "participantPn", "participantLid"};
  contact_ids ids;
  auto add_all = [&](const auto& fields) {
    for (const char* field : fields) add_contact_jid(ids, string_or_empty(key, field), owner_jid);
  };
  switch (chat) {
    case chat_kind::direct:
      if (from_me) {
        add_all(direct_from_me_fields);
      } else {
        add_all(direct_fields);
      }
      break;
    case chat_kind::group:
      add_all(group_fields);
      break;
    case chat_kind::broadcast:
      add_all(broadcast_fields);
      break;
    case chat_kind::newsletter:
      break;
  }
  return ids;
}

// Evolution unwraps only documentWithCaptionMessage; the others may reach us (§2.4).
const json& unwrap_content(const json& msg) {
  static const char* const wrappers[] = {"ephemeralMessage", "viewOnceMessage", "viewOnceMessageV2",
                                         "viewOnceMessageV2Extension",
                                         "documentWithCaptionMessage"};
  const json* current = &msg;
  // A bound, not a loop until fixpoint: wrappers nest at most two deep in practice.
  for (int depth = 0; depth < 4; ++depth) {
    const json* inner = nullptr;
    for (const char* wrapper : wrappers) {
      if (const json* w = object_member(*current, wrapper)) {
        inner = object_member(*w, "message");
        if (inner) break;
      }
    }
    if (!inner) break;
    current = inner;
  }
  return *current;
}

std::optional<std::int64_t> optional_int64(const json& obj, std::string_view name) {
  const json* m = member(obj, name);
  return m ? int64_of(*m) : std::nullopt;
}

std::string strip_data_url(std::string value) {
  if (value.rfind("data:", 0) == 0) {
    auto comma = value.find(',');
    if (comma != std::string::npos) value.erase(0, comma + 1);
  }
  return value;
}

std::string quoted_id_of(const json& data, const json* extended) {
  if (const json* ctx = object_member(data, "contextInfo")) {
    std::string id = string_or_empty(*ctx, "stanzaId");
    if (!id.empty()) return id;
  }
  if (extended) {
    if (const json* ctx = object_member(*extended, "contextInfo")) {
      return string_or_empty(*ctx, "stanzaId");
    }
  }
  return {};
}

image_content image_of(const json& node, const json& outer) {
  image_content image;
  image.caption = string_or_empty(node, "caption");
  image.mimetype = string_or_empty(node, "mimetype");
  image.file_length = optional_int64(node, "fileLength");
  image.width = optional_int64(node, "width");
  image.height = optional_int64(node, "height");
  image.inline_base64 = strip_data_url(string_or_empty(outer, "base64"));
  image.media_url = string_or_empty(outer, "mediaUrl");
  return image;
}

audio_content audio_of(const json& node, const json& outer) {
  audio_content audio;
  audio.mimetype = string_or_empty(node, "mimetype");
  if (const json* ptt = member(node, "ptt"); ptt && ptt->is_boolean()) {
    audio.voice_note = ptt->get<bool>();
  }
  audio.seconds = optional_int64(node, "seconds");
  audio.file_length = optional_int64(node, "fileLength");
  audio.inline_base64 = strip_data_url(string_or_empty(outer, "base64"));
  audio.media_url = string_or_empty(outer, "mediaUrl");
  return audio;
}

std::vector<std::string> strings_of(const json& arr) {
  std::vector<std::string> out;
  if (!arr.is_array()) return out;
  for (const auto& item : arr) {
    if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

// Option names whose `voters` is non-empty in data.pollUpdates ({name, voters[]} per option).
std::vector<std::string> voted_options(const json& poll_updates) {
  std::vector<std::string> names;
  for (const auto& option : poll_updates) {
    const json* voters = member(option, "voters");
    if (voters && voters->is_array() && !voters->empty()) {
      std::string name = string_or_empty(option, "name");
      if (!name.empty()) names.push_back(std::move(name));
    }
  }
  return names;
}

result<message_content> poll_vote_of(const json& node, const json& data, const std::string& path) {
  poll_vote_content vote;
  const json* poll_key = object_member(node, "pollCreationMessageKey");
  if (poll_key) vote.poll_id = string_or_empty(*poll_key, "id");
  if (vote.poll_id.empty()) {
    return field_error(join_path(path, "message.pollUpdateMessage.pollCreationMessageKey.id"),
                       "expected a non-empty string");
  }
  const json* v = object_member(node, "vote");
  const json* selected = v ? member(*v, "selectedOptions") : nullptr;
  const json* updates = member(data, "pollUpdates");
  if (selected && selected->is_array()) {
    vote.selected_options = strings_of(*selected);
    vote.decrypted = true;
  } else if (updates && updates->is_array()) {
    vote.selected_options = voted_options(*updates);
    vote.decrypted = true;
  }
  vote.sender_timestamp_ms = optional_int64(node, "senderTimestampMs");
  return message_content(std::move(vote));
}

poll_creation_content poll_creation_of(const json& node) {
  poll_creation_content poll;
  poll.question = string_or_empty(node, "name");
  if (const json* options = member(node, "options"); options && options->is_array()) {
    for (const auto& option : *options) {
      std::string name = string_or_empty(option, "optionName");
      if (!name.empty()) poll.options.push_back(std::move(name));
    }
  }
  poll.selectable_count = optional_int64(node, "selectableOptionsCount").value_or(0);
  return poll;
}

// The first content key of a message we do not handle, for logs and the interaction record.
std::string unsupported_type_of(const json& msg, const std::string& message_type) {
  if (!message_type.empty()) return message_type;
  if (msg.is_object()) {
    for (auto it = msg.begin(); it != msg.end(); ++it) {
      const std::string& key = it.key();
      if (key != "messageContextInfo" && key != "base64" && key != "mediaUrl") return key;
    }
  }
  return "unknown";
}

result<message_content> content_of(const json& data, const std::string& message_type,
                                   const std::string& path) {
  const json* outer = object_member(data, "message");
  if (!outer)
    return message_content(unsupported_content{unsupported_type_of(json(), message_type)});
  const json& msg = unwrap_content(*outer);
  if (const json* text = member(msg, "conversation"); text && text->is_string()) {
    return message_content(text_content{text->get<std::string>(), quoted_id_of(data, nullptr)});
  }
  if (const json* ext = object_member(msg, "extendedTextMessage")) {
    if (const json* text = member(*ext, "text"); text && text->is_string()) {
      return message_content(text_content{text->get<std::string>(), quoted_id_of(data, ext)});
    }
  }
  if (const json* node = object_member(msg, "imageMessage")) {
    return message_content(image_of(*node, *outer));
  }
  if (const json* node = object_member(msg, "audioMessage")) {
    return message_content(audio_of(*node, *outer));
  }
  if (const json* node = object_member(msg, "pollUpdateMessage")) {
    return poll_vote_of(*node, data, path);
  }
  for (const char* name :
       {"pollCreationMessageV3", "pollCreationMessageV2", "pollCreationMessage"}) {
    if (const json* node = object_member(msg, name))
      return message_content(poll_creation_of(*node));
  }
  return message_content(unsupported_content{unsupported_type_of(msg, message_type)});
}

void add_voter_jids(contact_ids& ids, const json& data, std::string_view owner_jid) {
  const json* updates = member(data, "pollUpdates");
  if (!updates || !updates->is_array()) return;
  for (const auto& option : *updates) {
    const json* voters = member(option, "voters");
    if (!voters || !voters->is_array()) continue;
    for (const auto& voter : *voters) {
      if (voter.is_string()) add_contact_jid(ids, voter.get_ref<const std::string&>(), owner_jid);
    }
  }
}

}  // namespace

void add_contact_jid(contact_ids& ids, std::string_view jid, std::string_view owner_jid) {
  auto kind = classify_jid(jid);
  if (kind != jid_kind::phone && kind != jid_kind::lid) return;
  std::string normalized = normalize_user_jid(jid);
  if (!owner_jid.empty() && normalized == normalize_user_jid(owner_jid)) return;
  if (std::find(ids.jids.begin(), ids.jids.end(), normalized) != ids.jids.end()) return;
  if (kind == jid_kind::phone && ids.phone_jid.empty()) ids.phone_jid = normalized;
  if (kind == jid_kind::lid && ids.lid.empty()) ids.lid = normalized;
  ids.jids.push_back(std::move(normalized));
}

result<message> parse_message_data(const json& data, std::string_view path,
                                   std::string_view owner_jid, bool require_from_me) {
  const std::string base(path);
  if (!data.is_object()) return field_error(base, "expected an object");
  const json* key = member(data, "key");
  if (!key || !key->is_object()) return field_error(join_path(base, "key"), "expected an object");

  message m;
  const json* id = member(*key, "id");
  if (!id || !id->is_string() || id->get_ref<const std::string&>().empty()) {
    return field_error(join_path(base, "key.id"), "expected a non-empty string");
  }
  m.key.id = id->get<std::string>();
  const json* remote = member(*key, "remoteJid");
  if (!remote || !remote->is_string() || remote->get_ref<const std::string&>().empty()) {
    return field_error(join_path(base, "key.remoteJid"), "expected a non-empty string");
  }
  m.key.remote_jid = remote->get<std::string>();
  const json* from_me = member(*key, "fromMe");
  if (from_me && from_me->is_boolean()) {
    m.key.from_me = from_me->get<bool>();
  } else if (from_me || require_from_me) {
    return field_error(join_path(base, "key.fromMe"), "expected a boolean");
  }
  m.key.remote_jid_alt = string_or_empty(*key, "remoteJidAlt");
  m.key.participant = string_or_empty(*key, "participant");
  m.key.participant_alt = string_or_empty(*key, "participantAlt");
  m.key.addressing_mode = string_or_empty(*key, "addressingMode");

  if (const json* ts = member(data, "messageTimestamp"); ts && !ts->is_null()) {
    m.timestamp = int64_of(*ts);
    if (!m.timestamp) {
      return field_error(join_path(base, "messageTimestamp"),
                         "expected an integer (epoch seconds)");
    }
  }
  m.push_name = string_or_empty(data, "pushName");
  m.message_type = string_or_empty(data, "messageType");
  m.status = string_or_empty(data, "status");
  m.source = string_or_empty(data, "source");
  m.chat_jid = m.key.remote_jid;
  m.chat = chat_kind_of(m.key.remote_jid);
  m.contact = contact_of(*key, m.chat, m.key.from_me, owner_jid);

  auto content = content_of(data, m.message_type, base);
  if (!content.ok()) return content.err();
  m.content = std::move(content).value();
  // A decrypted vote lists its voter under whichever JID decrypted it: one more alias.
  if (std::holds_alternative<poll_vote_content>(m.content) && !m.key.from_me) {
    add_voter_jids(m.contact, data, owner_jid);
  }
  return m;
}

}  // namespace aibud::evolution::detail
