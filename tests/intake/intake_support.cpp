#include "tests/intake/intake_support.hpp"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>

#include "base/crypto.hpp"

extern char** environ;

namespace aibud::testing {
namespace {

constexpr const char* sqlite3_shell = "/usr/bin/sqlite3";
// Set so that the instance's secret is sealed at rest, as in production.
constexpr const char* test_secret_key = "intake-tests-master-key-0123456789abcdef";

std::string json_text_or_throw(const run_result& r, const std::string& what) {
  if (r.exit_code != 0)
    throw std::runtime_error(what + " exited " + std::to_string(r.exit_code) + ": " + r.err);
  return r.out;
}

// The port of the {"msg":"listening","address":"127.0.0.1:PORT"} line, 0 before it is logged.
std::uint16_t listening_port(const std::string& log) {
  std::size_t start = 0;
  while (start < log.size()) {
    auto end = log.find('\n', start);
    if (end == std::string::npos) break;  // a line still being written
    auto line = nlohmann::json::parse(log.substr(start, end - start), nullptr, false);
    start = end + 1;
    if (!line.is_object() || line.value("msg", "") != "listening") continue;
    std::string address = line.value("address", "");
    auto colon = address.rfind(':');
    if (colon == std::string::npos) continue;
    return static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1)));
  }
  return 0;
}

}  // namespace

std::string sample_text(const std::string& name) {
  std::string text = read_file(std::string(AIBUD_SAMPLES_DIR) + "/" + name + ".json");
  if (text.empty()) throw std::runtime_error("no sample " + name);
  return text;
}

nlohmann::json sample(const std::string& name) {
  return nlohmann::json::parse(sample_text(name));
}

const std::vector<std::string>& webhook_samples() {
  static const std::vector<std::string> names{"messages-upsert-text",
                                              "messages-upsert-extended-text",
                                              "messages-upsert-image",
                                              "messages-upsert-audio",
                                              "messages-upsert-group",
                                              "messages-upsert-status-broadcast",
                                              "messages-upsert-from-me",
                                              "poll-vote",
                                              "connection-update",
                                              "qrcode-updated",
                                              "send-message"};
  return names;
}

std::string text_message(const std::string& id) {
  static const nlohmann::json base = sample("messages-upsert-text");
  nlohmann::json body = base;
  body["data"]["key"]["id"] = id;
  return body.dump();
}

nlohmann::json json_body(const http_response& r) {
  return nlohmann::json::parse(r.body, nullptr, false);
}

bool is_error(const http_response& r, int status, const std::string& code) {
  if (r.status != status) return false;
  auto body = json_body(r);
  if (!body.is_object() || body.size() != 1 || !body.contains("error")) return false;
  const auto& e = body["error"];
  return e.is_object() && e.size() == 2 && e.contains("code") && e.contains("message") &&
         e["code"] == code && e["message"].is_string() && !e["message"].get<std::string>().empty();
}

bool has_status(const http_response& r, const std::string& status) {
  if (r.status != 200) return false;
  auto body = json_body(r);
  return body.is_object() && body.value("status", "") == status;
}

std::string make_jwt(const nlohmann::json& claims, const std::string& key, const std::string& alg) {
  nlohmann::json header{{"alg", alg}, {"typ", "JWT"}};
  std::string signing_input =
      crypto::base64url(header.dump()) + "." + crypto::base64url(claims.dump());
  std::string signature =
      alg == "none" ? "" : crypto::base64url(crypto::hmac_sha256(key, signing_input));
  return signing_input + "." + signature;
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool soak() {
  const char* value = std::getenv("AIBUD_TEST_SOAK");
  return value && std::string(value) == "1";
}

intake_server::intake_server(server_env env) : env_(std::move(env)) {
  run_options options = child_options();
  json_text_or_throw(aibud({"tenant", "create", "acme"}, options), "tenant create");
  auto created = nlohmann::json::parse(json_text_or_throw(
      aibud({"instance", "create", "main", "--tenant", "acme", "--sandbox", "--json"}, options),
      "instance create"));
  secret_ = created.at("webhook_secret").get<std::string>();
  instance_id_ = created.at("id").get<std::int64_t>();
}

intake_server::~intake_server() {
  stop_child();
}

run_options intake_server::child_options() const {
  run_options options;
  // Whatever AIBUD_* the test runner inherited must not configure the server under test.
  for (char** e = environ; *e; ++e) {
    std::string entry(*e);
    if (entry.rfind("AIBUD_", 0) == 0)
      options.unset_env.push_back(entry.substr(0, entry.find('=')));
  }
  options.env = env_;
  options.env["AIBUD_DB"] = db_path();
  options.env["AIBUD_SECRET_KEY"] = test_secret_key;
  options.cwd = dir_.path();
  return options;
}

void intake_server::stop_child() {
  if (!child_) return;
  earlier_log_ += child_->output();
  child_.reset();  // kills it if it still runs
  port_ = 0;
}

void intake_server::start() {
  stop_child();
  std::vector<std::string> argv;
  // Should the test binary itself die (a crash, a ctest timeout), the kernel kills the server
  // too, rather than leave it holding a port forever.
  if (access("/usr/bin/setpriv", X_OK) == 0) argv = {"/usr/bin/setpriv", "--pdeathsig", "KILL"};
  for (const char* arg : {AIBUD_BINARY, "serve", "--listen", "127.0.0.1:0"}) argv.push_back(arg);
  child_ = std::make_unique<child>(argv, child_options());

  bool listening = wait_until(
      [&] {
        if (!child_->running()) return true;
        port_ = listening_port(child_->output());
        return port_ != 0;
      },
      std::chrono::seconds(60));
  bool healthy = listening && port_ != 0 &&
                 wait_until([&] { return !child_->running() || get("/healthz").status == 200; });
  if (!healthy || !child_->running()) {
    std::string output = child_->output();
    stop_child();
    throw std::runtime_error("aibud serve did not come up: " + output);
  }
}

void intake_server::kill() {
  if (!child_) return;
  child_->kill(SIGKILL);
  child_->wait();
}

int intake_server::terminate() {
  if (!child_) return -1;
  child_->kill(SIGTERM);
  return child_->wait(std::chrono::seconds(60));
}

bool intake_server::running() const {
  return child_ && child_->running();
}

http_response intake_server::post(const std::string& body, const std::string& target) const {
  return post_with(target, body, {{"Authorization", "Bearer " + secret_}});
}

http_response intake_server::post_with(const std::string& target, const std::string& body,
                                       const http_headers& headers) const {
  return testing::post("127.0.0.1", port_, target, body, headers);
}

http_response intake_server::get(const std::string& target) const {
  return testing::get("127.0.0.1", port_, target);
}

nlohmann::json intake_server::query(const std::string& sql) const {
  auto r = run({sqlite3_shell, "-readonly", "-json", "-cmd", ".timeout 10000", db_path(), sql});
  std::string out = json_text_or_throw(r, "sqlite3 " + sql);
  if (out.find_first_not_of(" \n") == std::string::npos) return nlohmann::json::array();
  return nlohmann::json::parse(out);
}

void intake_server::execute(const std::string& sql) const {
  json_text_or_throw(run({sqlite3_shell, "-cmd", ".timeout 10000", db_path(), sql}),
                     "sqlite3 " + sql);
}

std::int64_t intake_server::job_count() const {
  return query("SELECT count(*) AS n FROM jobs").at(0).at("n").get<std::int64_t>();
}

std::string intake_server::log() const {
  return earlier_log_ + (child_ ? child_->output() : std::string());
}

thread_group::~thread_group() {
  stop();
  join();
}

void thread_group::join() {
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

}  // namespace aibud::testing
