#include "adapters/http/server_internal.hpp"

namespace aibud::http::detail {
namespace {

// After an accept error such as EMFILE, wait a little instead of spinning on it.
constexpr std::chrono::milliseconds accept_retry{100};

}  // namespace

listener::listener(server_core& core)
    : core_(core), strand_(net::make_strand(core.ioc)), acceptor_(strand_), retry_timer_(strand_) {}

status listener::open(const std::string& host, std::uint16_t port) {
  beast::error_code ec;
  auto address = net::ip::make_address(host, ec);
  if (ec) return make_error(errc::invalid_argument, "bad listen address '" + host + "'");
  tcp::endpoint endpoint(address, port);
  auto fail = [&](const char* what) {
    return make_error(errc::unavailable, std::string(what) + " " + host + ":" +
                                             std::to_string(port) + ": " + ec.message());
  };
  acceptor_.open(endpoint.protocol(), ec);
  if (ec) return fail("cannot open");
  acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (ec) return fail("cannot set SO_REUSEADDR on");
  acceptor_.bind(endpoint, ec);
  if (ec) return fail("cannot bind");
  acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return fail("cannot listen on");
  return ok_status();
}

std::uint16_t listener::port() const {
  beast::error_code ec;
  auto endpoint = acceptor_.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

void listener::run() {
  net::dispatch(strand_, [self = shared_from_this()] { self->do_accept(); });
}

void listener::close(std::function<void()> then) {
  net::post(strand_, [self = shared_from_this(), then = std::move(then)]() mutable {
    if (self->closing_) return then();
    self->closing_ = true;
    self->then_ = std::move(then);
    beast::error_code ignored;
    self->retry_timer_.cancel();
    // An outstanding accept may already hold a connection: let it complete (with that
    // connection or aborted) before the backlog is drained and the acceptor closed.
    if (self->accepting_) return (void)self->acceptor_.cancel(ignored);
    self->finish_close();
  });
}

void listener::finish_close() {
  // Closing the acceptor resets every connection still in the backlog; admit them instead,
  // so each is answered (or closed with a FIN) by a session like any other.
  beast::error_code ec;
  acceptor_.non_blocking(true, ec);
  while (!ec) {
    tcp::socket socket(net::make_strand(core_.ioc));
    acceptor_.accept(socket, ec);
    if (!ec) core_.admit(std::move(socket));
  }
  beast::error_code ignored;
  acceptor_.close(ignored);
  auto then = std::move(then_);
  then_ = nullptr;
  if (then) then();
}

void listener::do_accept() {
  if (closing_ || !acceptor_.is_open()) return;
  accepting_ = true;
  // Each connection gets its own strand.
  acceptor_.async_accept(net::make_strand(core_.ioc),
                         [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
                           self->on_accept(ec, std::move(socket));
                         });
}

void listener::on_accept(beast::error_code ec, tcp::socket socket) {
  accepting_ = false;
  if (!ec) core_.admit(std::move(socket));
  if (closing_) return finish_close();
  if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    retry_timer_.expires_after(accept_retry);
    retry_timer_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
      if (!wait_ec) self->do_accept();
    });
    return;
  }
  do_accept();
}

}  // namespace aibud::http::detail
