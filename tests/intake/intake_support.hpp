// The intake tests run the real `aibud serve` as a child process against a fresh database
// holding one tenant ("acme") and one sandbox instance ("main"), post webhooks to it over
// loopback and read what it committed with the sqlite3 shell.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace aibud::testing {

// examples/evolution/<name>.json, as text and parsed.
std::string sample_text(const std::string& name);
nlohmann::json sample(const std::string& name);
// The samples Evolution posts as webhooks (not REST responses).
const std::vector<std::string>& webhook_samples();
// messages-upsert-text with data.key.id replaced: a distinct inbound 1:1 text message.
std::string text_message(const std::string& id);

// The response body parsed, or a discarded value when it is not JSON.
nlohmann::json json_body(const http_response& r);
// True when `r` has `status` and a body of exactly {"error":{"code":code,"message":"..."}}.
bool is_error(const http_response& r, int status, const std::string& code);
// True when `r` is 200 with {"status": status, ...}.
bool has_status(const http_response& r, const std::string& status);

// A JWT over `claims` with header {"alg": alg, "typ": "JWT"}, signed HMAC-SHA256 with `key`
// (for alg "none" the signature is empty).
std::string make_jwt(const nlohmann::json& claims, const std::string& key,
                     const std::string& alg = "HS256");
std::int64_t unix_now();

// True when AIBUD_TEST_SOAK=1: the long campaigns of `make soak`.
bool soak();

// Settings for `aibud serve`, as environment variables: {{"AIBUD_HTTP_BODY_LIMIT", "1024"}}.
using server_env = std::map<std::string, std::string>;

class intake_server {
 public:
  // Creates the database, the tenant and the instance. `env` holds settings for `serve`
  // (AIBUD_HTTP_BODY_LIMIT, ...); inherited AIBUD_* variables never reach the children.
  explicit intake_server(server_env env = {});
  ~intake_server();
  intake_server(const intake_server&) = delete;
  intake_server& operator=(const intake_server&) = delete;

  // Starts `aibud serve` on a port of the system's choosing and returns once /healthz answers
  // 200. Throws std::runtime_error (with the server's output) when it does not come up.
  void start();
  // SIGKILL, reaped.
  void kill();
  // SIGTERM, then the exit code (-signal when killed by one).
  int terminate();
  bool running() const;

  std::uint16_t port() const { return port_; }
  const std::string& secret() const { return secret_; }
  std::int64_t instance_id() const { return instance_id_; }
  std::string db_path() const { return dir_.file("aibud.db"); }
  static std::string webhook_path(const std::string& suffix = "") {
    return "/webhook/evolution/main" + suffix;
  }

  // One request on a fresh connection. `post` authenticates with Bearer <secret>.
  http_response post(const std::string& body, const std::string& target = webhook_path()) const;
  http_response post_with(const std::string& target, const std::string& body,
                          const http_headers& headers) const;
  http_response get(const std::string& target) const;

  // Rows of a read-only query as a JSON array of objects (sqlite3 -json).
  nlohmann::json query(const std::string& sql) const;
  // A statement that writes (the server may be running: SQLite serialises the writers).
  void execute(const std::string& sql) const;
  std::int64_t job_count() const;

  // Everything the server wrote (stderr and stdout), over all its runs.
  std::string log() const;

 private:
  run_options child_options() const;
  void stop_child();

  temp_dir dir_;
  std::map<std::string, std::string> env_;
  std::string secret_;
  std::int64_t instance_id_ = 0;
  std::unique_ptr<child> child_;
  std::uint16_t port_ = 0;
  std::string earlier_log_;  // output of runs that ended
};

// Threads that are always joined, even when a failed REQUIRE unwinds the test: the destructor
// raises stopping() and joins, so bodies that loop must check it. To wait for the bodies to
// finish on their own, call join().
class thread_group {
 public:
  thread_group() = default;
  ~thread_group();
  thread_group(const thread_group&) = delete;
  thread_group& operator=(const thread_group&) = delete;

  // Runs body(i) for i in [0, count) on threads of their own. A body must not throw.
  template <class Body>
  void spawn(int count, Body body) {
    for (int i = 0; i < count; ++i) threads_.emplace_back([body, i] { body(i); });
  }
  bool stopping() const { return stopping_.load(); }
  void stop() { stopping_ = true; }
  void join();

 private:
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> threads_;
};

}  // namespace aibud::testing
