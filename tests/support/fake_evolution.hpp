// A fake Evolution API v2 server on loopback for tests: the real wire format of reference §5
// and §6 (routes, `apikey` guard, bodies, status codes, error shapes), with state kept in
// memory. It records every request, remembers what was sent (findMessages reads it back),
// and can be scripted to fail or answer slowly.
//
// Needs aibud_http at link time (it runs on aibud::http::server).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "adapters/http/request.hpp"

namespace aibud::http {
class server;
}

namespace aibud::testing {

struct recorded_request {
  std::string method;
  std::string path;    // as sent, before '?'
  std::string target;  // path and query
  http::header_map headers;
  std::string body;
  int status = 0;  // what the fake answered

  std::string header(const std::string& name) const;
  nlohmann::json json() const;  // the body parsed; null when it is not JSON
};

// An answer that replaces the normal one.
struct scripted_reply {
  int status = 503;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds delay{0};
  bool normal = false;  // answer as usual (only later, by `delay`)

  // {"status":N,"error":"<reason>","response":{"message":<message>}} (reference §6).
  static scripted_reply evolution_error(int status, nlohmann::json message);
  static scripted_reply unavailable();                    // 503
  static scripted_reply unauthorized();                   // examples/evolution/error-401.json
  static scripted_reply bad_request();                    // examples/evolution/error-400.json
  static scripted_reply not_connected(int status = 400);  // 400 array or 500 "Connection Closed"
  static scripted_reply rate_limited(int retry_after_seconds);  // 429 with Retry-After
  static scripted_reply slow(std::chrono::milliseconds delay);  // the normal answer, late
};

// One message in the fake's store, as findMessages returns it.
struct stored_record {
  std::string key_id;
  std::string remote_jid;
  bool from_me = true;
  std::string message_type;
  nlohmann::json message;  // the `message` object
  std::int64_t timestamp_s = 0;
  std::string source = "web";
};

class fake_evolution {
 public:
  struct options {
    std::string global_key = "test-global-key";
    std::string instance = "acme-bot";  // created at start, state "open"
    std::string instance_token = "TEST-INSTANCE-TOKEN";
    std::string version = "2.3.7";  // in GET /'s banner; "" leaves the field out
  };

  fake_evolution();
  explicit fake_evolution(options opts);
  ~fake_evolution();
  fake_evolution(const fake_evolution&) = delete;
  fake_evolution& operator=(const fake_evolution&) = delete;

  std::uint16_t port() const;
  std::string base_url() const;  // "http://127.0.0.1:<port>"
  const options& config() const { return options_; }

  // The next `count` requests whose path contains `path_part` ("" = any) get `reply`.
  // Several scripts queue up in order.
  void fail_next(scripted_reply reply, int count = 1, std::string path_part = "");
  // Drops every queued script: the fake answers normally again.
  void clear_failures();

  // "open" | "connecting" | "close"; sends to an instance that is not open fail as
  // Evolution does (400 "instance is not connected").
  void set_state(const std::string& instance, const std::string& state);
  std::string state(const std::string& instance) const;
  bool has_instance(const std::string& instance) const;
  // The webhook object last stored for an instance (null when none).
  nlohmann::json webhook(const std::string& instance) const;

  // What getBase64FromMediaMessage answers for any message id.
  void set_media(std::string base64, std::string mimetype = "image/jpeg",
                 std::string media_type = "imageMessage");
  // Adds a message as if received from `remote_jid` (fromMe false).
  void add_incoming(const std::string& instance, const std::string& remote_jid,
                    const std::string& text, std::int64_t timestamp_s);

  std::vector<recorded_request> requests() const;
  // Requests whose path contains `path_part`.
  std::vector<recorded_request> requests_to(const std::string& path_part) const;
  // How many requests whose path contains `path_part` were answered `status`.
  std::size_t answered(const std::string& path_part, int status) const;
  std::vector<stored_record> stored(const std::string& instance) const;

 private:
  struct instance_state {
    std::string token;
    std::string id;
    std::string state = "open";
    nlohmann::json webhook;
    std::vector<stored_record> messages;
  };
  struct answer {
    int status = 200;
    nlohmann::json body;
    std::vector<std::pair<std::string, std::string>> headers;
    std::chrono::milliseconds delay{0};
  };
  struct script {
    scripted_reply reply;
    int left = 0;
    std::string path_part;
  };
  struct delayed {
    std::chrono::steady_clock::time_point at;
    http::response reply;
    http::responder respond;
  };

  void handle(http::request req, http::responder respond);
  answer route(const http::request& req);  // REQUIRES: mutex_ held
  answer guarded(const http::request& req, const std::string& instance,
                 bool global_only);  // REQUIRES: mutex_ held
  answer send_message(const http::request& req, instance_state& inst, const std::string& kind);
  answer find_messages(const nlohmann::json& body, const instance_state& inst);
  answer create_instance(const nlohmann::json& body);
  answer connect(const std::string& name, instance_state& inst);
  answer set_webhook(const nlohmann::json& body, instance_state& inst);
  std::string fresh_key_id();
  // Provisioning (aibud instance connect): GET / and connect's pairing code.
  answer banner() const;
  answer with_pairing_code(const http::request& req, answer a) const;
  void timer_loop();

  options options_;
  std::unique_ptr<http::server> server_;

  mutable std::mutex mutex_;
  std::map<std::string, instance_state> instances_;
  std::vector<recorded_request> requests_;
  std::deque<script> scripts_;
  std::string media_base64_;
  std::string media_mimetype_;
  std::string media_type_;
  std::uint64_t next_id_ = 1;

  std::mutex timer_mutex_;
  std::condition_variable timer_cv_;
  std::vector<delayed> delayed_;
  bool stopping_ = false;
  std::thread timer_;
};

}  // namespace aibud::testing
