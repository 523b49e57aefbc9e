// One lead's whole conversation through real webhooks against both fake upstreams at once
// (issue 5, "Done means"): `aibud serve` as a child process with an Evolution instance at the
// fake Evolution API and ai.provider gemini at a fake Gemini that answers generateContent in
// the real wire format, deciding from the request itself (the intent from the customer's last
// turn, an estimate for a request carrying photos). The conversation: two greetings inside
// the quiet period → a seller → the property-type poll → a vote → the bedrooms poll answered
// by typing → the timeline poll answered by a vote → a valuation request → three photos inside
// the valuation window, fetched through getBase64FromMediaMessage → one estimate → "talk to a
// person" → handoff → silence.
//
// What it proves: one reply per burst (texts within the quiet period, photos within the
// valuation window), sent in order as sendText/sendPoll; polls go out with their options and
// their votes (or typed options) move the flow on without a model call; the three photos are
// one generateContent call with three images on the strong model; the handoff is recorded and
// nothing is answered after it; what went over the wire is what was recorded; and every credit
// charged is a ledger commit of a job whose action Evolution accepted (no charge without an
// action), at the configured price of what that job sent.
#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "base/crypto.hpp"
#include "tests/jobs/job_loop.hpp"
#include "tests/support/fake_evolution.hpp"
#include "tests/support/fake_upstream.hpp"

using namespace aibud::testing;
using json = nlohmann::json;

namespace {

const char* const lead = "5511977770001@s.whatsapp.net";
const char* const gemini_key = "conversation-gemini-key-0123456789";
const char* const fast_model = "conv-test-flash";
const char* const strong_model = "conv-test-pro";
// Prices unlike the defaults and unlike each other, so that a charge names what it paid for.
const int64_t text_cost = 2;
const int64_t poll_cost = 3;
const int64_t valuation_cost = 7;
// The fake appraiser's range (whole thousands: the estimator rounds to them).
const int64_t estimate_min = 480000;
const int64_t estimate_max = 530000;

// ---------------------------------------------------------------------------------------------
// A fake Gemini: POST /v1beta/models/{model}:generateContent with x-goog-api-key, answered as
// the real API answers (reference gemini.md §3-§4): the JSON in candidates[0].content.parts[0]
// .text, usageMetadata, modelVersion; google.rpc.Status errors for what the API refuses.

class fake_gemini {
 public:
  struct call {
    std::string model;    // from the URL path
    std::string purpose;  // "classify" | "vision"
    std::string said;     // the text parts of the last user turn
    int images = 0;       // its inlineData parts
    json image_parts = json::array();
    std::string intent;  // classify: what the fake picked
    std::string reply;   // classify: the reply it wrote
  };

  fake_gemini() : server_([this](const aibud::http::request& r) { return answer(r); }) {}

  std::string base_url() const { return server_.base_url(); }
  std::vector<call> calls() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return calls_;
  }

 private:
  static aibud::http::response status_error(int code, const std::string& status,
                                            const std::string& message,
                                            json details = json::array()) {
    json body = {{"error", {{"code", code}, {"message", message}, {"status", status}}}};
    if (!details.empty()) body["error"]["details"] = std::move(details);
    return reply(code, body.dump(), {{"Content-Type", "application/json"}});
  }

  // The intent a model would read in the customer's words.
  static std::string intent_of(const std::string& said) {
    std::set<std::string> words;
    std::string word;
    for (char c : said + " ") {
      if (std::isalpha(static_cast<unsigned char>(c))) {
        word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      } else if (!word.empty()) {
        words.insert(word);
        word.clear();
      }
    }
    auto any = [&words](std::initializer_list<const char*> list) {
      for (const char* w : list)
        if (words.count(w)) return true;
      return false;
    };
    if (any({"person", "human", "broker", "someone"})) return "human";
    if (any({"worth", "value", "valuation", "appraise"})) return "valuation";
    if (any({"sell", "selling"})) return "sell";
    if (any({"buy", "buying"})) return "buy";
    if (any({"rent", "renting"})) return "rent";
    if (any({"hi", "hello", "morning", "hey"})) return "greeting";
    return "question";
  }

  static std::string reply_for(const std::string& intent) {
    static const std::map<std::string, std::string> replies = {
        {"greeting", "Hello! Are you thinking of selling, buying or renting a property?"},
        {"sell", "Great, I can help you sell it. A few quick questions first."},
        {"valuation", "Sure, I can tell you what it is worth."},
        {"human", "Of course, let me get someone for you."},
    };
    auto it = replies.find(intent);
    return it == replies.end() ? "Could you tell me a little more?" : it->second;
  }

  aibud::http::response answer(const aibud::http::request& req) {
    static const std::regex route(R"(^/v1beta/models/([^/:]+):generateContent$)");
    std::smatch m;
    if (req.method != "POST" || !std::regex_match(req.path, m, route))
      return status_error(404, "NOT_FOUND", "Requested entity was not found.");
    if (req.header("x-goog-api-key").value_or("") != gemini_key)
      return status_error(400, "INVALID_ARGUMENT",
                          "API key not valid. Please pass a valid API key.",
                          json::array({{{"@type", "type.googleapis.com/google.rpc.ErrorInfo"},
                                        {"reason", "API_KEY_INVALID"},
                                        {"domain", "googleapis.com"}}}));
    const json body = json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.contains("contents") || !body["contents"].is_array() ||
        body["contents"].empty())
      return status_error(400, "INVALID_ARGUMENT",
                          "* GenerateContentRequest.contents: contents is not specified");
    const json& last = body["contents"].back();
    if (last.value("role", "") != "user")
      return status_error(400, "INVALID_ARGUMENT",
                          "Requests ending with a model turn are not supported.");

    call c;
    c.model = m[1].str();
    for (const auto& part : last.value("parts", json::array())) {
      if (part.contains("text")) c.said += part["text"].get<std::string>();
      if (part.contains("inlineData")) {
        ++c.images;
        c.image_parts.push_back(part["inlineData"]);
      }
    }
    static const json::json_pointer properties("/generationConfig/responseJsonSchema/properties");
    const json schema = body.contains(properties) ? body[properties] : json::object();

    json structured;
    if (schema.contains("value_min")) {
      c.purpose = "vision";
      structured = {{"room_type", "living_room"}, {"features", {"balcony", "hardwood floor"}},
                    {"condition", "good"},        {"value_min", estimate_min},
                    {"value_max", estimate_max},  {"currency", "BRL"}};
    } else if (schema.contains("intent")) {
      c.purpose = "classify";
      c.intent = intent_of(c.said);
      c.reply = reply_for(c.intent);
      structured = {{"intent", c.intent}, {"reply", c.reply}};
    } else {
      return status_error(400, "INVALID_ARGUMENT", "responseJsonSchema: unexpected schema");
    }

    const std::string text = structured.dump();
    const int64_t prompt = 60 + 258 * c.images;
    const int64_t output = static_cast<int64_t>(text.size() / 4);
    json details = json::array({{{"modality", "TEXT"}, {"tokenCount", 60}}});
    if (c.images) details.push_back({{"modality", "IMAGE"}, {"tokenCount", 258 * c.images}});
    json envelope = {{"candidates",
                      {{{"content", {{"role", "model"}, {"parts", {{{"text", text}}}}}},
                        {"finishReason", "STOP"},
                        {"index", 0}}}},
                     {"usageMetadata",
                      {{"promptTokenCount", prompt},
                       {"candidatesTokenCount", output},
                       {"thoughtsTokenCount", 24},
                       {"totalTokenCount", prompt + output + 24},
                       {"promptTokensDetails", details}}},
                     {"modelVersion", c.model + "-001"},
                     {"responseId", "conv-" + std::to_string(calls().size() + 1)}};
    {
      std::lock_guard<std::mutex> lock(mutex_);
      calls_.push_back(std::move(c));
    }
    return reply(200, envelope.dump(), {{"Content-Type", "application/json"}});
  }

  mutable std::mutex mutex_;
  std::vector<call> calls_;
  fake_upstream server_;  // last: it answers from the members above
};

// ---------------------------------------------------------------------------------------------
// Webhooks as Evolution posts them (examples/evolution/*.json).

json upsert(const std::string& id, json message, const std::string& type) {
  return upsert_from(lead, id, std::move(message), type);
}

json text(const std::string& id, const std::string& body) {
  return upsert(id, {{"conversation", body}}, "conversation");
}

json vote(const std::string& id, const std::string& poll_key, const std::string& option) {
  return vote_from(lead, id, poll_key, option);
}

// A photo without inline base64 (webhook base64 off): aibud must fetch it from Evolution.
json photo(const std::string& id, const std::string& caption) {
  json image = {{"url", "https://mmg.whatsapp.net/o1/v/t24/f2/m269/" + id + "?ccb=9-4"},
                {"mimetype", "image/jpeg"},
                {"caption", caption},
                {"fileLength", {{"low", 48213}, {"high", 0}, {"unsigned", true}}},
                {"height", 1280},
                {"width", 960}};
  return upsert(id, {{"imageMessage", image}}, "imageMessage");
}

// ---------------------------------------------------------------------------------------------
// What the fake Evolution was asked to send, in order (only the sends it accepted).

struct wire_send {
  std::string kind;  // "text" | "poll"
  std::string text;  // the text, or the poll's question
  json options;      // the poll's values
  int selectable = 0;
  std::string number;

  // As aibud records it in interactions (kind|content).
  std::string recorded() const {
    if (kind == "poll") return "poll|" + json{{"name", text}, {"options", options}}.dump();
    return "text|" + text;
  }
};

std::vector<wire_send> sends_at(const fake_evolution& evolution) {
  std::vector<wire_send> out;
  for (const auto& r : evolution.requests()) {
    const bool is_text = r.path.rfind("/message/sendText/", 0) == 0;
    const bool is_poll = r.path.rfind("/message/sendPoll/", 0) == 0;
    if ((!is_text && !is_poll) || r.status != 201) continue;
    const json b = r.json();
    wire_send s;
    s.kind = is_poll ? "poll" : "text";
    s.text = b.value(is_poll ? "name" : "text", "");
    s.options = b.value("values", json::array());
    s.selectable = b.value("selectableCount", 0);
    s.number = b.value("number", "");
    out.push_back(std::move(s));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The conversation: both fakes, the server, and what each step added on the wire.

struct conversation {
  fake_evolution evolution;
  fake_gemini gemini;
  job_loop loop{100, evolution_instance{evolution.base_url(), evolution.config().instance_token}};
  int64_t posted = 0;
  std::size_t sends_seen = 0;
  std::size_t calls_seen = 0;

  bool start() {
    return loop.start({{"AIBUD_AI_PROVIDER", "gemini"},
                       {"AIBUD_GEMINI_API_KEY", gemini_key},
                       {"AIBUD_AI_GEMINI_BASE_URL", gemini.base_url()},
                       {"AIBUD_AI_GEMINI_FAST_MODEL", fast_model},
                       {"AIBUD_AI_GEMINI_STRONG_MODEL", strong_model},
                       {"AIBUD_CREDITS_TEXT_REPLY", std::to_string(text_cost)},
                       {"AIBUD_CREDITS_POLL", std::to_string(poll_cost)},
                       {"AIBUD_CREDITS_VALUATION", std::to_string(valuation_cost)},
                       {"AIBUD_MERGE_QUIET_PERIOD", "1500ms"},
                       {"AIBUD_MERGE_MAX_WAIT", "10s"},
                       {"AIBUD_MERGE_PHOTO_WINDOW", "1500ms"},
                       {"AIBUD_BREAKER_FAILURES", "1000"}});
  }

  void post(const json& body) {
    auto r = loop.post_event(body);
    REQUIRE_MESSAGE(r.status == 200, r.body);
    CHECK(json::parse(r.body, nullptr, false).value("status", "") == "accepted");
    ++posted;
  }

  // Until every posted message's job has finished (a burst waits for its quiet period).
  void settle() { REQUIRE(loop.wait_settled(posted, std::chrono::seconds(30))); }

  // What went out at Evolution, and what Gemini was asked, since the last look.
  std::vector<wire_send> new_sends() {
    auto all = sends_at(evolution);
    REQUIRE(all.size() >= sends_seen);
    std::vector<wire_send> out(all.begin() + static_cast<std::ptrdiff_t>(sends_seen), all.end());
    sends_seen = all.size();
    return out;
  }
  std::vector<fake_gemini::call> new_calls() {
    auto all = gemini.calls();
    REQUIRE(all.size() >= calls_seen);
    std::vector<fake_gemini::call> out(all.begin() + static_cast<std::ptrdiff_t>(calls_seen),
                                       all.end());
    calls_seen = all.size();
    return out;
  }

  // The key.id Evolution gave the poll asking `question` (what a phone's vote refers to).
  std::string poll_key(const std::string& question) const {
    for (const auto& s : evolution.stored("acme-bot"))
      for (const char* type : {"pollCreationMessageV3", "pollCreationMessage"})
        if (s.message.contains(type) && s.message[type].value("name", "") == question)
          return s.key_id;
    FAIL("no poll asking " << question << " was stored at Evolution");
    return "";
  }

  std::string status() const { return loop.scalar("SELECT status FROM contacts"); }
  std::string open_poll(const std::string& path) const {
    return loop.scalar("SELECT json_extract(open_poll, '$." + path + "') FROM contacts");
  }
  std::string job_status(const std::string& wa_id) const {
    return loop.scalar("SELECT status FROM jobs WHERE wa_message_id = '" + wa_id + "'");
  }
  int64_t charged(const std::string& wa_id) const {
    return loop.count(
        "SELECT COALESCE(SUM(c.amount), 0) FROM credit_ledger c JOIN jobs j ON j.id = c.job_id "
        "WHERE c.kind = 'commit' AND j.wa_message_id = '" +
        wa_id + "'");
  }
};

void check_poll(const wire_send& s, const std::string& question,
                const std::vector<std::string>& options) {
  CHECK(s.kind == "poll");
  CHECK(s.text == question);
  CHECK(s.options == json(options));
  CHECK(s.selectable == 1);
}

}  // namespace

TEST_CASE(
    "a lead conversation through webhooks against fake Evolution and fake Gemini: one reply per "
    "burst in order and no charge without an action") {
  conversation c;
  REQUIRE(c.start());
  const std::string media = aibud::crypto::base64("\xFF\xD8\xFF\xE0 a living room, in JPEG");
  c.evolution.set_media(media, "image/jpeg");

  // 1. Two greetings inside the quiet period: one burst, one model call with both, one reply.
  c.post(text("C-1", "Hi there"));
  c.post(text("C-2", "Good morning!"));
  c.settle();
  {
    auto calls = c.new_calls();
    REQUIRE(calls.size() == 1);
    CHECK(calls[0].purpose == "classify");
    CHECK(calls[0].model == fast_model);
    CHECK(calls[0].said.find("Hi there\nGood morning!") != std::string::npos);
    CHECK(calls[0].intent == "greeting");
    auto sends = c.new_sends();
    REQUIRE(sends.size() == 1);
    CHECK(sends[0].kind == "text");
    CHECK(sends[0].text == calls[0].reply);
    CHECK((sends[0].number == lead || sends[0].number == "5511977770001"));
  }
  CHECK(c.job_status("C-1") == "merged");
  CHECK(c.job_status("C-2") == "done");
  CHECK(c.status() == "new");

  // 2. A seller: the model's reply, then the property-type poll as a sendPoll.
  c.post(text("C-3", "I want to sell my apartment"));
  c.settle();
  {
    auto calls = c.new_calls();
    REQUIRE(calls.size() == 1);
    CHECK(calls[0].intent == "sell");
    CHECK(calls[0].model == fast_model);
    auto sends = c.new_sends();
    REQUIRE(sends.size() == 2);
    CHECK(sends[0].kind == "text");
    CHECK(sends[0].text == calls[0].reply);
    check_poll(sends[1], "What kind of property is it?",
               {"Apartment", "House", "Land", "Commercial"});
  }
  CHECK(c.status() == "qualified");
  const std::string type_poll = c.poll_key("What kind of property is it?");
  CHECK(c.open_poll("message_id") == type_poll);

  // 3. A vote on it: the bedrooms poll, and no model call.
  c.post(vote("C-4", type_poll, "Apartment"));
  c.settle();
  CHECK(c.new_calls().empty());
  {
    auto sends = c.new_sends();
    REQUIRE(sends.size() == 1);
    check_poll(sends[0], "How many bedrooms?",
               {"1 bedroom", "2 bedrooms", "3 bedrooms", "4 or more"});
  }
  CHECK(c.open_poll("poll") == "bedrooms");
  CHECK(c.open_poll("answers.property_type") == "apartment");
  CHECK(c.open_poll("message_id") == c.poll_key("How many bedrooms?"));

  // 4. The bedrooms typed instead of voted: the timeline poll, no model call.
  c.post(text("C-5", "2 bedrooms"));
  c.settle();
  CHECK(c.new_calls().empty());
  {
    auto sends = c.new_sends();
    REQUIRE(sends.size() == 1);
    check_poll(sends[0], "When are you planning to do it?",
               {"Right now", "In 1 to 3 months", "In 3 to 6 months", "Just researching"});
  }
  CHECK(c.open_poll("answers.bedrooms") == "two");

  // 5. A vote on the timeline: qualified, asked for photos, poll closed, no model call.
  c.post(vote("C-6", c.poll_key("When are you planning to do it?"), "Right now"));
  c.settle();
  CHECK(c.new_calls().empty());
  {
    auto sends = c.new_sends();
    REQUIRE(sends.size() == 1);
    CHECK(sends[0].kind == "text");
  }
  CHECK(c.open_poll("poll") == "");
  CHECK(c.status() == "valuation_requested");
  {
    auto qualified =
        json::parse(c.loop.scalar("SELECT details FROM audit_log WHERE action = 'lead.qualified'"),
                    nullptr, false);
    REQUIRE(qualified.is_object());
    CHECK(qualified["flow"] == "sell");
    CHECK(qualified["answers"] ==
          json({{"property_type", "apartment"}, {"bedrooms", "two"}, {"timeline", "now"}}));
  }

  // 6. Asking what it is worth: the model reads a valuation; one text asking for photos.
  c.post(text("C-7", "How much is my apartment worth?"));
  c.settle();
  {
    auto calls = c.new_calls();
    REQUIRE(calls.size() == 1);
    CHECK(calls[0].intent == "valuation");
    auto sends = c.new_sends();
    REQUIRE(sends.size() == 1);
    CHECK(sends[0].kind == "text");
    CHECK(sends[0].text.find("photos") != std::string::npos);
  }
  CHECK(c.status() == "valuation_requested");

  // 7. Three photos inside the valuation window, without inline bytes: each fetched once from
  // Evolution, then ONE generateContent with all three images on the strong model, one estimate.
  const std::size_t fetched_before =
      c.evolution.requests_to("/chat/getBase64FromMediaMessage/").size();
  c.post(photo("PH-1", "living room"));
  c.post(photo("PH-2", ""));
  c.post(photo("PH-3", "kitchen"));
  c.settle();
  {
    auto fetches = c.evolution.requests_to("/chat/getBase64FromMediaMessage/");
    REQUIRE(fetches.size() == fetched_before + 3);
    std::vector<std::string> ids;
    for (auto& f : fetches) {
      CHECK(f.path == "/chat/getBase64FromMediaMessage/acme-bot");
      CHECK(f.header("apikey") == c.evolution.config().instance_token);
      CHECK(f.status == 201);
      ids.push_back(f.json().value(json::json_pointer("/message/key/id"), ""));
    }
    CHECK(ids == std::vector<std::string>{"PH-1", "PH-2", "PH-3"});

    auto calls = c.new_calls();
    REQUIRE(calls.size() == 1);
    CHECK(calls[0].purpose == "vision");
    CHECK(calls[0].model == strong_model);
    REQUIRE(calls[0].images == 3);
    for (const auto& part : calls[0].image_parts) {
      CHECK(part.value("mimeType", "") == "image/jpeg");
      CHECK(part.value("data", "") == media);
    }
    CHECK(calls[0].said.find("3 photo") != std::string::npos);
    CHECK(calls[0].said.find("living room") != std::string::npos);
    CHECK(calls[0].said.find("kitchen") != std::string::npos);

    auto sends = c.new_sends();
    REQUIRE(sends.size() == 1);
    CHECK(sends[0].kind == "text");
    CHECK(sends[0].text.find("3 photos") != std::string::npos);
    CHECK(sends[0].text.find("480,000") != std::string::npos);
    CHECK(sends[0].text.find("530,000") != std::string::npos);
  }
  CHECK(c.job_status("PH-1") == "merged");
  CHECK(c.job_status("PH-2") == "merged");
  CHECK(c.job_status("PH-3") == "done");
  CHECK(c.loop.count("SELECT COUNT(*) FROM interactions WHERE direction = 'in' AND kind = "
                     "'image'") == 3);
  CHECK(c.status() == "estimated");
  {
    auto estimated =
        json::parse(c.loop.scalar("SELECT details FROM audit_log WHERE action = 'lead.estimated'"),
                    nullptr, false);
    REQUIRE(estimated.is_object());
    CHECK(estimated["value_min"] == estimate_min);
    CHECK(estimated["value_max"] == estimate_max);
    CHECK(estimated["photos"] == 3);
  }
  // The model that served it (modelVersion) is what the estimate is recorded under.
  CHECK(c.loop.scalar("SELECT model FROM interactions WHERE direction = 'out' AND agent = "
                      "'vision'") == std::string(strong_model) + "-001");

  // 8. Asking for a person: handed off, with the operator's audit entry.
  c.post(text("C-9", "I want to talk to a person"));
  c.settle();
  {
    auto calls = c.new_calls();
    REQUIRE(calls.size() == 1);
    CHECK(calls[0].intent == "human");
    auto sends = c.new_sends();
    REQUIRE(sends.size() == 1);
    CHECK(sends[0].kind == "text");
  }
  CHECK(c.status() == "handed_off");
  CHECK(c.loop.scalar("SELECT status_before_handoff FROM contacts") == "estimated");
  REQUIRE(c.loop.count("SELECT COUNT(*) FROM audit_log WHERE action = 'contact.handoff'") == 1);
  {
    auto handoff =
        json::parse(c.loop.scalar("SELECT details FROM audit_log WHERE action = 'contact.handoff'"),
                    nullptr, false);
    CHECK(handoff.value("reason", "") == "talk_to_person");
    CHECK(handoff.value("from_status", "") == "estimated");
  }

  // 9. After the handoff: recorded, not answered, not charged, no model asked.
  c.post(text("C-10", "hello?"));
  c.settle();
  CHECK(c.job_status("C-10") == "done");
  CHECK(c.new_calls().empty());
  CHECK(c.new_sends().empty());
  CHECK(c.loop.count("SELECT COUNT(*) FROM credit_ledger c JOIN jobs j ON j.id = c.job_id WHERE "
                     "j.wa_message_id = 'C-10'") == 0);
  CHECK(c.loop.scalar("SELECT content FROM interactions WHERE direction = 'in' ORDER BY id DESC "
                      "LIMIT 1") == "hello?");

  // What went over the wire is what was recorded, in the same order, under Evolution's key.ids.
  const auto wire = sends_at(c.evolution);
  std::vector<std::string> on_wire;
  for (const auto& s : wire) on_wire.push_back(s.recorded());
  CHECK(c.loop.rows("SELECT kind, content FROM interactions WHERE direction = 'out' ORDER BY id") ==
        on_wire);
  std::vector<std::string> stored_ids;
  for (const auto& s : c.evolution.stored("acme-bot")) stored_ids.push_back(s.key_id);
  CHECK(c.loop.rows("SELECT wa_message_id FROM sent_messages ORDER BY id") == stored_ids);
  // Each reply was sent once: no send was refused and retried, nothing had to be reconciled.
  CHECK(c.evolution.requests_to("/message/send").size() == wire.size());
  CHECK(c.evolution.requests_to("/chat/findMessages/").empty());
  CHECK(c.loop.count("SELECT COUNT(*) FROM failed_jobs") == 0);

  // Credits: used = the ledger's commits = the credits on the replies; nothing held.
  const int64_t used = c.loop.count("SELECT used FROM subscription_usage");
  CHECK(used == c.loop.count("SELECT SUM(amount) FROM credit_ledger WHERE kind = 'commit'"));
  CHECK(used == c.loop.count("SELECT SUM(credits) FROM interactions"));
  CHECK(c.loop.count("SELECT reserved FROM subscription_usage") == 0);
  // Each answering job paid for what it sent, at the configured prices.
  CHECK(c.charged("C-2") == text_cost);
  CHECK(c.charged("C-3") == text_cost + poll_cost);
  CHECK(c.charged("C-4") == poll_cost);
  CHECK(c.charged("C-5") == poll_cost);
  CHECK(c.charged("C-6") == text_cost);
  CHECK(c.charged("C-7") == text_cost);
  CHECK(c.charged("PH-3") == valuation_cost);
  CHECK(c.charged("C-9") == text_cost);
  CHECK(used == 5 * text_cost + 3 * poll_cost + valuation_cost);
  // No charge without an action: the jobs charged are exactly the jobs whose sends Evolution
  // stored; merged and record-only jobs held nothing.
  const std::set<std::string> at_evolution(stored_ids.begin(), stored_ids.end());
  std::set<std::string> acted;
  for (const auto& row : c.loop.rows("SELECT job_id, wa_message_id FROM sent_messages")) {
    const auto bar = row.find('|');
    if (at_evolution.count(row.substr(bar + 1))) acted.insert(row.substr(0, bar));
  }
  const auto charged_jobs =
      c.loop.rows("SELECT DISTINCT job_id FROM credit_ledger WHERE kind = 'commit' AND amount > 0");
  CHECK(std::set<std::string>(charged_jobs.begin(), charged_jobs.end()) == acted);
  CHECK(acted.size() == 8);
  CHECK(c.loop.count("SELECT COUNT(*) FROM credit_ledger c JOIN jobs j ON j.id = c.job_id WHERE "
                     "j.status = 'merged'") == 0);
}
