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
  net::post(strand_, [self = shared_from_this(), then = std::move(then)] {
    beast::error_code ignored;
    self->retry_timer_.cancel();
    self->acceptor_.close(ignored);
    then();
  });
}

void listener::do_accept() {
  if (!acceptor_.is_open()) return;
  // Each connection gets its own strand.
  acceptor_.async_accept(net::make_strand(core_.ioc),
                         [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
                           self->on_accept(ec, std::move(socket));
                         });
}

void listener::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    retry_timer_.expires_after(accept_retry);
    retry_timer_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
      if (!wait_ec) self->do_accept();
    });
    return;
  }
  core_.admit(std::move(socket));
  do_accept();
}

}  // namespace aibud::http::detail
