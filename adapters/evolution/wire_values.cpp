#include "adapters/evolution/wire_values.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <vector>

#include "base/crypto.hpp"

namespace aibud::evolution {

namespace {

using json = nlohmann::json;

constexpr std::int64_t int64_max = std::numeric_limits<std::int64_t>::max();

std::optional<unsigned char> byte_of(const json& v) {
  if (!v.is_number_integer()) return std::nullopt;
  if (v.is_number_unsigned()) {
    auto u = v.get<std::uint64_t>();
    if (u > 255) return std::nullopt;
    return static_cast<unsigned char>(u);
  }
  auto i = v.get<std::int64_t>();
  if (i < 0 || i > 255) return std::nullopt;
  return static_cast<unsigned char>(i);
}

std::optional<std::string> bytes_of_array(const json& arr) {
  std::string out;
  out.reserve(arr.size());
  for (const auto& item : arr) {
    auto b = byte_of(item);
    if (!b) return std::nullopt;
    out.push_back(static_cast<char>(*b));
  }
  return out;
}

std::optional<std::size_t> index_of_key(const std::string& key) {
  // Nine digits bound the value far below overflow; real byte objects are < 1 MiB long.
  if (key.empty() || key.size() > 9) return std::nullopt;
  std::size_t n = 0;
  for (char c : key) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::size_t>(c - '0');
  }
  return n;
}

// {"0":b0,"1":b1,...}: keys are distinct, so n keys that are all below n are exactly 0..n-1.
std::optional<std::string> bytes_of_numeric_object(const json& obj) {
  const std::size_t n = obj.size();
  std::string out(n, '\0');
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    auto index = index_of_key(it.key());
    if (!index || *index >= n) return std::nullopt;
    auto b = byte_of(it.value());
    if (!b) return std::nullopt;
    out[*index] = static_cast<char>(*b);
  }
  return out;
}

std::optional<std::int64_t> int64_of_string(const std::string& s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  std::int64_t value = 0;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

std::optional<std::int64_t> int64_of_number(const json& v) {
  if (v.is_number_unsigned()) {
    auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(int64_max)) return std::nullopt;
    return static_cast<std::int64_t>(u);
  }
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (v.is_number_float()) {
    double d = v.get<double>();
    // 2^63 is exactly representable; anything at or past it would overflow the cast.
    if (!std::isfinite(d) || d != std::trunc(d) || d < -9223372036854775808.0 ||
        d >= 9223372036854775808.0) {
      return std::nullopt;
    }
    return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

// A Long.js half: protobufjs writes signed 32-bit values, other writers unsigned ones.
std::optional<std::uint32_t> long_half(const json& v) {
  auto i = int64_of_number(v);
  if (!i || *i < std::numeric_limits<std::int32_t>::min() ||
      *i > std::numeric_limits<std::uint32_t>::max()) {
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(*i);
}

std::optional<std::int64_t> int64_of_long(const json& obj) {
  auto low_it = obj.find("low");
  auto high_it = obj.find("high");
  if (low_it == obj.end() || high_it == obj.end()) return std::nullopt;
  auto low = long_half(*low_it);
  auto high = long_half(*high_it);
  if (!low || !high) return std::nullopt;
  bool is_unsigned = false;
  if (auto u = obj.find("unsigned"); u != obj.end()) {
    if (!u->is_boolean()) return std::nullopt;
    is_unsigned = u->get<bool>();
  }
  const std::uint64_t bits = (static_cast<std::uint64_t>(*high) << 32) | *low;
  if (bits <= static_cast<std::uint64_t>(int64_max)) return static_cast<std::int64_t>(bits);
  if (is_unsigned) return std::nullopt;
  // Two's complement without relying on an out-of-range conversion.
  return -static_cast<std::int64_t>(~bits) - 1;
}

}  // namespace

std::optional<std::string> bytes_of(const json& v) {
  if (v.is_string()) return crypto::base64_decode(v.get_ref<const std::string&>());
  if (v.is_array()) return bytes_of_array(v);
  if (!v.is_object()) return std::nullopt;
  auto type = v.find("type");
  auto data = v.find("data");
  if (type != v.end() && type->is_string() && *type == "Buffer" && data != v.end() &&
      data->is_array()) {
    return bytes_of_array(*data);
  }
  return bytes_of_numeric_object(v);
}

std::optional<std::int64_t> int64_of(const json& v) {
  if (v.is_string()) return int64_of_string(v.get_ref<const std::string&>());
  if (v.is_object()) return int64_of_long(v);
  return int64_of_number(v);
}

std::string event_slug(std::string_view event_name) {
  std::string slug(event_name);
  for (char& c : slug) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    } else if (c == '.' || c == '_') {
      c = '-';
    }
  }
  return slug;
}

jid_kind classify_jid(std::string_view jid) {
  auto at = jid.rfind('@');
  if (at == std::string_view::npos || at == 0) return jid_kind::other;
  std::string_view server = jid.substr(at + 1);
  if (server == "s.whatsapp.net" || server == "c.us") return jid_kind::phone;
  if (server == "lid") return jid_kind::lid;
  if (server == "g.us") return jid_kind::group;
  if (server == "broadcast") return jid_kind::broadcast;
  if (server == "newsletter") return jid_kind::newsletter;
  return jid_kind::other;
}

std::string normalize_user_jid(std::string_view jid) {
  auto kind = classify_jid(jid);
  if (kind != jid_kind::phone && kind != jid_kind::lid) return std::string(jid);
  auto at = jid.rfind('@');
  std::string_view user = jid.substr(0, at);
  if (auto colon = user.find(':'); colon != std::string_view::npos) user = user.substr(0, colon);
  // A device-only JID (":12@lid") has no user to name; keep it as delivered.
  if (user.empty()) return std::string(jid);
  return std::string(user) + (kind == jid_kind::phone ? "@s.whatsapp.net" : "@lid");
}

}  // namespace aibud::evolution
