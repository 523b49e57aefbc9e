// A real server on an ephemeral loopback port for the tests of this folder, with a router
// the test fills first, and a place where handlers park responders to answer later.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "adapters/http/router.hpp"
#include "adapters/http/server.hpp"

namespace aibud::http::testing {

inline server_options small_options() {
  server_options options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.threads = 2;
  options.body_limit = 1024;
  options.header_timeout = std::chrono::milliseconds(300);
  options.body_timeout = std::chrono::milliseconds(300);
  options.shutdown_grace = std::chrono::milliseconds(10000);
  return options;
}

// Routes first, then start(); the server stops when this goes.
struct serving {
  router routes;
  std::unique_ptr<server> srv;

  void start(server_options options = small_options()) {
    srv = std::make_unique<server>(options, routes.as_handler());
    auto started = srv->start();
    if (!started) throw std::runtime_error(started.err().message);
  }
  std::uint16_t port() const { return srv->port(); }
  ~serving() { srv.reset(); }
};

// Responders parked by handlers, answered later by the test from whichever thread it likes.
class parked {
 public:
  void park(request req, responder respond) {
    std::lock_guard<std::mutex> lock(mutex_);
    requests_.push_back(std::move(req));
    responders_.push_back(std::move(respond));
  }
  std::size_t count() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return responders_.size();
  }
  request request_at(std::size_t i) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_.at(i);
  }
  responder responder_at(std::size_t i) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return responders_.at(i);
  }

 private:
  mutable std::mutex mutex_;
  std::vector<request> requests_;
  std::vector<responder> responders_;
};

}  // namespace aibud::http::testing
