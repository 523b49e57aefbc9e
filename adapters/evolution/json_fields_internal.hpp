// Non-throwing member access on nlohmann::json for the Evolution parsers. Not part of the
// adapter's interface.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/error.hpp"

namespace aibud::evolution::detail {

using json = nlohmann::json;

// The member `name` of `obj`; nullptr when `obj` is not an object or has no such member.
inline const json* member(const json& obj, std::string_view name) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(name);
  return it == obj.end() ? nullptr : &*it;
}

inline const json* object_member(const json& obj, std::string_view name) {
  const json* m = member(obj, name);
  return m && m->is_object() ? m : nullptr;
}

// The string member `name`, or "" when it is absent, null or not a string.
inline std::string string_or_empty(const json& obj, std::string_view name) {
  const json* m = member(obj, name);
  return m && m->is_string() ? m->get<std::string>() : std::string();
}

inline std::string join_path(std::string_view parent, std::string_view name) {
  std::string path(parent);
  if (!path.empty()) path += '.';
  path += name;
  return path;
}

// A field error: "<path>: <detail>", code invalid_argument. Callers prefix their own code.
inline error field_error(std::string_view path, std::string_view detail) {
  std::string message(path);
  message += ": ";
  message += detail;
  return make_error(errc::invalid_argument, std::move(message));
}

}  // namespace aibud::evolution::detail
