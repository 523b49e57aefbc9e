// The whole job loop over real loopback: a sandbox instance, `aibud serve` as a child process,
// webhooks posted like Evolution posts them, and the database read back to check what the job
// pipeline did. The server is a child so that SIGKILL tests kill a real process.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace aibud::testing {

// What one message is.
struct wa_message {
  std::string id;
  std::string remote_jid;      // the chat: phone JID or LID
  std::string remote_jid_alt;  // "" or the other JID of the same person
  std::string text;
  bool from_me = false;
  int64_t timestamp_s = 0;  // 0: now
};

// A real Evolution instance: its REST base URL and API key.
struct evolution_instance {
  std::string url;
  std::string api_key;
};

// A text message from `remote_jid`.
wa_message text_from(const std::string& id, const std::string& remote_jid, const std::string& body);

// A messages.upsert envelope of instance acme-bot from `remote_jid` (a phone JID), sent now,
// carrying `message` (the `message` object) of `type` (the messageType).
nlohmann::json upsert_from(const std::string& remote_jid, const std::string& id,
                           nlohmann::json message, const std::string& type);
// A decrypted vote (Evolution >= 2.3.7) by `remote_jid` for `option` of the poll whose sendPoll
// answered `poll_key`.
nlohmann::json vote_from(const std::string& remote_jid, const std::string& id,
                         const std::string& poll_key, const std::string& option);

class job_loop {
 public:
  // A database with tenant `acme` (`credits`) and sandbox instance `acme-bot`.
  explicit job_loop(int64_t credits);
  // The same with an Evolution instance `acme-bot` at `evolution.url`, created as a user does:
  // the key through `--evolution-key-env`, sealed at rest under a test AIBUD_SECRET_KEY that
  // every later command and the server get too.
  job_loop(int64_t credits, const evolution_instance& evolution);
  ~job_loop();

  // Starts `aibud serve` on a free port with these extra environment variables (fast retry
  // and passivation timings are set by default). Waits until it listens; false otherwise.
  bool start(std::map<std::string, std::string> env = {});
  // SIGTERM and wait.
  void stop();
  child* server() { return server_.get(); }

  // Posts one messages.upsert webhook; the HTTP status (0 when the server is gone).
  int post(const wa_message& m);
  // Posts any webhook body to the instance's route, authenticated by its secret.
  http_response post_event(const nlohmann::json& body);
  std::string metrics();
  // The aibud_contact_actors_active gauge, -1 when /metrics does not show it.
  int64_t active_contacts();

  // One-value SQL query on a read-only connection ("" for NULL).
  std::string scalar(const std::string& sql) const;
  int64_t count(const std::string& sql) const { return std::stoll("0" + scalar(sql)); }
  // Rows of one column each, joined as "a|b|c" strings.
  std::vector<std::string> rows(const std::string& sql) const;

  // Waits until no job is pending, running or waiting (and at least `jobs` exist).
  bool wait_settled(int64_t jobs, std::chrono::milliseconds timeout = std::chrono::seconds(60));

  std::string db_path() const { return dir_.file("aibud.db"); }
  uint16_t port() const { return port_; }

  // Runs the aibud CLI against this database (and, with `server` on, the running server
  // through AIBUD_SERVER), with these extra environment variables.
  run_result cli(const std::vector<std::string>& args, std::map<std::string, std::string> env = {},
                 bool server = false) const;

 private:
  void create(int64_t credits, const std::vector<std::string>& instance_args);
  run_options child_env() const;  // a clean AIBUD_* environment plus `env_`

  temp_dir dir_;
  std::map<std::string, std::string> env_;
  std::string secret_;
  uint16_t port_ = 0;
  std::unique_ptr<child> server_;
};

}  // namespace aibud::testing
