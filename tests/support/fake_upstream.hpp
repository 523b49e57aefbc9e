// A fake upstream HTTP server on loopback for tests (Gemini, OpenAI-compatible servers): every
// request is answered by a function of it, or held while `hold(true)` so that a test can see
// how many are open at once, and every request is remembered. Held requests are answered when
// released or when the fake goes away.
//
// Needs aibud_http at link time (it runs on aibud::http::server).
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "adapters/http/request.hpp"

namespace aibud::http {
class server;
}

namespace aibud::testing {

class fake_upstream {
 public:
  using answer_fn = std::function<http::response(const http::request&)>;

  explicit fake_upstream(answer_fn answer);
  ~fake_upstream();
  fake_upstream(const fake_upstream&) = delete;
  fake_upstream& operator=(const fake_upstream&) = delete;

  std::string base_url() const;  // http://127.0.0.1:<port>

  // Replaces the answer for requests from now on (a test's upstream recovering, say).
  void answer_with(answer_fn answer);

  void hold(bool on);
  void release_one();  // answers the oldest held request
  void release_all();
  std::size_t held_count() const;

  std::vector<http::request> requests() const;  // every request seen, in order
  std::vector<std::string> targets() const;     // their paths with queries

 private:
  struct held {
    http::request req;
    http::responder respond;
  };
  http::response answer(const http::request& req);

  mutable std::mutex mutex_;
  answer_fn answer_;
  bool holding_ = false;
  std::vector<http::request> seen_;
  std::deque<held> held_;
  std::unique_ptr<http::server> server_;
};

// A response in one line.
http::response reply(int status, std::string body,
                     std::vector<std::pair<std::string, std::string>> headers = {});

}  // namespace aibud::testing
