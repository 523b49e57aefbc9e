#include "adapters/http/client.hpp"

#include <doctest/doctest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netinet/in.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "tests/http/serving.hpp"
#include "tests/support/process.hpp"

using aibud::http_call;
using aibud::http_reply;
using aibud::http::client;
using aibud::http::request;
using aibud::http::responder;
using aibud::http::response;
using aibud::http::testing::parked;
using aibud::http::testing::serving;
using aibud::testing::wait_until;
using namespace std::chrono_literals;

namespace {

aibud::http::server_options roomy_options() {
  auto options = aibud::http::testing::small_options();
  options.body_limit = 1024 * 1024;
  options.header_timeout = 5s;
  options.body_timeout = 5s;
  options.shutdown_grace = 200ms;
  return options;
}

// Replies collected from the client's thread, read by the test thread.
class replies {
 public:
  std::function<void(http_reply)> slot(int id) {
    return [this, id](http_reply r) {
      std::lock_guard<std::mutex> lock(mutex_);
      calls_[id] += 1;
      replies_[id] = std::move(r);
      threads_.insert(std::this_thread::get_id());
    };
  }
  std::size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return replies_.size();
  }
  http_reply at(int id) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return replies_.at(id);
  }
  int calls(int id) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = calls_.find(id);
    return it == calls_.end() ? 0 : it->second;
  }
  std::set<std::thread::id> threads() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return threads_;
  }

 private:
  mutable std::mutex mutex_;
  std::map<int, http_reply> replies_;
  std::map<int, int> calls_;
  std::set<std::thread::id> threads_;
};

http_call get(const serving& s, const std::string& path) {
  http_call call;
  call.url = "http://127.0.0.1:" + std::to_string(s.port()) + path;
  call.timeout = 10s;
  return call;
}

// A loopback port with nothing listening: bound, then closed again.
std::uint16_t closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// A server whose /hold calls wait until the test answers them.
struct held_calls {
  serving s;
  parked held;
  held_calls() {
    s.routes.get("/hold", [this](request req, responder respond) { held.park(req, respond); });
    s.start(roomy_options());
  }
  http_call hold() const { return get(s, "/hold"); }
  static aibud::http::client_options per_host(long connections) {
    aibud::http::client_options options;
    options.max_host_connections = connections;
    return options;
  }
};

}  // namespace

TEST_CASE("a GET returns the status, the body and the response headers with lower-case names") {
  serving s;
  s.routes.get("/hello", [](request, responder respond) {
    response r;
    r.status = 202;
    r.body = R"({"hi":true})";
    r.headers = {{"X-Custom-Thing", "  value 1 "}};
    respond(r);
  });
  s.start(roomy_options());
  client c;
  replies got;
  c.perform(get(s, "/hello"), got.slot(1));
  REQUIRE(wait_until([&] { return got.size() == 1; }));
  http_reply r = got.at(1);
  CHECK(r.status == 202);
  CHECK(r.body == R"({"hi":true})");
  CHECK(r.transport_error.empty());
  CHECK(r.header("x-custom-thing") == "value 1");
  CHECK(r.header("content-type") == "application/json");
}

TEST_CASE("a POST carries its method, body and headers to the server as given") {
  serving s;
  parked seen;
  s.routes.add("PATCH", "/things/{id}", [&](request req, responder respond) {
    seen.park(req, respond);
    respond(response{});
  });
  s.routes.post("/things", [&](request req, responder respond) {
    seen.park(req, respond);
    respond(response{});
  });
  s.start(roomy_options());
  client c;
  replies got;
  http_call post = get(s, "/things");
  post.method = "POST";
  post.body = R"({"a":1})";
  post.headers = {{"apikey", "k-123"}, {"X-Trace", "t1"}};
  c.perform(post, got.slot(1));
  REQUIRE(wait_until([&] { return got.size() == 1; }));
  http_call patch = get(s, "/things/7");
  patch.method = "PATCH";
  patch.body = "x=1";
  patch.headers = {{"Content-Type", "text/plain"}};
  c.perform(patch, got.slot(2));
  REQUIRE(wait_until([&] { return got.size() == 2; }));

  request first = seen.request_at(0);
  CHECK(first.method == "POST");
  CHECK(first.body == R"({"a":1})");
  CHECK(first.header("apikey") == "k-123");
  CHECK(first.header("x-trace") == "t1");
  CHECK(first.header("content-type") == "application/json");  // the default for a body
  request second = seen.request_at(1);
  CHECK(second.method == "PATCH");
  CHECK(second.body == "x=1");
  CHECK(second.header("content-type") == "text/plain");
}

TEST_CASE("many concurrent calls each complete exactly once with their own answer") {
  serving s;
  s.routes.get("/echo/{n}", [](request req, responder respond) {
    response r;
    r.body = *req.param("n");
    respond(r);
  });
  s.start(roomy_options());
  client c;
  replies got;
  constexpr int calls = 300;
  std::vector<std::thread> senders;
  for (int t = 0; t < 3; ++t) {
    senders.emplace_back([&, t] {
      for (int i = t; i < calls; i += 3)
        c.perform(get(s, "/echo/" + std::to_string(i)), got.slot(i));
    });
  }
  for (auto& th : senders) th.join();
  REQUIRE(wait_until([&] { return got.size() == calls; }));
  CHECK(wait_until([&] { return c.in_flight() == 0; }));
  for (int i = 0; i < calls; ++i) {
    CHECK(got.calls(i) == 1);
    CHECK(got.at(i).status == 200);
    CHECK(got.at(i).body == std::to_string(i));
  }
}

TEST_CASE("every callback runs on the client's one thread, not on the caller's") {
  serving s;
  s.routes.get("/x", [](request, responder respond) { respond(response{}); });
  s.start(roomy_options());
  client c;
  replies got;
  for (int i = 0; i < 5; ++i) c.perform(get(s, "/x"), got.slot(i));
  REQUIRE(wait_until([&] { return got.size() == 5; }));
  auto threads = got.threads();
  CHECK(threads.size() == 1);
  CHECK(threads.count(std::this_thread::get_id()) == 0);
}

TEST_CASE("a call that gets no answer in time fails as timed out with no status") {
  serving s;
  parked held;
  s.routes.get("/slow", [&](request req, responder respond) { held.park(req, respond); });
  s.start(roomy_options());
  client c;
  replies got;
  http_call call = get(s, "/slow");
  call.timeout = 200ms;
  c.perform(call, got.slot(1));
  REQUIRE(wait_until([&] { return got.size() == 1; }));
  http_reply r = got.at(1);
  CHECK(r.status == 0);
  CHECK(r.timed_out);
  CHECK_FALSE(r.transport_error.empty());
  CHECK(held.count() == 1);
  held.responder_at(0)(response{});
}

TEST_CASE("a refused connection is a transport error, not a timeout") {
  const std::uint16_t port = closed_port();
  client c;
  replies got;
  http_call call;
  call.url = "http://127.0.0.1:" + std::to_string(port) + "/";
  c.perform(call, got.slot(1));
  REQUIRE(wait_until([&] { return got.size() == 1; }));
  http_reply r = got.at(1);
  CHECK(r.status == 0);
  CHECK_FALSE(r.timed_out);
  CHECK_FALSE(r.transport_error.empty());
  CHECK(r.transport_error != "cancelled");
}

TEST_CASE("a malformed URL fails the call without taking the client down") {
  client c;
  replies got;
  http_call bad;
  bad.url = "not a url at all";
  c.perform(bad, got.slot(1));
  http_call other;
  other.url = "ftp://127.0.0.1/file";  // only http and https are allowed
  c.perform(other, got.slot(2));
  REQUIRE(wait_until([&] { return got.size() == 2; }));
  CHECK(got.at(1).status == 0);
  CHECK_FALSE(got.at(1).transport_error.empty());
  CHECK(got.at(2).status == 0);
  CHECK_FALSE(got.at(2).transport_error.empty());
}

TEST_CASE("a response larger than the limit fails the call") {
  serving s;
  s.routes.get("/big", [](request, responder respond) {
    response r;
    r.body.assign(100000, 'x');
    respond(r);
  });
  s.start(roomy_options());
  aibud::http::client_options options;
  options.max_response_bytes = 1000;
  client c(options);
  replies got;
  c.perform(get(s, "/big"), got.slot(1));
  REQUIRE(wait_until([&] { return got.size() == 1; }));
  CHECK(got.at(1).status == 0);
  CHECK(got.at(1).body.empty());
  CHECK(got.at(1).transport_error.find("larger than 1000") != std::string::npos);
}

TEST_CASE("stop cancels calls in flight, each exactly once, and later calls at once") {
  serving s;
  parked held;
  s.routes.get("/hold", [&](request req, responder respond) { held.park(req, respond); });
  s.start(roomy_options());
  client c;
  replies got;
  for (int i = 0; i < 3; ++i) c.perform(get(s, "/hold"), got.slot(i));
  REQUIRE(wait_until([&] { return held.count() == 3; }));
  c.stop();
  REQUIRE(got.size() == 3);
  for (int i = 0; i < 3; ++i) {
    CHECK(got.calls(i) == 1);
    CHECK(got.at(i).transport_error == "cancelled");
    CHECK(got.at(i).status == 0);
  }
  c.perform(get(s, "/hold"), got.slot(9));
  CHECK(got.calls(9) == 1);
  CHECK(got.at(9).transport_error == "cancelled");
  c.stop();  // idempotent
  for (std::size_t i = 0; i < held.count(); ++i) held.responder_at(i)(response{});
}

TEST_CASE("the transport outlives the client and then cancels at once") {
  serving s;
  s.routes.get("/x", [](request, responder respond) { respond(response{}); });
  s.start(roomy_options());
  aibud::http_transport transport;
  replies got;
  {
    client c;
    transport = c.as_transport();
    transport(get(s, "/x"), got.slot(1));
    REQUIRE(wait_until([&] { return got.size() == 1; }));
    CHECK(got.at(1).status == 200);
  }
  transport(get(s, "/x"), got.slot(2));
  CHECK(got.calls(2) == 1);
  CHECK(got.at(2).transport_error == "cancelled");
}

TEST_CASE("calls to one host use no more connections than the per-host limit") {
  held_calls h;
  auto& held = h.held;
  client c(held_calls::per_host(2));
  replies got;
  constexpr int calls = 6;
  for (int i = 0; i < calls; ++i) c.perform(h.hold(), got.slot(i));
  std::size_t answered = 0;
  std::size_t most_waiting = 0;
  while (answered < calls) {
    REQUIRE(wait_until([&] { return held.count() > answered; }));
    most_waiting = std::max(most_waiting, held.count() - answered);
    CHECK(h.s.srv->connections() <= 2);
    held.responder_at(answered++)(response{});
  }
  REQUIRE(wait_until([&] { return got.size() == calls; }));
  CHECK(most_waiting <= 2);
  for (int i = 0; i < calls; ++i) CHECK(got.at(i).status == 200);
}

TEST_CASE("calls waiting for a connection to their host are cancelled by stop, each once") {
  held_calls h;
  auto& held = h.held;
  auto c = std::make_unique<client>(held_calls::per_host(1));
  replies got;
  constexpr int calls = 4;
  for (int i = 0; i < calls; ++i) c->perform(h.hold(), got.slot(i));
  REQUIRE(wait_until([&] { return held.count() == 1; }));
  CHECK(c->in_flight() == calls);
  c->stop();
  REQUIRE(got.size() == calls);
  for (int i = 0; i < calls; ++i) {
    CHECK(got.calls(i) == 1);
    CHECK(got.at(i).transport_error == "cancelled");
  }
  CHECK(held.count() == 1);  // the waiting ones never reached the server
}

TEST_CASE("a call's timeout counts the time it waited for a connection") {
  held_calls h;
  auto& held = h.held;
  client c(held_calls::per_host(1));
  replies got;
  c.perform(h.hold(), got.slot(0));
  REQUIRE(wait_until([&] { return held.count() == 1; }));
  http_call waits = h.hold();
  waits.timeout = 300ms;
  c.perform(waits, got.slot(1));
  // It fails while the first call still holds the only connection, never reaching the server.
  REQUIRE(wait_until([&] { return got.size() == 1; }));
  CHECK(got.at(1).timed_out);
  CHECK(got.at(1).status == 0);
  CHECK(held.count() == 1);
  held.responder_at(0)(response{});
  REQUIRE(wait_until([&] { return got.size() == 2; }));
  CHECK(got.at(0).status == 200);
}

TEST_CASE("a callback that throws does not stop later calls") {
  serving s;
  s.routes.get("/x", [](request, responder respond) { respond(response{}); });
  s.start(roomy_options());
  client c;
  c.perform(get(s, "/x"), [](http_reply) { throw std::runtime_error("boom"); });
  replies got;
  c.perform(get(s, "/x"), got.slot(1));
  REQUIRE(wait_until([&] { return got.size() == 1; }));
  CHECK(got.at(1).status == 200);
}
