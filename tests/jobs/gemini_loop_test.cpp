// The real server answering through Gemini: `aibud serve` as a child with ai.provider gemini
// pointed at a fake Gemini on loopback that speaks generateContent and its error shapes
// (reference gemini.md §3-§5). What the provider sends is checked field by field; what the
// job pipeline makes of each kind of answer is read back from the database.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <mutex>

#include <nlohmann/json.hpp>

#include "tests/jobs/job_loop.hpp"
#include "tests/support/fake_upstream.hpp"

using aibud::testing::fake_upstream;
using aibud::testing::job_loop;
using aibud::testing::reply;
using aibud::testing::wa_message;
using aibud::testing::wait_until;
using json = nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

namespace {

const char* const api_key = "gemini-test-key-0123456789";

// A classification answer as Gemini gives it: the JSON in a text part, with usage.
json answer_json(const std::string& intent, const std::string& text) {
  json structured = {{"intent", intent}, {"reply", text}};
  return {{"candidates",
           {{{"content", {{"role", "model"}, {"parts", {{{"text", structured.dump()}}}}}},
             {"finishReason", "STOP"},
             {"index", 0}}}},
          {"usageMetadata",
           {{"promptTokenCount", 40},
            {"candidatesTokenCount", 12},
            {"thoughtsTokenCount", 30},
            {"totalTokenCount", 82}}},
          {"modelVersion", "gemini-3.8-flash-001"}};
}

aibud::http::response ok_answer(const std::string& text = "Gemini says hello") {
  return reply(200, answer_json("greeting", text).dump(), {{"Content-Type", "application/json"}});
}

aibud::http::response error_answer(int code, const std::string& status, const std::string& message,
                                   json details = json::array()) {
  json body = {{"error", {{"code", code}, {"status", status}, {"message", message}}}};
  if (!details.empty()) body["error"]["details"] = details;
  return reply(code, body.dump(), {{"Content-Type", "application/json"}});
}

// A server on Gemini with fast retries and a breaker that stays out of the way.
struct gemini_world {
  fake_upstream gemini;
  job_loop loop{100};

  explicit gemini_world(fake_upstream::answer_fn answer) : gemini(std::move(answer)) {}

  bool start(std::map<std::string, std::string> extra = {}) {
    std::map<std::string, std::string> env = {{"AIBUD_AI_PROVIDER", "gemini"},
                                              {"AIBUD_GEMINI_API_KEY", api_key},
                                              {"AIBUD_AI_GEMINI_BASE_URL", gemini.base_url()},
                                              {"AIBUD_JOBS_MAX_ATTEMPTS", "3"},
                                              {"AIBUD_BREAKER_FAILURES", "100"}};
    for (auto& [k, v] : extra) env[k] = v;
    return loop.start(env);
  }

  int say(const std::string& id, const std::string& text) {
    return loop.post({id, "5511977770001@s.whatsapp.net", "", text});
  }
};

}  // namespace

TEST_CASE("a text answered by Gemini sends the key, prompt, text and schema, and records usage") {
  gemini_world w([](const aibud::http::request&) { return ok_answer(); });
  REQUIRE(w.start());
  REQUIRE(w.say("GEM1", "Oi, tudo bem?") == 200);
  REQUIRE(w.loop.wait_settled(1));
  CHECK(w.loop.scalar("SELECT status FROM jobs") == "done");

  auto requests = w.gemini.requests();
  REQUIRE(requests.size() == 1);
  const auto& r = requests[0];
  CHECK(r.method == "POST");
  CHECK(r.target == "/v1beta/models/gemini-3.8-flash:generateContent");  // short text: fast
  CHECK(r.header("x-goog-api-key") == api_key);
  CHECK(r.target.find(api_key) == std::string::npos);  // never in the URL
  auto body = json::parse(r.body);
  CHECK_FALSE(body["systemInstruction"]["parts"][0]["text"].get<std::string>().empty());
  auto last = body["contents"].back();
  CHECK(last["role"] == "user");
  CHECK(last["parts"][0]["text"].get<std::string>().find("Oi, tudo bem?") != std::string::npos);
  CHECK(body["generationConfig"]["responseMimeType"] == "application/json");
  CHECK(body["generationConfig"]["responseJsonSchema"]["properties"].contains("intent"));

  CHECK(w.loop.scalar("SELECT content FROM interactions WHERE direction = 'out'") ==
        "Gemini says hello");
  CHECK(w.loop.scalar("SELECT tokens_in FROM interactions WHERE direction = 'out'") == "40");
  CHECK(w.loop.scalar("SELECT tokens_out FROM interactions WHERE direction = 'out'") == "42");
  CHECK(w.loop.scalar("SELECT model FROM interactions WHERE direction = 'out'").find("gemini") !=
        std::string::npos);
  CHECK(w.loop.count("SELECT count(*) FROM credit_ledger WHERE kind = 'commit'") == 1);
}

TEST_CASE("a 429 with retryDelay makes the job wait that long, then it is answered once") {
  std::mutex m;
  std::vector<steady_clock::time_point> arrivals;
  gemini_world w([&](const aibud::http::request&) {
    std::lock_guard<std::mutex> lock(m);
    arrivals.push_back(steady_clock::now());
    if (arrivals.size() == 1)
      return error_answer(429, "RESOURCE_EXHAUSTED", "Quota exceeded for requests per minute",
                          json::array({{{"@type", "type.googleapis.com/google.rpc.RetryInfo"},
                                        {"retryDelay", "1.5s"}}}));
    return ok_answer();
  });
  REQUIRE(w.start());
  REQUIRE(w.say("GEM429", "Quero vender meu apartamento") == 200);
  REQUIRE(w.loop.wait_settled(1));
  CHECK(w.loop.scalar("SELECT status FROM jobs") == "done");
  std::lock_guard<std::mutex> lock(m);
  REQUIRE(arrivals.size() == 2);
  // The retry honoured Gemini's delay, not the 20 ms backoff the tests configure.
  CHECK(arrivals[1] - arrivals[0] >= milliseconds(1500));
  CHECK(w.loop.count("SELECT count(*) FROM interactions WHERE direction = 'out'") == 1);
  CHECK(w.loop.count("SELECT count(*) FROM credit_ledger WHERE kind = 'commit'") == 1);
}

TEST_CASE("a Gemini that keeps answering 503 is retried, then the job is a dead letter") {
  gemini_world w([](const aibud::http::request&) {
    return error_answer(503, "UNAVAILABLE", "The model is overloaded. Please try again later.");
  });
  REQUIRE(w.start());
  REQUIRE(w.say("GEM503", "Olá") == 200);
  REQUIRE(w.loop.wait_settled(1));
  CHECK(w.loop.scalar("SELECT status FROM jobs") == "failed");
  CHECK(w.loop.count("SELECT attempts FROM jobs") == 3);
  CHECK(w.loop.count("SELECT count(*) FROM failed_jobs") == 1);
  // Two attempts on the chosen model, then the fallback (ARCHITECTURE §6, model choice).
  auto targets = w.gemini.targets();
  REQUIRE(targets.size() == 3);
  CHECK(targets[0] == "/v1beta/models/gemini-3.8-flash:generateContent");
  CHECK(targets[1] == "/v1beta/models/gemini-3.8-flash:generateContent");
  CHECK(targets[2] == "/v1beta/models/gemini-3.6-flash:generateContent");
  // Nothing was sent or charged, and the reservation went back.
  CHECK(w.loop.count("SELECT count(*) FROM interactions WHERE direction = 'out'") == 0);
  CHECK(w.loop.count("SELECT count(*) FROM credit_ledger WHERE kind = 'commit'") == 0);
  CHECK(w.loop.count("SELECT used + reserved FROM subscription_usage") == 0);
}

TEST_CASE("a 400 from Gemini is not retried") {
  gemini_world w([](const aibud::http::request&) {
    return error_answer(400, "INVALID_ARGUMENT", "Invalid JSON payload received.");
  });
  REQUIRE(w.start());
  REQUIRE(w.say("GEM400", "Olá") == 200);
  REQUIRE(w.loop.wait_settled(1));
  CHECK(w.loop.scalar("SELECT status FROM jobs") == "failed");
  CHECK(w.gemini.requests().size() == 1);
  CHECK(w.loop.scalar("SELECT error FROM failed_jobs").find("invalid_request") !=
        std::string::npos);
}

TEST_CASE("a safety block and unreadable structured output end clearly, and the server goes on") {
  std::atomic<int> mode{0};
  gemini_world w([&](const aibud::http::request&) {
    if (mode == 0)
      return reply(
          200,
          json{{"promptFeedback", {{"blockReason", "SAFETY"}, {"safetyRatings", json::array()}}},
               {"usageMetadata", {{"promptTokenCount", 9}, {"totalTokenCount", 9}}}}
              .dump(),
          {{"Content-Type", "application/json"}});
    if (mode == 1) {
      json broken = answer_json("greeting", "x");
      broken["candidates"][0]["content"]["parts"][0]["text"] = "{\"intent\": \"greet";
      return reply(200, broken.dump(), {{"Content-Type", "application/json"}});
    }
    return ok_answer("back to normal");
  });
  REQUIRE(w.start());
  REQUIRE(w.say("GEMBLOCK", "something the model refuses") == 200);
  REQUIRE(w.loop.wait_settled(1));
  CHECK(w.loop.scalar("SELECT status FROM jobs WHERE wa_message_id = 'GEMBLOCK'") == "failed");
  CHECK(w.loop.scalar("SELECT error FROM failed_jobs").find("blocked") != std::string::npos);

  mode = 1;
  REQUIRE(w.say("GEMBROKEN", "Olá de novo") == 200);
  REQUIRE(w.loop.wait_settled(2));
  // Unreadable output is retried (a model often answers well the second time), then parked.
  CHECK(w.loop.scalar("SELECT status FROM jobs WHERE wa_message_id = 'GEMBROKEN'") == "failed");
  CHECK(w.loop.scalar("SELECT last_error FROM jobs WHERE wa_message_id = 'GEMBROKEN'")
            .find("invalid_output") != std::string::npos);

  mode = 2;
  REQUIRE(w.say("GEMOK", "E agora?") == 200);
  REQUIRE(w.loop.wait_settled(3));
  CHECK(w.loop.scalar("SELECT status FROM jobs WHERE wa_message_id = 'GEMOK'") == "done");
  CHECK(w.loop.scalar("SELECT content FROM interactions WHERE direction = 'out'") ==
        "back to normal");
  CHECK(w.loop.count("SELECT count(*) FROM credit_ledger WHERE kind = 'commit'") == 1);
}

TEST_CASE("a tenant's own fast model answers its texts") {
  gemini_world w([](const aibud::http::request&) { return ok_answer(); });
  auto set = w.loop.cli({"tenant", "update", "acme", "--fast-model", "acme-flash"});
  REQUIRE(set.exit_code == 0);
  REQUIRE(w.start());
  REQUIRE(w.say("GEMT1", "Bom dia") == 200);
  REQUIRE(w.loop.wait_settled(1));
  auto targets = w.gemini.targets();
  REQUIRE(targets.size() == 1);
  CHECK(targets[0] == "/v1beta/models/acme-flash:generateContent");
}
