// What `aibud serve` answers to each Evolution sample and each kind of bad request
// (ARCHITECTURE §8 "Webhook answers"), and what it committed for them.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "tests/intake/intake_support.hpp"

using aibud::testing::has_status;
using aibud::testing::http_response;
using aibud::testing::intake_server;
using aibud::testing::is_error;
using aibud::testing::json_body;
using aibud::testing::sample;
using aibud::testing::sample_text;
using aibud::testing::server_env;
using aibud::testing::text_message;
using nlohmann::json;

namespace {

const std::set<std::string> job_statuses{"pending", "running", "waiting",        "done",
                                         "skipped", "merged",  "out_of_credits", "failed"};

std::string key_id(const std::string& name) {
  return sample(name)["data"]["key"]["id"].get<std::string>();
}

// The jobs row for an accepted answer, or null when there is none.
json job_row(const intake_server& s, const http_response& r) {
  auto body = json_body(r);
  if (!body.is_object() || !body.contains("job")) return nullptr;
  auto rows = s.query(
      "SELECT j.id, j.wa_message_id, j.event, j.status, p.payload FROM jobs j "
      "JOIN job_payloads p ON p.job_id = j.id WHERE j.id = " +
      std::to_string(body["job"].get<std::int64_t>()));
  return rows.empty() ? json(nullptr) : rows[0];
}

}  // namespace

TEST_CASE("inbound messages of every supported kind are accepted with the job that holds them") {
  intake_server s;
  s.start();
  std::vector<std::int64_t> jobs;
  for (std::string name : {"messages-upsert-text", "messages-upsert-extended-text",
                           "messages-upsert-image", "messages-upsert-audio", "poll-vote"}) {
    CAPTURE(name);
    auto r = s.post(sample_text(name));
    REQUIRE(has_status(r, "accepted"));
    auto body = json_body(r);
    REQUIRE(body["job"].is_number_integer());
    jobs.push_back(body["job"].get<std::int64_t>());
    auto row = job_row(s, r);
    REQUIRE(row.is_object());
    CHECK(row["wa_message_id"] == key_id(name));
    CHECK(row["event"] == "messages.upsert");
    // Stored as pending; the runtime may already have taken it further.
    CHECK(job_statuses.count(row["status"].get<std::string>()) == 1);
  }
  std::sort(jobs.begin(), jobs.end());
  CHECK(std::adjacent_find(jobs.begin(), jobs.end()) == jobs.end());
  CHECK(s.job_count() == 5);
}

TEST_CASE("a repeated message is a duplicate and creates no second job") {
  intake_server s;
  s.start();
  auto first = s.post(sample_text("messages-upsert-text"));
  REQUIRE(has_status(first, "accepted"));
  auto again = s.post(sample_text("messages-upsert-text"));
  CHECK(has_status(again, "duplicate"));
  CHECK_FALSE(json_body(again).contains("job"));
  CHECK(s.job_count() == 1);
}

TEST_CASE("group, status broadcast and send.message events are ignored with their reason") {
  intake_server s;
  s.start();
  std::pair<const char*, const char*> cases[] = {{"messages-upsert-group", "group"},
                                                 {"messages-upsert-status-broadcast", "broadcast"},
                                                 {"send-message", "own_send"}};
  for (const auto& [name, reason] : cases) {
    CAPTURE(std::string(name));
    auto r = s.post(sample_text(name));
    CHECK(has_status(r, "ignored"));
    CHECK(json_body(r) == json{{"status", "ignored"}, {"reason", reason}});
  }
  CHECK(s.job_count() == 0);
}

TEST_CASE("a fromMe message typed by the business is accepted as a job") {
  intake_server s;
  s.start();
  auto r = s.post(sample_text("messages-upsert-from-me"));
  REQUIRE(has_status(r, "accepted"));
  auto row = job_row(s, r);
  REQUIRE(row.is_object());
  CHECK(row["wa_message_id"] == key_id("messages-upsert-from-me"));
}

TEST_CASE("a fromMe message whose id aibud sent is ignored as own_send") {
  intake_server s;
  s.start();
  s.execute(
      "INSERT INTO sent_messages (instance_id, wa_message_id, content_hash, created_at) "
      "VALUES (" +
      std::to_string(s.instance_id()) + ", 'OUR-REPLY-1', 'h', 0)");
  auto ours = sample("messages-upsert-from-me");
  ours["data"]["key"]["id"] = "OUR-REPLY-1";
  auto r = s.post(ours.dump());
  CHECK(json_body(r) == json{{"status", "ignored"}, {"reason", "own_send"}});
  CHECK(s.job_count() == 0);
}

TEST_CASE("connection.update is accepted without a job and updates the instance's state") {
  intake_server s;
  s.start();
  auto r = s.post(sample_text("connection-update"));
  CHECK(r.status == 200);
  CHECK(json_body(r) == json{{"status", "accepted"}});
  auto rows = s.query("SELECT state, owner_jid FROM instances WHERE name = 'main'");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["state"] == "open");
  CHECK(rows[0]["owner_jid"] == sample("connection-update")["data"]["wuid"]);
  CHECK(s.job_count() == 0);
}

TEST_CASE("qrcode.updated is accepted without a job and stores the QR code") {
  intake_server s;
  s.start();
  auto r = s.post(sample_text("qrcode-updated"));
  CHECK(r.status == 200);
  CHECK(json_body(r) == json{{"status", "accepted"}});
  auto rows = s.query("SELECT state, qr_code FROM instances WHERE name = 'main'");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["state"] == "connecting");
  CHECK(rows[0]["qr_code"] == sample("qrcode-updated")["data"]["qrcode"]["code"]);
  CHECK(s.job_count() == 0);
}

TEST_CASE("the envelope's apikey is not in the stored payload") {
  intake_server s;
  s.start();
  auto envelope = sample("messages-upsert-text");
  envelope["data"]["key"]["id"] = "APIKEY-CASE-1";
  envelope["apikey"] = "EVOLUTION-INSTANCE-TOKEN-4242";
  auto r = s.post(envelope.dump());
  REQUIRE(has_status(r, "accepted"));
  auto row = job_row(s, r);
  REQUIRE(row.is_object());
  std::string payload = row["payload"].get<std::string>();
  CHECK(payload.find("EVOLUTION-INSTANCE-TOKEN-4242") == std::string::npos);
  auto stored = json::parse(payload);
  CHECK_FALSE(stored.contains("apikey"));
  envelope.erase("apikey");
  CHECK(stored == envelope);  // nothing else is lost
}

TEST_CASE("the byEvents route takes its event's suffix and refuses another event's") {
  intake_server s;
  s.start();
  auto upsert =
      s.post(text_message("BY-EVENTS-1"), intake_server::webhook_path("/messages-upsert"));
  CHECK(has_status(upsert, "accepted"));
  auto connection =
      s.post(sample_text("connection-update"), intake_server::webhook_path("/connection-update"));
  CHECK(json_body(connection) == json{{"status", "accepted"}});
  auto wrong =
      s.post(text_message("BY-EVENTS-2"), intake_server::webhook_path("/connection-update"));
  CHECK(is_error(wrong, 400, "invalid_payload"));
  CHECK(s.job_count() == 1);
}

TEST_CASE("a truncated body is 400 invalid_json") {
  intake_server s;
  s.start();
  std::string body = sample_text("messages-upsert-text");
  auto r = s.post(body.substr(0, body.size() / 2));
  CHECK(is_error(r, 400, "invalid_json"));
  CHECK(s.job_count() == 0);
}

TEST_CASE("a message without key.id is 400 invalid_payload") {
  intake_server s;
  s.start();
  auto body = sample("messages-upsert-text");
  body["data"]["key"].erase("id");
  auto r = s.post(body.dump());
  CHECK(is_error(r, 400, "invalid_payload"));
  CHECK(s.job_count() == 0);
}

TEST_CASE("a webhook without the right secret is 401 unauthorized") {
  intake_server s;
  s.start();
  auto none = s.post_with(intake_server::webhook_path(), text_message("NO-SECRET"), {});
  CHECK(is_error(none, 401, "unauthorized"));
  auto wrong = s.post_with(intake_server::webhook_path(), text_message("WRONG-SECRET"),
                           {{"Authorization", "Bearer not-the-secret"}});
  CHECK(is_error(wrong, 401, "unauthorized"));
  CHECK(s.job_count() == 0);
}

TEST_CASE("a webhook for an instance that does not exist is 404 unknown_instance") {
  intake_server s;
  s.start();
  auto r = s.post(text_message("NOBODY"), "/webhook/evolution/nobody");
  CHECK(is_error(r, 404, "unknown_instance"));
}

TEST_CASE("a body over http.body_limit is 413 payload_too_large") {
  intake_server s(server_env{{"AIBUD_HTTP_BODY_LIMIT", "1024"}});
  s.start();
  std::string body = sample_text("messages-upsert-text");
  REQUIRE(body.size() > 1024);
  auto r = s.post(body);
  CHECK(is_error(r, 413, "payload_too_large"));
  CHECK(s.get("/healthz").status == 200);
  CHECK(s.job_count() == 0);
}

TEST_CASE("an unknown route is 404 not_found and GET on the webhook route is 405") {
  intake_server s;
  s.start();
  CHECK(is_error(s.get("/no/such/route"), 404, "not_found"));
  auto r = s.get(intake_server::webhook_path());
  CHECK(r.status == 405);
  CHECK(is_error(r, 405, "method_not_allowed"));
  CHECK(r.header("Allow") == "POST");
}

TEST_CASE("healthz and readyz answer 200 and metrics count the answers by outcome") {
  intake_server s;
  s.start();
  CHECK(s.get("/healthz").status == 200);
  CHECK(s.get("/readyz").status == 200);
  REQUIRE(has_status(s.post(text_message("METRICS-1")), "accepted"));
  REQUIRE(has_status(s.post(text_message("METRICS-1")), "duplicate"));
  REQUIRE(has_status(s.post(text_message("METRICS-1")), "duplicate"));
  REQUIRE(has_status(s.post(sample_text("messages-upsert-group")), "ignored"));
  auto metrics = s.get("/metrics");
  REQUIRE(metrics.status == 200);
  CHECK(metrics.header("Content-Type").find("text/plain") == 0);
  for (std::string line : {"aibud_webhooks_total{outcome=\"accepted\"} 1\n",
                           "aibud_webhooks_total{outcome=\"duplicate\"} 2\n",
                           "aibud_webhooks_total{outcome=\"ignored_group\"} 1\n"}) {
    CAPTURE(line);
    CHECK(metrics.body.find(line) != std::string::npos);
  }
}
