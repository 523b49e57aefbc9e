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

class job_loop {
 public:
  // A database with tenant `acme` (`credits`) and sandbox instance `acme-bot`.
  explicit job_loop(int64_t credits);
  ~job_loop();

  // Starts `aibud serve` on a free port with these extra environment variables (fast retry
  // and passivation timings are set by default). Waits until it listens; false otherwise.
  bool start(std::map<std::string, std::string> env = {});
  // SIGTERM and wait.
  void stop();
  child* server() { return server_.get(); }

  // Posts one messages.upsert webhook; the HTTP status (0 when the server is gone).
  int post(const wa_message& m);
  std::string metrics();

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
  temp_dir dir_;
  std::string secret_;
  uint16_t port_ = 0;
  std::unique_ptr<child> server_;
};

}  // namespace aibud::testing
