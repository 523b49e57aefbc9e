#include "tests/jobs/job_loop.hpp"

#include <signal.h>

#include <chrono>
#include <ctime>
#include <regex>
#include <stdexcept>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

extern char** environ;

namespace aibud::testing {
namespace {

run_options clean_env(const std::string& db) {
  run_options o;
  for (char** e = environ; *e; ++e) {
    std::string entry(*e);
    if (entry.rfind("AIBUD_", 0) == 0) o.unset_env.push_back(entry.substr(0, entry.find('=')));
  }
  o.env["AIBUD_DB"] = db;
  return o;
}

int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

job_loop::job_loop(int64_t credits) {
  create(credits, {"--sandbox"});
}

job_loop::job_loop(int64_t credits, const evolution_instance& evolution) {
  env_["AIBUD_SECRET_KEY"] = "job-loop-test-secret-key-0123456789abcdef";
  env_["AIBUD_TEST_EVOLUTION_KEY"] = evolution.api_key;
  create(credits,
         {"--evolution-url", evolution.url, "--evolution-key-env", "AIBUD_TEST_EVOLUTION_KEY"});
}

void job_loop::create(int64_t credits, const std::vector<std::string>& instance_args) {
  auto env = child_env();
  auto t = aibud({"tenant", "create", "acme", "--credits", std::to_string(credits), "--json"}, env);
  if (t.exit_code != 0) throw std::runtime_error("tenant create: " + t.err);
  std::vector<std::string> args{"instance", "create", "acme-bot", "--tenant", "acme", "--json"};
  args.insert(args.end(), instance_args.begin(), instance_args.end());
  auto i = aibud(args, env);
  if (i.exit_code != 0) throw std::runtime_error("instance create: " + i.err);
  secret_ = nlohmann::json::parse(i.out).at("webhook_secret").get<std::string>();
}

run_options job_loop::child_env() const {
  auto o = clean_env(db_path());
  o.cwd = dir_.path();
  for (auto& [k, v] : env_) o.env[k] = v;
  return o;
}

job_loop::~job_loop() {
  stop();
}

bool job_loop::start(std::map<std::string, std::string> env) {
  auto o = child_env();
  o.env["AIBUD_JOBS_RETRY_BASE"] = "20ms";
  o.env["AIBUD_JOBS_RETRY_MAX"] = "200ms";
  o.env["AIBUD_LOG_LEVEL"] = "info";  // the "listening" line names the port
  // One reply per message unless a test asks for burst merging.
  o.env["AIBUD_MERGE_QUIET_PERIOD"] = "0";
  o.env["AIBUD_MERGE_PHOTO_WINDOW"] = "0";
  for (auto& [k, v] : env) o.env[k] = v;
  server_ = std::make_unique<child>(
      std::vector<std::string>{AIBUD_BINARY, "serve", "--listen", "127.0.0.1:0"}, o);
  std::smatch m;
  const std::regex listening(R"re("address":"127\.0\.0\.1:(\d+)")re");
  bool up = wait_until([&] {
    std::string out = server_->output();
    if (!std::regex_search(out, m, listening)) return false;
    port_ = static_cast<uint16_t>(std::stoi(m[1].str()));
    return true;
  });
  return up;
}

void job_loop::stop() {
  if (!server_) return;
  if (server_->running()) {
    server_->kill(SIGTERM);
    server_->wait();
  }
  server_.reset();
}

int job_loop::post(const wa_message& m) {
  nlohmann::json key = {
      {"remoteJid", m.remote_jid}, {"fromMe", m.from_me}, {"id", m.id}, {"participant", ""}};
  if (!m.remote_jid_alt.empty()) key["remoteJidAlt"] = m.remote_jid_alt;
  key["addressingMode"] = m.remote_jid.find("@lid") != std::string::npos ? "lid" : "pn";
  nlohmann::json body = {{"event", "messages.upsert"},
                         {"instance", "acme-bot"},
                         {"data",
                          {{"key", key},
                           {"pushName", m.from_me ? "Loja" : "Cliente"},
                           {"status", "DELIVERY_ACK"},
                           {"message", {{"conversation", m.text}}},
                           {"messageType", "conversation"},
                           {"messageTimestamp", m.timestamp_s ? m.timestamp_s : now_s()},
                           {"source", "android"}}},
                         {"date_time", "2025-12-05T10:15:33.102Z"},
                         {"sender", "5511900000000@s.whatsapp.net"}};
  return post_event(body).status;
}

http_response job_loop::post_event(const nlohmann::json& body) {
  return testing::post("127.0.0.1", port_, "/webhook/evolution/acme-bot", body.dump(),
                       {{"X-Aibud-Secret", secret_}, {"Content-Type", "application/json"}});
}

run_result job_loop::cli(const std::vector<std::string>& args,
                         std::map<std::string, std::string> env, bool server) const {
  auto o = child_env();
  if (server) o.env["AIBUD_SERVER"] = "http://127.0.0.1:" + std::to_string(port_);
  for (auto& [k, v] : env) o.env[k] = v;
  return aibud(args, o);
}

wa_message text_from(const std::string& id, const std::string& remote_jid,
                     const std::string& body) {
  wa_message m;
  m.id = id;
  m.remote_jid = remote_jid;
  m.text = body;
  return m;
}

nlohmann::json upsert_from(const std::string& remote_jid, const std::string& id,
                           nlohmann::json message, const std::string& type) {
  return {{"event", "messages.upsert"},
          {"instance", "acme-bot"},
          {"data",
           {{"key",
             {{"remoteJid", remote_jid},
              {"fromMe", false},
              {"id", id},
              {"participant", ""},
              {"addressingMode", "pn"}}},
            {"pushName", "Lead"},
            {"status", "DELIVERY_ACK"},
            {"message", std::move(message)},
            {"messageType", type},
            {"messageTimestamp", static_cast<int64_t>(std::time(nullptr))},
            {"source", "android"}}},
          {"sender", "5511900000000@s.whatsapp.net"}};
}

nlohmann::json vote_from(const std::string& remote_jid, const std::string& id,
                         const std::string& poll_key, const std::string& option) {
  nlohmann::json msg = {
      {"pollUpdateMessage",
       {{"pollCreationMessageKey", {{"remoteJid", remote_jid}, {"fromMe", true}, {"id", poll_key}}},
        {"vote", {{"selectedOptions", {option}}}}}}};
  auto body = upsert_from(remote_jid, id, msg, "pollUpdateMessage");
  body["data"]["pollUpdates"] = {{{"name", option}, {"voters", {remote_jid}}}};
  return body;
}

int64_t job_loop::active_contacts() {
  static const std::regex gauge(R"(\naibud_contact_actors_active (\d+))");
  std::smatch m;
  const std::string text = metrics();
  if (!std::regex_search(text, m, gauge)) return -1;
  return std::stoll(m[1].str());
}

std::string job_loop::metrics() {
  return testing::get("127.0.0.1", port_, "/metrics").body;
}

std::string job_loop::scalar(const std::string& sql) const {
  SQLite::Database db(db_path(), SQLite::OPEN_READONLY);
  db.setBusyTimeout(5000);
  SQLite::Statement q(db, sql);
  if (!q.executeStep() || q.getColumn(0).isNull()) return "";
  return q.getColumn(0).getString();
}

std::vector<std::string> job_loop::rows(const std::string& sql) const {
  SQLite::Database db(db_path(), SQLite::OPEN_READONLY);
  db.setBusyTimeout(5000);
  SQLite::Statement q(db, sql);
  std::vector<std::string> out;
  while (q.executeStep()) {
    std::string row;
    for (int i = 0; i < q.getColumnCount(); ++i) {
      if (i) row += "|";
      row += q.getColumn(i).isNull() ? "" : q.getColumn(i).getString();
    }
    out.push_back(row);
  }
  return out;
}

bool job_loop::wait_settled(int64_t jobs, std::chrono::milliseconds timeout) {
  return wait_until(
      [&] {
        return count("SELECT COUNT(*) FROM jobs") >= jobs &&
               count(
                   "SELECT COUNT(*) FROM jobs WHERE status IN "
                   "('pending','running','waiting')") == 0;
      },
      timeout);
}

}  // namespace aibud::testing
