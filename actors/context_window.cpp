#include "actors/context_window.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <string_view>

#include "base/json_text.hpp"

namespace aibud::actors {
namespace {

using nlohmann::json;

// ---- the window as updated_context writes it -------------------------------------------
// Parsing the whole window with nlohmann (20 turns, ~2 KB) to read it and again to add two
// turns was a quarter of the contact threads' time per message. The window is always
// written by updated_context, so these read that spelling directly: objects with "role" then
// "text" (nlohmann orders keys), no whitespace. Anything else returns false and the caller
// takes the full parse.

// A JSON string at t[i] (the opening quote), its escapes resolved into `out` (when given); i
// moves past the closing quote. False for \u escapes (rare: dump writes only control
// characters that way), which the full parse resolves, and for what JSON does not allow in
// a string (a raw control character), which it rejects.
bool read_string(std::string_view t, std::size_t& i, std::string* out) {
  if (i >= t.size() || t[i] != '"') return false;
  ++i;
  for (;;) {
    // The run of characters up to the next quote, backslash or control character, in one go.
    std::size_t run = i;
    while (run < t.size()) {
      const auto c = static_cast<unsigned char>(t[run]);
      if (c == '"' || c == '\\' || c < 0x20) break;
      ++run;
    }
    if (out) out->append(t.data() + i, run - i);
    i = run;
    if (i >= t.size() || static_cast<unsigned char>(t[i]) < 0x20) return false;
    if (t[i] == '"') {
      ++i;
      return true;
    }
    if (++i == t.size()) return false;  // past the backslash
    char c;
    switch (t[i]) {
      case '"':
      case '\\':
      case '/':
        c = t[i];
        break;
      case 'b':
        c = '\b';
        break;
      case 'f':
        c = '\f';
        break;
      case 'n':
        c = '\n';
        break;
      case 'r':
        c = '\r';
        break;
      case 't':
        c = '\t';
        break;
      default:
        return false;
    }
    if (out) *out += c;
    ++i;
  }
}

bool literal_at(std::string_view t, std::size_t& i, std::string_view what) {
  if (t.substr(i, what.size()) != what) return false;
  i += what.size();
  return true;
}

// A window as updated_context writes it, [{"role":"...","text":"..."},...], read in one
// pass: each turn's text as written goes to `spans`, its role and text to `turns` (either may
// be null). False for any other spelling.
bool read_written(std::string_view t, std::vector<std::string_view>* spans,
                  std::vector<ai::turn>* turns) {
  if (t.size() < 2 || t.front() != '[' || t.back() != ']') return false;
  const std::size_t last = t.size() - 1;  // the closing ']'
  std::size_t i = 1;
  while (i < last) {
    if (i > 1 && !literal_at(t, i, ",")) return false;
    const std::size_t start = i;
    std::string role, text;
    if (!literal_at(t, i, R"({"role":)") || !read_string(t, i, turns ? &role : nullptr) ||
        !literal_at(t, i, R"(,"text":)") || !read_string(t, i, turns ? &text : nullptr) ||
        !literal_at(t, i, "}"))
      return false;
    if (spans) spans->push_back(t.substr(start, i - start));
    if (turns)
      turns->push_back({role == "model" ? ai::role::model : ai::role::user, std::move(text), {}});
  }
  return i == last;
}

// ---- any other spelling ----------------------------------------------------------------

std::vector<ai::turn> parsed_turns(const std::string& context_json) {
  std::vector<ai::turn> turns;
  json h = json::parse(context_json, nullptr, false);
  if (!h.is_array()) return turns;
  for (const auto& t : h) {
    if (!t.is_object()) continue;
    ai::turn turn;
    turn.speaker = t.value("role", "user") == "model" ? ai::role::model : ai::role::user;
    turn.text = t.value("text", "");
    turns.push_back(std::move(turn));
  }
  return turns;
}

std::string parsed_update(const std::string& context_json, const std::string& in,
                          const std::string& out, int history_turns) {
  json h = json::parse(context_json, nullptr, false);
  if (!h.is_array()) h = json::array();
  if (!in.empty()) h.push_back({{"role", "user"}, {"text", in}});
  if (!out.empty()) h.push_back({{"role", "model"}, {"text", out}});
  while (history_turns > 0 && static_cast<int>(h.size()) > history_turns) h.erase(h.begin());
  return h.dump();
}

// One turn as dump() writes {"role":role,"text":text}.
std::string turn_text(const char* role, const std::string& text) {
  std::string out = R"({"role":")";
  out += role;
  out += R"(","text":)";
  json_text::append_string(out, text);
  out += '}';
  return out;
}

}  // namespace

std::vector<ai::turn> context_turns(const std::string& context_json, int count) {
  std::vector<ai::turn> turns;
  if (!read_written(context_json, nullptr, &turns)) turns = parsed_turns(context_json);
  turns.erase(
      std::remove_if(turns.begin(), turns.end(), [](const ai::turn& t) { return t.text.empty(); }),
      turns.end());
  if (count >= 0 && turns.size() > static_cast<std::size_t>(count))
    turns.erase(turns.begin(), turns.end() - count);
  return turns;
}

std::string updated_context(const std::string& context_json, const std::string& in,
                            const std::string& out, int history_turns) {
  std::vector<std::string_view> kept;
  // Only a window as written here is kept as text: anything else (an element that is not
  // valid JSON, say) goes through the parse, which starts such a window again empty.
  if (!read_written(context_json, &kept, nullptr))
    return parsed_update(context_json, in, out, history_turns);
  std::vector<std::string> added;
  if (!in.empty()) added.push_back(turn_text("user", in));
  if (!out.empty()) added.push_back(turn_text("model", out));
  const std::size_t total = kept.size() + added.size();
  std::size_t drop = history_turns > 0 && total > static_cast<std::size_t>(history_turns)
                         ? total - static_cast<std::size_t>(history_turns)
                         : 0;
  std::string window = "[";
  std::size_t size = context_json.size();
  for (const std::string& e : added) size += e.size() + 1;
  window.reserve(size);
  auto append = [&](std::string_view e) {
    if (window.size() > 1) window += ',';
    window += e;
  };
  for (std::string_view e : kept)
    if (drop > 0)
      --drop;
    else
      append(e);
  for (const std::string& e : added)
    if (drop > 0)
      --drop;
    else
      append(e);
  window += ']';
  return window;
}

}  // namespace aibud::actors
