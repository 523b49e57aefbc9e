#include "tests/support/fake_upstream.hpp"

#include <chrono>
#include <optional>
#include <stdexcept>

#include "adapters/http/server.hpp"

namespace aibud::testing {

fake_upstream::fake_upstream(answer_fn initial) : answer_(std::move(initial)) {
  http::server_options options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.threads = 2;
  options.shutdown_grace = std::chrono::milliseconds(2000);
  server_ =
      std::make_unique<http::server>(options, [this](http::request req, http::responder respond) {
        {
          std::lock_guard<std::mutex> lock(mutex_);
          seen_.push_back(req);
          if (holding_) {
            held_.push_back({std::move(req), std::move(respond)});
            return;
          }
        }
        respond(answer(req));
      });
  auto started = server_->start();
  if (!started) throw std::runtime_error(started.err().message);
}

fake_upstream::~fake_upstream() {
  release_all();
  server_->stop();
}

std::string fake_upstream::base_url() const {
  return "http://127.0.0.1:" + std::to_string(server_->port());
}

http::response fake_upstream::answer(const http::request& req) {
  answer_fn fn;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    fn = answer_;
  }
  return fn(req);
}

void fake_upstream::answer_with(answer_fn answer) {
  std::lock_guard<std::mutex> lock(mutex_);
  answer_ = std::move(answer);
}

void fake_upstream::hold(bool on) {
  std::lock_guard<std::mutex> lock(mutex_);
  holding_ = on;
}

void fake_upstream::release_one() {
  std::optional<held> h;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (held_.empty()) return;
    h = std::move(held_.front());
    held_.pop_front();
  }
  h->respond(answer(h->req));
}

void fake_upstream::release_all() {
  while (held_count() > 0) release_one();
}

std::size_t fake_upstream::held_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return held_.size();
}

std::vector<http::request> fake_upstream::requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return seen_;
}

std::vector<std::string> fake_upstream::targets() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> out;
  for (const auto& r : seen_) out.push_back(r.target);
  return out;
}

http::response reply(int status, std::string body,
                     std::vector<std::pair<std::string, std::string>> headers) {
  http::response r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

}  // namespace aibud::testing
