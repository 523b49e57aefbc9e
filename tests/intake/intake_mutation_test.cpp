// Damaged webhooks with a valid secret: truncated, with flipped bytes, or with fields of the
// wrong type. Every one gets a well-formed answer and the server keeps serving. A bounded,
// seeded campaign here; `make soak` (AIBUD_TEST_SOAK=1) runs ten times as many.
#include <doctest/doctest.h>

#include <random>

#include "tests/intake/intake_support.hpp"

using aibud::testing::http_response;
using aibud::testing::intake_server;
using aibud::testing::is_error;
using aibud::testing::json_body;
using aibud::testing::sample;
using aibud::testing::sample_text;
using aibud::testing::soak;
using aibud::testing::webhook_samples;
using nlohmann::json;

namespace {

struct mutant {
  std::string what;
  std::string body;
};

// Every JSON pointer in `doc`, containers included, the root excluded.
void collect_paths(const json& doc, const json::json_pointer& at,
                   std::vector<json::json_pointer>& out) {
  if (doc.is_object()) {
    for (const auto& [key, value] : doc.items()) {
      out.push_back(at / key);
      collect_paths(value, at / key, out);
    }
  } else if (doc.is_array()) {
    for (std::size_t i = 0; i < doc.size(); ++i) {
      out.push_back(at / i);
      collect_paths(doc[i], at / i, out);
    }
  }
}

// A value of another JSON type than `old`.
json swapped(const json& old, std::mt19937& rng) {
  static const json others[] = {
      nullptr, 0, -1, 1.5e300, "", "x", true, json::array(), json::object(), json::array({1, "a"})};
  for (;;) {
    const json& pick = others[rng() % std::size(others)];
    if (pick.type() != old.type()) return pick;
  }
}

std::vector<mutant> mutants_of(const std::string& name, int per_kind, std::mt19937& rng) {
  std::vector<mutant> out;
  const std::string text = sample_text(name);
  for (std::size_t cut : {std::size_t(0), std::size_t(1), text.size() / 3, text.size() / 2,
                          text.size() - 2, text.size() - 1})
    out.push_back({"truncated to " + std::to_string(cut), text.substr(0, cut)});
  for (int i = 0; i < per_kind; ++i) {
    std::string body = text;
    std::size_t at = rng() % body.size();
    body[at] = static_cast<char>(body[at] ^ static_cast<char>(1 + rng() % 255));
    out.push_back({"byte " + std::to_string(at) + " flipped", body});
  }
  const json doc = sample(name);
  std::vector<json::json_pointer> paths;
  collect_paths(doc, json::json_pointer(), paths);
  // The fields the parser validates first, then random ones.
  for (const char* known :
       {"/event", "/data", "/data/key", "/data/key/id", "/data/key/remoteJid", "/data/key/fromMe",
        "/data/message", "/data/messageTimestamp", "/data/state", "/data/qrcode"}) {
    json::json_pointer p(known);
    if (!doc.contains(p)) continue;
    json changed = doc;
    changed[p] = swapped(doc[p], rng);
    out.push_back({std::string(known) + " of another type", changed.dump()});
  }
  for (int i = 0; i < per_kind; ++i) {
    const auto& p = paths[rng() % paths.size()];
    json changed = doc;
    changed[p] = swapped(doc[p], rng);
    out.push_back({p.to_string() + " of another type", changed.dump()});
  }
  return out;
}

// 200 with a status, a 4xx or 503 in the error shape; never another 5xx, never no answer.
bool well_formed(const http_response& r) {
  if (r.status == 200) {
    auto body = json_body(r);
    std::string status = body.is_object() ? body.value("status", "") : "";
    return status == "accepted" || status == "duplicate" || status == "ignored";
  }
  if ((r.status >= 400 && r.status < 500) || r.status == 503) {
    auto body = json_body(r);
    if (!body.is_object() || !body.contains("error") || !body["error"].is_object()) return false;
    std::string code = body["error"].value("code", "");
    return is_error(r, r.status, code) && (r.status != 503 || !r.header("Retry-After").empty());
  }
  return false;
}

}  // namespace

TEST_CASE("mutated samples get well-formed answers and the server keeps serving") {
  intake_server s;
  s.start();
  std::mt19937 rng(20251205);
  const int per_kind = soak() ? 80 : 8;
  int posted = 0;
  int refused_400 = 0;
  for (const auto& name : webhook_samples()) {
    for (const auto& m : mutants_of(name, per_kind, rng)) {
      CAPTURE(name);
      CAPTURE(m.what);
      auto r = s.post(m.body);
      ++posted;
      if (r.status == 400) ++refused_400;
      CAPTURE(r.status);
      CAPTURE(r.error);
      CAPTURE(r.body);
      REQUIRE(well_formed(r));
    }
  }
  CHECK(posted >= 200);
  CHECK(refused_400 > 0);  // the campaign did reach the validation, not only lucky bytes
  CHECK(s.running());
  CHECK(s.get("/healthz").status == 200);
  CHECK(s.post(sample_text("messages-upsert-text")).status == 200);
}
