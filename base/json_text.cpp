#include "base/json_text.hpp"

#include <charconv>

#include <nlohmann/json.hpp>

namespace aibud::json_text {
namespace {

using json = nlohmann::json;

bool continuation(unsigned char c) {
  return (c & 0xC0) == 0x80;
}

// The length of the well-formed UTF-8 sequence at t[i] that starts with a byte >= 0x80
// (Unicode's table 3-7: no overlong forms, no surrogates, nothing past U+10FFFF), or 0.
std::size_t sequence_at(std::string_view t, std::size_t i) {
  const auto byte = [&](std::size_t k) -> unsigned char {
    return i + k < t.size() ? static_cast<unsigned char>(t[i + k]) : 0;
  };
  const unsigned char lead = byte(0);
  if (lead >= 0xC2 && lead <= 0xDF) return continuation(byte(1)) ? 2 : 0;
  if (lead >= 0xE0 && lead <= 0xEF) {
    const unsigned char second = byte(1);
    const bool ok = lead == 0xE0   ? second >= 0xA0 && second <= 0xBF
                    : lead == 0xED ? second >= 0x80 && second <= 0x9F
                                   : continuation(second);
    return ok && continuation(byte(2)) ? 3 : 0;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    const unsigned char second = byte(1);
    const bool ok = lead == 0xF0   ? second >= 0x90 && second <= 0xBF
                    : lead == 0xF4 ? second >= 0x80 && second <= 0x8F
                                   : continuation(second);
    return ok && continuation(byte(2)) && continuation(byte(3)) ? 4 : 0;
  }
  return 0;
}

void append_escaped_control(std::string& out, unsigned char c) {
  switch (c) {
    case '\b':
      out += "\\b";
      return;
    case '\t':
      out += "\\t";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\f':
      out += "\\f";
      return;
    case '\r':
      out += "\\r";
      return;
    default: {
      static const char digits[] = "0123456789abcdef";
      out += "\\u00";
      out += digits[c >> 4];
      out += digits[c & 0x0F];
    }
  }
}

template <class Number>
void append_number(std::string& out, Number n) {
  char buffer[24];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, n);
  (void)ec;  // 24 characters hold every 64-bit integer
  out.append(buffer, end);
}

}  // namespace

void append_string(std::string& out, std::string_view text) {
  const std::size_t start = out.size();
  out += '"';
  std::size_t plain = 0;  // start of the run of bytes copied as they are
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      const std::size_t n = sequence_at(text, i);
      if (n == 0) {  // dump() throws its error for this text
        out.resize(start);
        out += json(std::string(text)).dump();
        return;
      }
      i += n;
      continue;
    }
    out.append(text.data() + plain, i - plain);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else {
      append_escaped_control(out, c);
    }
    plain = ++i;
  }
  out.append(text.data() + plain, text.size() - plain);
  out += '"';
}

void append(std::string& out, const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      out += "null";
      return;
    case json::value_t::boolean:
      out += value.get<bool>() ? "true" : "false";
      return;
    case json::value_t::number_integer:
      append_number(out, value.get<int64_t>());
      return;
    case json::value_t::number_unsigned:
      append_number(out, value.get<uint64_t>());
      return;
    case json::value_t::string:
      append_string(out, value.get_ref<const std::string&>());
      return;
    case json::value_t::array:
      append_array(out, value, [](std::string& o, const json& element) { append(o, element); });
      return;
    case json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, member] : value.items()) {
        if (!first) out += ',';
        first = false;
        append_string(out, key);
        out += ':';
        append(out, member);
      }
      out += '}';
      return;
    }
    default:  // floating point (its shortest round-trip form), binary, discarded
      out += value.dump();
  }
}

std::string dump(const json& value) {
  std::string out;
  append(out, value);
  return out;
}

std::string& object::member(std::string_view key) {
  if (!first_) out_ += ',';
  first_ = false;
  out_ += '"';
  out_ += key;
  out_ += "\":";
  return out_;
}

object& object::string(std::string_view key, std::string_view value) {
  append_string(member(key), value);
  return *this;
}

object& object::number(std::string_view key, int64_t value) {
  append_number(member(key), value);
  return *this;
}

object& object::boolean(std::string_view key, bool value) {
  member(key) += value ? "true" : "false";
  return *this;
}

object& object::value(std::string_view key, const json& value) {
  append(member(key), value);
  return *this;
}

object& object::raw(std::string_view key, std::string_view text) {
  member(key) += text;
  return *this;
}

}  // namespace aibud::json_text
