#include "adapters/evolution/events.hpp"

namespace aibud::evolution {

std::string_view to_string(event_kind kind) {
  switch (kind) {
    case event_kind::inbound_message:
      return "inbound_message";
    case event_kind::business_message:
      return "business_message";
    case event_kind::group_message:
      return "group_message";
    case event_kind::broadcast_message:
      return "broadcast_message";
    case event_kind::unsupported_message:
      return "unsupported_message";
    case event_kind::own_send:
      return "own_send";
    case event_kind::connection_update:
      return "connection_update";
    case event_kind::qrcode_updated:
      return "qrcode_updated";
    case event_kind::unsupported_event:
      return "unsupported_event";
  }
  return "unsupported_event";
}

std::string_view event::message_id() const {
  const message* m = as_message();
  return m ? std::string_view(m->key.id) : std::string_view();
}

std::optional<std::string_view> ignore_reason(const event& e) {
  switch (e.kind) {
    case event_kind::group_message:
      return "group";
    case event_kind::broadcast_message:
      return "broadcast";
    case event_kind::own_send:
      return "own_send";
    case event_kind::unsupported_event:
      return "unsupported_event";
    case event_kind::unsupported_message:
      return "unsupported_message";
    case event_kind::inbound_message:
    case event_kind::business_message:
    case event_kind::connection_update:
    case event_kind::qrcode_updated:
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace aibud::evolution
