// Damaged and reshaped bodies: every parser must answer with a value or an error, never crash
// or throw. Run under ASan/UBSan (-DAIBUD_SANITIZE=ON) to catch what a plain build would miss.
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <functional>

#include "adapters/evolution/rest_responses.hpp"
#include "adapters/evolution/webhook_parser.hpp"
#include "tests/evolution/samples.hpp"

namespace evo = aibud::evolution;
using evo::testing::sample_json;
using evo::testing::sample_text;
using json = nlohmann::json;

namespace {

const std::vector<std::string> rest_samples = {
    "send-text-response.json",  "send-poll-response.json", "find-messages-response.json",
    "get-base64-response.json", "error-400.json",          "error-401.json",
};

// A deterministic generator, so a failure reproduces.
struct lcg {
  std::uint64_t state;
  std::uint64_t next() {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state >> 33;
  }
};

bool is_rest_sample(const std::string& name) {
  return std::find(rest_samples.begin(), rest_samples.end(), name) != rest_samples.end();
}

// Feeds `body` to the webhook parser, or to every REST parser for a REST sample. A webhook
// must come out as an event with an instance, or as an error with one of the two codes.
void exercise(const std::string& body, bool rest) {
  CHECK_NOTHROW({
    if (rest) {
      (void)evo::parse_send_response(body);
      (void)evo::parse_find_messages(body);
      (void)evo::parse_media_download(body);
      (void)evo::classify_failure(500, body);
    } else {
      auto parsed = evo::parse_webhook(body, "");
      if (parsed.ok()) {
        CHECK(!parsed->instance.empty());
        if (const auto* m = parsed->as_message()) CHECK(!m->key.id.empty());
      } else {
        CHECK(!evo::webhook_error_code(parsed.err()).empty());
      }
    }
  });
}

// Byte objects {"0":..,"1":..} and arrays repeat one shape; their first two members stand
// for the rest, which keeps the type-swap test to seconds.
bool is_repeated_member(const json::json_pointer& path) {
  if (path.empty()) return false;
  const std::string& last = path.back();
  if (last.empty() ||
      !std::all_of(last.begin(), last.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  return last.size() > 1 || last[0] >= '2';
}

// Replacements for a value, covering every JSON type and each int64/bytes encoding.
std::vector<json> replacements() {
  return {json(nullptr),
          json(true),
          json(-1),
          json(0),
          json(1.5),
          json(18446744073709551615ULL),
          json(""),
          json("3A5F"),
          json("5511900000001@s.whatsapp.net"),
          json::array(),
          json::array({1, "x", nullptr}),
          json::object(),
          json::parse(R"({"low":-1,"high":2147483647,"unsigned":true})"),
          json::parse(R"({"0":300})"),
          json::parse(R"({"type":"Buffer","data":"x"})")};
}

// Calls `visit` with a pointer to every value inside `doc`, depth first.
void each_path(const json& doc, const json::json_pointer& at,
               const std::function<void(const json::json_pointer&)>& visit) {
  visit(at);
  const json& node = doc.at(at);
  if (node.is_object()) {
    for (auto it = node.begin(); it != node.end(); ++it) each_path(doc, at / it.key(), visit);
  } else if (node.is_array()) {
    for (std::size_t i = 0; i < node.size(); ++i) each_path(doc, at / i, visit);
  }
}

}  // namespace

TEST_CASE("every sample survives truncation at every offset") {
  for (const auto& name : evo::testing::webhook_samples()) {
    std::string text = sample_text(name);
    // A trailing newline would make the cut just before it a complete document.
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    CAPTURE(name);
    // About 400 cut points per sample, plus every one of the last 64 bytes, where the body
    // is nearly complete.
    const std::size_t stride = std::max<std::size_t>(1, text.size() / 400);
    auto check_cut = [&](std::size_t cut) {
      auto parsed = evo::parse_webhook(text.substr(0, cut), "");
      REQUIRE_FALSE(parsed.ok());
      CHECK(evo::webhook_error_code(parsed.err()) == "invalid_json");
    };
    for (std::size_t cut = 0; cut < text.size(); cut += stride) check_cut(cut);
    for (std::size_t cut = text.size() > 64 ? text.size() - 64 : 0; cut < text.size(); ++cut) {
      check_cut(cut);
    }
  }
  for (const auto& name : rest_samples) {
    const std::string text = sample_text(name);
    const std::size_t stride = std::max<std::size_t>(1, text.size() / 400);
    for (std::size_t cut = 0; cut < text.size(); cut += stride) exercise(text.substr(0, cut), true);
  }
}

TEST_CASE("every sample survives random byte flips") {
  lcg rng{20251205};
  std::vector<std::string> names = evo::testing::webhook_samples();
  names.insert(names.end(), rest_samples.begin(), rest_samples.end());
  for (const auto& name : names) {
    const std::string text = sample_text(name);
    CAPTURE(name);
    const bool rest = is_rest_sample(name);
    for (int round = 0; round < 200; ++round) {
      std::string body = text;
      const int flips = 1 + static_cast<int>(rng.next() % 4);
      for (int i = 0; i < flips; ++i) {
        std::size_t at = rng.next() % body.size();
        // Structural characters are where a flip hurts most; bias towards them half the time.
        static const char structural[] = "{}[]\":,0\\";
        body[at] = (rng.next() % 2) ? structural[rng.next() % (sizeof(structural) - 1)]
                                    : static_cast<char>(rng.next() % 256);
      }
      exercise(body, rest);
    }
  }
}

TEST_CASE("every field of every sample survives a change of type") {
  std::vector<std::string> names = evo::testing::webhook_samples();
  names.insert(names.end(), rest_samples.begin(), rest_samples.end());
  const auto values = replacements();
  std::size_t bodies = 0;
  for (const auto& name : names) {
    const json doc = sample_json(name);
    const bool rest = is_rest_sample(name);
    CAPTURE(name);
    std::vector<json::json_pointer> paths;
    each_path(doc, json::json_pointer(), [&](const json::json_pointer& p) { paths.push_back(p); });
    for (const auto& path : paths) {
      if (path.empty() || is_repeated_member(path)) continue;
      CAPTURE(path.to_string());
      for (const auto& value : values) {
        json changed = doc;
        changed[path] = value;
        exercise(changed.dump(), rest);
        ++bodies;
      }
      json removed = doc;
      json& parent = removed[path.parent_pointer()];
      if (parent.is_object()) {
        parent.erase(path.back());
        exercise(removed.dump(), rest);
      }
    }
  }
  CHECK(bodies > 3000);
}

TEST_CASE("a required field of the wrong type is rejected as invalid_payload, never accepted") {
  const json doc = sample_json("messages-upsert-text.json");
  for (const char* field : {"/data/key/id", "/data/key/remoteJid", "/data/key/fromMe"}) {
    for (const auto& value : {json(nullptr), json(7), json::array(), json::object()}) {
      json changed = doc;
      changed[json::json_pointer(field)] = value;
      auto parsed = evo::parse_webhook(changed.dump(), "");
      CAPTURE(field);
      CAPTURE(value.dump());
      REQUIRE_FALSE(parsed.ok());
      CHECK(evo::webhook_error_code(parsed.err()) == "invalid_payload");
    }
  }
}
