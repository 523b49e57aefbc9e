// A connection in the shape of Beast's advanced_server: do_x/on_x pairs on a strand, a fresh
// parser with the configured limits per message, pipelined replies queued in request order.
// Timeouts are our own timers rather than tcp_stream's: a read-ahead of the next pipelined
// request must not time out while the client is waiting for one of our replies.
#include <algorithm>
#include <utility>

#include "adapters/http/server_internal.hpp"

namespace aibud::http::detail {
namespace {

// As advanced_server: at most this many requests read but not yet answered.
constexpr std::size_t pipeline_limit = 8;
// A refused body is read and dropped for at most this long (or this much) before closing, so
// the peer sees our error reply rather than a reset.
constexpr std::chrono::milliseconds linger_time{2000};
constexpr std::size_t linger_bytes = 1024 * 1024;
// On shutdown, a connection that has not sent its first request yet (one just accepted, or
// taken from the listen backlog) is given this long to send it: it was opened to send one.
constexpr std::chrono::milliseconds first_request_window{1000};

std::string peer_of(const tcp::socket& socket) {
  beast::error_code ec;
  auto endpoint = socket.remote_endpoint(ec);
  if (ec) return "unknown";
  return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

request to_request(bhttp::request<bhttp::string_body>&& msg, const std::string& remote) {
  request req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  auto question = req.target.find('?');
  req.path = req.target.substr(0, question);
  if (question != std::string::npos) req.query = parse_query(req.target.substr(question + 1));
  for (const auto& field : msg) {
    std::string name(field.name_string());
    auto [it, inserted] = req.headers.emplace(name, std::string(field.value()));
    if (!inserted) it->second.append(", ").append(field.value().data(), field.value().size());
  }
  req.body = std::move(msg.body());
  req.remote = remote;
  return req;
}

}  // namespace

session::session(tcp::socket&& socket, server_core& core, bool rejecting)
    : core_(core),
      rejecting_(rejecting),
      executor_(socket.get_executor()),
      remote_(peer_of(socket)),
      socket_(std::move(socket)),
      read_timer_(executor_),
      write_timer_(executor_) {}

void session::run() {
  net::dispatch(executor_, [self = shared_from_this()] { self->do_read(); });
}

void session::shutdown() {
  net::post(executor_, [self = shared_from_this()] { self->on_shutdown(); });
}

void session::on_shutdown() {
  if (closed_) return;
  closing_ = true;
  // Request bytes may still sit in the kernel, not yet in buffer_: the client has sent its
  // request, and closing with them unread would reset the connection instead of answering.
  bool mid_request =
      phase_ == phase::body || (phase_ == phase::header && (buffer_.size() > 0 || unread() > 0));
  if (mid_request) return;  // its own timeouts and the shutdown grace bound it
  if (phase_ == phase::header && next_id_ == 0) {
    return arm_read_timer(std::min(first_request_window, core_.options.header_timeout));
  }
  if (queue_.empty() && !writing_) return do_close();
  // Only a read-ahead of a request that has not begun is outstanding: drop it.
  if (phase_ == phase::header) {
    beast::error_code ec;
    socket_.cancel(ec);
  }
}

void session::do_read() {
  if (closing_ || closed_ || phase_ != phase::idle || queue_.size() >= pipeline_limit) return;
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(core_.options.header_limit));
  parser_->body_limit(core_.options.body_limit);
  phase_ = phase::header;
  if (queue_.empty()) arm_read_timer();
  bhttp::async_read_header(
      socket_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read_header(ec); });
}

void session::on_read_header(beast::error_code ec) {
  read_timer_.cancel();
  if (ec) return on_read_error(ec);
  if (rejecting_) {
    phase_ = phase::idle;
    return reply_error(503, "overloaded", "too many connections", {{"Retry-After", "1"}});
  }
  if (parser_->is_done()) {
    phase_ = phase::idle;
    return accept_request();
  }
  // curl waits a second for "100 Continue" before a large body; send it when nothing queued
  // could be overtaken by it.
  bool expects_continue = beast::iequals(parser_->get()[bhttp::field::expect], "100-continue") &&
                          parser_->get().version() >= 11;
  if (expects_continue && queue_.empty() && !writing_) return do_continue();
  do_read_body();
}

void session::do_continue() {
  static const std::string continue_line = "HTTP/1.1 100 Continue\r\n\r\n";
  writing_ = true;
  net::async_write(
      socket_, net::buffer(continue_line),
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_continue(ec); });
}

void session::on_continue(beast::error_code ec) {
  writing_ = false;
  if (ec) return do_close();
  do_read_body();
}

void session::do_read_body() {
  phase_ = phase::body;
  if (queue_.empty()) arm_read_timer();
  bhttp::async_read(
      socket_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read_body(ec); });
}

void session::on_read_body(beast::error_code ec) {
  read_timer_.cancel();
  phase_ = phase::idle;
  if (ec) return on_read_error(ec);
  accept_request();
}

void session::on_read_error(beast::error_code ec) {
  phase_ = phase::idle;
  if (closed_) return;
  if (ec == bhttp::error::body_limit) {
    return reply_error(413, "payload_too_large",
                       "body over " + std::to_string(core_.options.body_limit) + " bytes");
  }
  if (ec == bhttp::error::header_limit) {
    return reply_error(431, "header_too_large", "request header too large");
  }
  bool peer_gone = ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
                   ec == net::error::operation_aborted || ec == net::error::eof;
  if (!peer_gone && ec.category() == bhttp::make_error_code(bhttp::error::need_more).category()) {
    return reply_error(400, "bad_request", "malformed HTTP request: " + ec.message());
  }
  // The peer closed (or we timed it out): answer what is queued if we still can, then close.
  closing_ = true;
  if (queue_.empty() && !writing_) do_close();
}

void session::accept_request() {
  auto msg = parser_->release();
  slot& s = queue_.emplace_back();
  s.id = next_id_++;
  s.version = msg.version();
  s.keep_alive = msg.keep_alive();
  s.head = msg.method() == bhttp::verb::head;
  if (!s.keep_alive) closing_ = true;
  auto respond = make_responder(s.id);
  try {
    core_.on_request(to_request(std::move(msg), remote_), respond);
  } catch (const std::exception&) {
    respond(json_error(500, "internal", "handler failed"));
  }
  do_read();  // pipelining: read ahead while the handler works
}

responder session::make_responder(std::uint64_t id) {
  std::weak_ptr<session> weak = shared_from_this();
  auto gate = core_.gate;
  auto answered = std::make_shared<std::atomic<bool>>(false);
  return [weak, gate, answered, id](response res) {
    if (answered->exchange(true)) return;
    std::lock_guard<std::mutex> lock(gate->mutex);
    if (!gate->open) return;
    auto self = weak.lock();
    if (!self) return;
    // Whatever thread answers, the session is touched only on its strand.
    net::post(self->executor_,
              [self, id, res = std::move(res)]() mutable { self->on_reply(id, std::move(res)); });
  };
}

void session::on_reply(std::uint64_t id, response res) {
  if (closed_) return;
  auto it = std::find_if(queue_.begin(), queue_.end(), [id](const slot& s) { return s.id == id; });
  if (it == queue_.end() || it->ready) return;
  auto& out = it->res;
  out.version(it->version);
  out.result(static_cast<unsigned>(res.status));
  out.set(bhttp::field::server, "aibud");
  if (!res.content_type.empty()) out.set(bhttp::field::content_type, res.content_type);
  for (auto& [name, value] : res.headers) out.insert(name, value);
  out.body() = std::move(res.body);
  out.prepare_payload();
  if (it->head) out.body().clear();  // HEAD: the length of what GET would send, no body
  it->ready = true;
  do_write();
}

void session::reply_error(int status, std::string_view code, std::string_view message,
                          std::vector<std::pair<std::string, std::string>> headers) {
  closing_ = true;
  linger_ = true;
  slot& s = queue_.emplace_back();
  s.id = next_id_++;
  s.keep_alive = false;
  auto res = json_error(status, code, message);
  res.headers = std::move(headers);
  on_reply(s.id, std::move(res));
}

void session::do_write() {
  if (writing_ || closed_ || queue_.empty() || !queue_.front().ready) return;
  slot& s = queue_.front();
  bool last = closing_ && queue_.size() == 1 && phase_ == phase::idle;
  s.res.keep_alive(s.keep_alive && !last);
  writing_ = true;
  write_timer_.expires_after(core_.options.write_timeout);
  write_timer_.async_wait(
      [self = shared_from_this()](beast::error_code ec) { self->on_write_timeout(ec); });
  bhttp::async_write(
      socket_, s.res,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
}

void session::on_write(beast::error_code ec) {
  writing_ = false;
  write_timer_.cancel();
  if (ec) return do_close();
  bool keep_alive = queue_.front().res.keep_alive();
  queue_.pop_front();
  if (!keep_alive) return linger_ ? do_linger() : do_close();
  if (closing_ && queue_.empty() && phase_ == phase::idle) return do_close();
  if (queue_.empty() && phase_ != phase::idle) arm_read_timer();
  do_read();  // the pipeline may have been full
  do_write();
}

void session::do_linger() {
  lingering_ = true;
  beast::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
  read_timer_.expires_after(
      std::min<std::chrono::milliseconds>(linger_time, core_.options.header_timeout));
  read_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec != net::error::operation_aborted) self->do_close();
  });
  socket_.async_read_some(
      net::buffer(discard_),
      [self = shared_from_this()](beast::error_code ec, std::size_t n) { self->on_linger(ec, n); });
}

void session::on_linger(beast::error_code ec, std::size_t bytes) {
  lingered_ += bytes;
  if (ec || closed_ || lingered_ > linger_bytes) return do_close();
  socket_.async_read_some(
      net::buffer(discard_),
      [self = shared_from_this()](beast::error_code ec, std::size_t n) { self->on_linger(ec, n); });
}

std::size_t session::unread() {
  beast::error_code ec;
  auto bytes = socket_.available(ec);
  return ec ? 0 : bytes;
}

void session::arm_read_timer(std::chrono::milliseconds timeout) {
  read_timer_.expires_after(timeout);
  read_timer_.async_wait(
      [self = shared_from_this()](beast::error_code ec) { self->on_read_timeout(ec); });
}

void session::arm_read_timer() {
  arm_read_timer(phase_ == phase::body ? core_.options.body_timeout : core_.options.header_timeout);
}

void session::on_read_timeout(beast::error_code ec) {
  // A cancelled wait, or one that completed just before it was re-armed or cancelled.
  if (ec == net::error::operation_aborted || closed_) return;
  if (read_timer_.expiry() > net::steady_timer::clock_type::now()) return;
  if (phase_ == phase::idle || !queue_.empty()) return;
  beast::error_code ignored;
  socket_.close(ignored);  // the outstanding read ends with operation_aborted
}

void session::on_write_timeout(beast::error_code ec) {
  if (ec == net::error::operation_aborted || closed_ || !writing_) return;
  if (write_timer_.expiry() > net::steady_timer::clock_type::now()) return;
  beast::error_code ignored;
  socket_.close(ignored);
}

void session::do_close() {
  if (closed_) return;
  // Closing a socket with unread bytes resets it, and the reset can overtake the reply we just
  // wrote: shut the send side and drain instead, so the peer reads everything and then EOF.
  // (With a read outstanding, that read takes them.)
  if (!lingering_ && phase_ == phase::idle && socket_.is_open() && unread() > 0) {
    return do_linger();
  }
  closed_ = true;
  read_timer_.cancel();
  write_timer_.cancel();
  beast::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
  socket_.close(ignored);
  core_.remove(this);
}

}  // namespace aibud::http::detail
