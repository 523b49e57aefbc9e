// Private to adapters/http: the Beast/Asio machinery behind server.hpp. Nothing outside this
// folder includes it, so Boost stays out of every other layer.
//
// Ownership: `server` owns one `server_core`, which owns the io_context, the listener and the
// registry of open sessions. A session lives while it is registered (open) or while one of its
// handlers is queued; responders hold it weakly and post through the core's `reply_gate`, which
// is shut before the io_context goes, so a late responder never touches a dead io_context.
#pragma once

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "adapters/http/request.hpp"
#include "adapters/http/server.hpp"

namespace aibud::http::detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

class session;
class listener;

// Closed (open = false) once the io_context is about to be destroyed.
struct reply_gate {
  std::mutex mutex;
  bool open = true;  // GUARDED_BY(mutex)
};

class server_core {
 public:
  server_core(server_options options, handler on_request);
  ~server_core();

  status start();
  void request_stop();
  void wait();

  // A fresh connection: registered as a session, as an overload rejection, or closed.
  void admit(tcp::socket socket);
  // Called by a session once it has closed its socket.
  void remove(const session* closed);

  // Constant after construction.
  const server_options options;
  const handler on_request;
  const std::shared_ptr<reply_gate> gate = std::make_shared<reply_gate>();

  net::io_context ioc;  // declared before everything that holds its executor
  std::atomic<bool> stopping{false};
  std::atomic<std::uint16_t> bound_port{0};

  std::size_t connections() const;

 private:
  void on_stop();
  void drain_sessions();

  std::shared_ptr<listener> listener_;
  std::optional<net::signal_set> signals_;
  net::steady_timer grace_timer_{ioc};

  mutable std::mutex sessions_mutex_;
  std::unordered_map<const session*, std::shared_ptr<session>> sessions_;  // GUARDED_BY
  std::size_t rejecting_ = 0;                                              // GUARDED_BY
  bool draining_ = false;  // GUARDED_BY(sessions_mutex_); the listener is closed

  std::mutex threads_mutex_;
  std::vector<std::thread> threads_;  // GUARDED_BY(threads_mutex_)
};

class listener : public std::enable_shared_from_this<listener> {
 public:
  explicit listener(server_core& core);
  // Binds and listens synchronously, before any thread runs. Fails with unavailable.
  status open(const std::string& host, std::uint16_t port);
  std::uint16_t port() const;
  void run();
  // Stops accepting, then calls `then` (on the listener's strand); safe from any thread.
  // Connections the kernel had already completed (the listen backlog, an accept in flight)
  // are admitted first rather than reset by closing the acceptor.
  void close(std::function<void()> then);

 private:
  void do_accept();
  void on_accept(beast::error_code ec, tcp::socket socket);
  void finish_close();

  server_core& core_;
  net::strand<net::io_context::executor_type> strand_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_timer_;
  bool accepting_ = false;  // an async_accept is outstanding
  bool closing_ = false;
  std::function<void()> then_;  // run once closed
};

// One connection. Every member is touched only on the session's strand.
class session : public std::enable_shared_from_this<session> {
 public:
  // `rejecting`: answer the first request 503 overloaded, then close.
  session(tcp::socket&& socket, server_core& core, bool rejecting);
  void run();
  // Graceful: finish what is in flight, read nothing new. Safe from any thread.
  void shutdown();
  bool rejecting() const { return rejecting_; }

 private:
  // A request handed to the handler, waiting for (or holding) its reply.
  struct slot {
    std::uint64_t id = 0;
    unsigned version = 11;
    bool keep_alive = true;
    bool head = false;
    bool ready = false;
    bhttp::response<bhttp::string_body> res;
  };
  enum class phase { idle, header, body };

  void on_shutdown();
  void do_read();
  void on_read_header(beast::error_code ec);
  void do_continue();
  void on_continue(beast::error_code ec);
  void do_read_body();
  void on_read_body(beast::error_code ec);
  void on_read_error(beast::error_code ec);
  void accept_request();
  responder make_responder(std::uint64_t id);
  void on_reply(std::uint64_t id, response res);
  void reply_error(int status, std::string_view code, std::string_view message,
                   std::vector<std::pair<std::string, std::string>> headers = {});
  void do_write();
  void on_write(beast::error_code ec);
  void do_linger();
  void on_linger(beast::error_code ec, std::size_t bytes);
  // Bytes the peer sent that sit in the kernel, not yet read into buffer_.
  std::size_t unread();
  void arm_read_timer(std::chrono::milliseconds timeout);
  void arm_read_timer();
  void on_read_timeout(beast::error_code ec);
  void on_write_timeout(beast::error_code ec);
  void do_close();

  // Constant after construction.
  server_core& core_;
  const bool rejecting_;
  const net::any_io_executor executor_;  // the strand
  std::string remote_;

  tcp::socket socket_;
  net::steady_timer read_timer_;
  net::steady_timer write_timer_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::deque<slot> queue_;  // in request order; the front is written first
  std::uint64_t next_id_ = 0;
  phase phase_ = phase::idle;  // what the outstanding read waits for
  bool writing_ = false;
  bool closing_ = false;    // read no further request; close once the queue is written
  bool linger_ = false;     // the peer may still be sending a body we refused
  bool lingering_ = false;  // send side shut, draining what the peer still sends
  bool closed_ = false;
  std::size_t lingered_ = 0;
  std::array<char, 4096> discard_{};
};

}  // namespace aibud::http::detail
