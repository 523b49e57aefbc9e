#include "tests/support/http_client.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace aibud::testing {
namespace {

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lowered(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), lower);
  return text;
}

std::string trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return std::string(text);
}

int connect_to(const std::string& host, std::uint16_t port, std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
  if (rc != 0) {
    error = std::string("resolve: ") + gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
    error = std::string("connect: ") + std::strerror(errno);
    ::close(fd);
    fd = -1;
  }
  freeaddrinfo(found);
  if (fd >= 0) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    error.clear();
  }
  return fd;
}

http_response one_shot(const std::string& method, const std::string& host, std::uint16_t port,
                       const std::string& target, const std::string& body, http_headers headers) {
  http_connection connection(host, port);
  if (!connection.connected()) {
    http_response failed;
    failed.error = connection.error();
    return failed;
  }
  headers.emplace_back("Connection", "close");
  return connection.request(method, target, body, headers);
}

}  // namespace

bool http_header_less::operator()(const std::string& a, const std::string& b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                      [](char x, char y) { return lower(x) < lower(y); });
}

std::string http_response::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

http_response get(const std::string& host, std::uint16_t port, const std::string& target,
                  const http_headers& headers) {
  return one_shot("GET", host, port, target, "", headers);
}

http_response post(const std::string& host, std::uint16_t port, const std::string& target,
                   const std::string& body, const http_headers& headers) {
  return one_shot("POST", host, port, target, body, headers);
}

http_connection::http_connection(const std::string& host, std::uint16_t port,
                                 std::chrono::milliseconds timeout)
    : host_(host + ":" + std::to_string(port)), timeout_(timeout) {
  fd_ = connect_to(host, port, error_);
}

http_connection::~http_connection() {
  close();
}

void http_connection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::string http_connection::format(const std::string& method, const std::string& target,
                                    const std::string& body, const http_headers& headers) const {
  std::string out = method + " " + target + " HTTP/1.1\r\nHost: " + host_ + "\r\n";
  bool has_length = false;
  for (const auto& [name, value] : headers) {
    out += name + ": " + value + "\r\n";
    if (lowered(name) == "content-length") has_length = true;
  }
  if (!has_length && (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH")) {
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  out += "\r\n";
  out += body;
  return out;
}

http_response http_connection::request(const std::string& method, const std::string& target,
                                       const std::string& body, const http_headers& headers) {
  if (!send_raw(format(method, target, body, headers))) {
    // The server may have answered (413) and closed before taking the whole body.
    if (!buffer_.empty() || fill(timeout_)) return read_response(method == "HEAD");
    http_response failed;
    failed.error = error_;
    return failed;
  }
  return read_response(method == "HEAD");
}

bool http_connection::send_raw(std::string_view bytes) {
  if (fd_ < 0) return false;
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error_ = std::string("send: ") + std::strerror(errno);
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool http_connection::fill(std::chrono::milliseconds timeout) {
  if (fd_ < 0 || eof_) return false;
  pollfd p{fd_, POLLIN, 0};
  int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
  if (ready == 0) {
    error_ = "timeout";
    return false;
  }
  if (ready < 0) {
    error_ = std::string("poll: ") + std::strerror(errno);
    return false;
  }
  char chunk[16384];
  ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
  if (n <= 0) {
    eof_ = true;
    error_ = n == 0 ? "connection closed" : std::string("recv: ") + std::strerror(errno);
    return false;
  }
  buffer_.append(chunk, static_cast<std::size_t>(n));
  return true;
}

http_response http_connection::read_response(bool head) {
  http_response res;
  for (;;) {
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill(timeout_)) {
        res.error = error_;
        return res;
      }
    }
    std::string_view head_text(buffer_.data(), end);
    auto line_end = head_text.find("\r\n");
    std::string_view status_line = head_text.substr(0, line_end);
    auto space = status_line.find(' ');
    res.status = space == std::string_view::npos
                     ? 0
                     : std::atoi(std::string(status_line.substr(space + 1, 3)).c_str());
    res.headers.clear();
    std::string_view rest =
        line_end == std::string_view::npos ? std::string_view{} : head_text.substr(line_end + 2);
    while (!rest.empty()) {
      auto eol = rest.find("\r\n");
      std::string_view line = rest.substr(0, eol);
      auto colon = line.find(':');
      if (colon != std::string_view::npos) {
        res.headers[std::string(line.substr(0, colon))] = trim(line.substr(colon + 1));
      }
      rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 2);
    }
    buffer_.erase(0, end + 4);
    if (res.status >= 100 && res.status < 200) continue;
    break;
  }
  if (head || res.status == 204 || res.status == 304) return res;
  auto length = res.header("Content-Length");
  if (!length.empty()) {
    std::size_t want = std::stoul(length);
    while (buffer_.size() < want) {
      if (!fill(timeout_)) {
        res.error = "short body: " + error_;
        return res;
      }
    }
    res.body = buffer_.substr(0, want);
    buffer_.erase(0, want);
    return res;
  }
  // No length: the body runs to the end of the connection.
  while (fill(timeout_)) {
  }
  res.body = std::move(buffer_);
  buffer_.clear();
  return res;
}

int http_connection::read_interim() {
  std::size_t end;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill(timeout_)) return 0;
  }
  auto space = buffer_.find(' ');
  if (space == std::string::npos || space > end) return 0;
  int status = std::atoi(buffer_.substr(space + 1, 3).c_str());
  if (status >= 100 && status < 200) buffer_.erase(0, end + 4);
  return status;
}

bool http_connection::wait_closed(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!eof_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    if (!fill(left) && !eof_) return false;
  }
  return true;
}

}  // namespace aibud::testing
