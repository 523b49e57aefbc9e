#include "adapters/http/server.hpp"

#include <sys/resource.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "adapters/http/server_internal.hpp"
#include "base/thread_name.hpp"

namespace aibud::http {
namespace detail {
namespace {

// Descriptors kept for everything that is not a connection: the database, logs, the outbound
// HTTP client, the listening socket.
constexpr std::size_t reserved_fds = 64;

// Connections past max_connections are still read and answered 503 `overloaded`, up to this
// many at a time; beyond that they are closed unanswered.
std::size_t rejection_cap(std::size_t max_connections) {
  return std::max<std::size_t>(16, max_connections / 16);
}

}  // namespace

server_core::server_core(server_options opts, handler handle)
    : options(std::move(opts)), on_request(std::move(handle)) {}

server_core::~server_core() {
  request_stop();
  wait();
  {
    std::lock_guard<std::mutex> lock(gate->mutex);
    gate->open = false;
  }
  std::unordered_map<const session*, std::shared_ptr<session>> sessions;
  {
    std::lock_guard<std::mutex> lock(sessions_mutex_);
    sessions.swap(sessions_);
  }
  sessions.clear();  // while the io_context that their sockets belong to still exists
  listener_.reset();
  signals_.reset();
}

status server_core::start() {
  // Best effort: with a lower limit the server still runs, and accept errors are retried.
  (void)raise_fd_limit(options.max_connections + reserved_fds);
  listener_ = std::make_shared<listener>(*this);
  auto opened = listener_->open(options.host, options.port);
  if (!opened) return opened;
  bound_port = listener_->port();
  if (options.handle_signals) {
    signals_.emplace(ioc, SIGINT, SIGTERM);
    signals_->async_wait([this](beast::error_code ec, int) {
      if (!ec) request_stop();
    });
  }
  listener_->run();
  std::lock_guard<std::mutex> lock(threads_mutex_);
  for (unsigned i = 0; i < std::max(1u, options.threads); ++i) {
    threads_.emplace_back([this] {
      name_this_thread("aibud-http");
      for (;;) {
        try {
          ioc.run();
          return;
        } catch (const std::exception&) {
          // A handler let an exception escape; the connection it served is lost, not the server.
        }
      }
    });
  }
  return ok_status();
}

void server_core::request_stop() {
  if (stopping.exchange(true)) return;
  net::post(ioc, [this] { on_stop(); });
}

void server_core::on_stop() {
  // Once the port refuses connections, the open ones are wound down.
  if (listener_) return listener_->close([this] { drain_sessions(); });
  drain_sessions();
}

void server_core::drain_sessions() {
  std::vector<std::shared_ptr<session>> open;
  {
    std::lock_guard<std::mutex> lock(sessions_mutex_);
    draining_ = true;
    for (auto& [key, s] : sessions_) open.push_back(s);
  }
  if (open.empty()) return ioc.stop();
  for (auto& s : open) s->shutdown();
  grace_timer_.expires_after(options.shutdown_grace);
  grace_timer_.async_wait([this](beast::error_code ec) {
    if (!ec) ioc.stop();
  });
}

void server_core::wait() {
  std::lock_guard<std::mutex> lock(threads_mutex_);
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void server_core::admit(tcp::socket socket) {
  // Also while stopping: the listener hands over the connections of its backlog, which
  // drain_sessions() then winds down with the rest.
  std::shared_ptr<session> s;
  {
    std::lock_guard<std::mutex> lock(sessions_mutex_);
    bool reject = sessions_.size() - rejecting_ >= options.max_connections;
    if (reject && rejecting_ >= rejection_cap(options.max_connections)) return;
    s = std::make_shared<session>(std::move(socket), *this, reject);
    sessions_.emplace(s.get(), s);
    if (reject) ++rejecting_;
  }
  s->run();
}

void server_core::remove(const session* closed) {
  std::shared_ptr<session> released;  // destroyed after the lock is let go
  bool drained = false;
  {
    std::lock_guard<std::mutex> lock(sessions_mutex_);
    auto it = sessions_.find(closed);
    if (it == sessions_.end()) return;
    released = std::move(it->second);
    sessions_.erase(it);
    if (released->rejecting()) --rejecting_;
    // Not before the listener has handed over its backlog.
    drained = draining_ && sessions_.empty();
  }
  if (drained) ioc.stop();
}

std::size_t server_core::connections() const {
  std::lock_guard<std::mutex> lock(sessions_mutex_);
  return sessions_.size();
}

}  // namespace detail

server::server(server_options options, handler on_request)
    : core_(std::make_unique<detail::server_core>(std::move(options), std::move(on_request))) {}

server::~server() = default;

status server::start() {
  return core_->start();
}
std::uint16_t server::port() const {
  return core_->bound_port;
}
void server::stop() {
  core_->request_stop();
  core_->wait();
}
void server::request_stop() {
  core_->request_stop();
}
void server::wait() {
  core_->wait();
}
std::size_t server::connections() const {
  return core_->connections();
}

result<std::size_t> raise_fd_limit(std::size_t wanted) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return make_error(errc::internal, std::string("getrlimit: ") + std::strerror(errno));
  }
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < wanted) {
    rlim_t target = static_cast<rlim_t>(wanted);
    if (limit.rlim_max != RLIM_INFINITY && target > limit.rlim_max) target = limit.rlim_max;
    rlimit raised = limit;
    raised.rlim_cur = target;
    if (setrlimit(RLIMIT_NOFILE, &raised) != 0) {
      return make_error(errc::unavailable, std::string("setrlimit: ") + std::strerror(errno));
    }
    limit = raised;
  }
  if (limit.rlim_cur == RLIM_INFINITY) return wanted;
  return static_cast<std::size_t>(limit.rlim_cur);
}

}  // namespace aibud::http
