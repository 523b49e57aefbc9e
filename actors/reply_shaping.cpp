#include "actors/reply_shaping.hpp"

#include <algorithm>

namespace aibud::actors {
namespace {

std::string trimmed(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

bool continuation(unsigned char byte) {
  return (byte & 0xC0) == 0x80;
}

// Where to cut `text` so that the head fits in `limit` bytes: after the last separator in
// that window, else at a character boundary.
std::size_t cut_point(const std::string& text, std::size_t limit) {
  for (const char* separator : {"\n\n", "\n", " "}) {
    const auto at = text.rfind(separator, limit);
    if (at != std::string::npos && at > 0) return at;
  }
  std::size_t at = limit;
  while (at > 0 && continuation(static_cast<unsigned char>(text[at]))) --at;
  return at == 0 ? limit : at;
}

}  // namespace

std::vector<std::string> split_reply(const std::string& text, std::size_t max_length) {
  std::vector<std::string> parts;
  std::string rest = trimmed(text);
  while (max_length > 0 && rest.size() > max_length) {
    const std::size_t at = cut_point(rest, max_length);
    std::string head = trimmed(rest.substr(0, at));
    if (!head.empty()) parts.push_back(std::move(head));
    rest = trimmed(rest.substr(at));
  }
  if (!rest.empty()) parts.push_back(std::move(rest));
  return parts;
}

int64_t typing_delay_ms(const std::string& text, const shaping_settings& s) {
  int64_t chars = 0;
  for (char c : text)
    if (!continuation(static_cast<unsigned char>(c))) ++chars;
  return std::min(s.max_delay_ms, std::max(s.min_delay_ms, chars * s.ms_per_char));
}

std::vector<outbound> shape(const std::vector<outbound>& sends, const shaping_settings& s) {
  std::vector<outbound> out;
  for (const auto& send : sends) {
    if (send.what != outbound::kind::text) {
      out.push_back(send);
      continue;
    }
    for (auto& part : split_reply(send.text, s.max_length)) {
      if (s.typing) out.push_back(outbound::send_presence(typing_delay_ms(part, s)));
      out.push_back(outbound::send_text(std::move(part)));
    }
  }
  return out;
}

}  // namespace aibud::actors
