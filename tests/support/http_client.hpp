// A small blocking HTTP/1.1 client over POSIX sockets for tests: one-shot get/post, and a
// kept-alive connection that can also send raw bytes (pipelining, half-sent requests).
// Thread-safe as far as separate objects go: many threads may each post concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aibud::testing {

struct http_header_less {
  bool operator()(const std::string& a, const std::string& b) const;
};

struct http_response {
  int status = 0;     // 0 when no response arrived; see `error`
  std::string error;  // transport failure ("" on success)
  std::map<std::string, std::string, http_header_less> headers;  // names without regard to case
  std::string body;

  // The header's value, or "" when absent.
  std::string header(const std::string& name) const;
};

using http_headers = std::vector<std::pair<std::string, std::string>>;

// One request on a fresh connection (sent with Connection: close).
http_response get(const std::string& host, std::uint16_t port, const std::string& target,
                  const http_headers& headers = {});
http_response post(const std::string& host, std::uint16_t port, const std::string& target,
                   const std::string& body, const http_headers& headers = {});

class http_connection {
 public:
  http_connection(const std::string& host, std::uint16_t port,
                  std::chrono::milliseconds timeout = std::chrono::milliseconds(30000));
  ~http_connection();
  http_connection(const http_connection&) = delete;
  http_connection& operator=(const http_connection&) = delete;

  bool connected() const { return fd_ >= 0; }
  const std::string& error() const { return error_; }

  // Sends one request (Content-Length set for a body; Host added) and reads its response.
  http_response request(const std::string& method, const std::string& target,
                        const std::string& body = "", const http_headers& headers = {});
  http_response get(const std::string& target, const http_headers& headers = {}) {
    return request("GET", target, "", headers);
  }
  http_response post(const std::string& target, const std::string& body,
                     const http_headers& headers = {}) {
    return request("POST", target, body, headers);
  }

  // The bytes of a request as request() would send them.
  std::string format(const std::string& method, const std::string& target,
                     const std::string& body = "", const http_headers& headers = {}) const;
  // Writes bytes as they are; false when the connection is gone.
  bool send_raw(std::string_view bytes);
  // Reads the next response (skipping 1xx); `head` when it answers a HEAD request.
  http_response read_response(bool head = false);
  // Waits for the next response head: a 1xx one is consumed and its status returned; a final
  // one is left for read_response() and its status returned; 0 when none arrives.
  int read_interim();
  // True when the server closes the connection (EOF or reset) within `timeout`; bytes that
  // arrive meanwhile are kept for read_response().
  bool wait_closed(std::chrono::milliseconds timeout);
  void close();

 private:
  // Appends what arrives within the timeout; false on EOF, error or timeout.
  bool fill(std::chrono::milliseconds timeout);

  std::string host_;
  std::chrono::milliseconds timeout_;
  int fd_ = -1;
  bool eof_ = false;
  std::string error_;
  std::string buffer_;
};

}  // namespace aibud::testing
