// JSON text written straight into a string, byte for byte as nlohmann::json::dump() writes it
// (compact, UTF-8 kept as is, object keys in order), without building a DOM first. The job's
// journal and the contact's context window are written this way on every message: through
// nlohmann, building the objects, copying what they hold and dumping them cost more than the
// rest of the step that saves them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace aibud::json_text {

// `text` as a JSON string, quotes included. Text that is not valid UTF-8 throws what dump()
// throws for it (nlohmann::json::type_error 316).
void append_string(std::string& out, std::string_view text);

// `value` as dump() writes it.
void append(std::string& out, const nlohmann::json& value);
std::string dump(const nlohmann::json& value);

// `items` as a JSON array, each element written by `write(out, item)`.
template <class Items, class Write>
void append_array(std::string& out, const Items& items, Write write) {
  out += '[';
  bool first = true;
  for (const auto& item : items) {
    if (!first) out += ',';
    first = false;
    write(out, item);
  }
  out += ']';
}

// An object's members, written one by one: the caller gives them in key order (what dump()
// writes for the same object) and each key is a plain name (no character to escape).
class object {
 public:
  explicit object(std::string& out) : out_(out) { out_ += '{'; }
  object(const object&) = delete;
  object& operator=(const object&) = delete;

  object& string(std::string_view key, std::string_view value);
  object& number(std::string_view key, int64_t value);
  object& boolean(std::string_view key, bool value);
  object& value(std::string_view key, const nlohmann::json& value);
  // `text` is a value's JSON text already (a nested object written earlier).
  object& raw(std::string_view key, std::string_view text);
  // Starts the member `key`; its value is what the caller appends to out() next.
  std::string& member(std::string_view key);
  void close() { out_ += '}'; }

 private:
  std::string& out_;
  bool first_ = true;
};

}  // namespace aibud::json_text
