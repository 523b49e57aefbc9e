// bench_intake_loadgen: a closed-loop webhook load generator for the intake benchmark
// (ARCHITECTURE §9). N kept-alive connections on one epoll thread each send the sample
// messages.upsert with a fresh data.key.id, wait for the answer and send the next, so the
// server sees exactly N requests in flight. Every answer is checked (200 "accepted"); the
// ack latency of each is measured from the first byte sent to the last byte received.
//
// The webhook secret comes from the environment (AIBUD_BENCH_SECRET), never argv. Before and
// after the measured window it reads /metrics, so the storage writer's writes, transactions
// and checkpoints during the run are reported beside the rate.
//
//   bench_intake_loadgen --port P --body FILE [--label L] [--connections 64] [--duration 10]
//                        [--warmup 1] [--host 127.0.0.1] [--instance main]
//
// A counted run (the end-to-end benchmark) sends exactly --total requests instead of running
// for --duration: request k comes from contact k mod --contacts (each its own phone JID, so
// every contact gets its messages interleaved with the others'), and --fresh stamps each
// message with the current time (else the sample's old timestamp makes the runtime skip it).
// A request answered 503 (overloaded) is sent again, as Evolution retries it, so that every
// one of the N messages reaches the server.
//
//   bench_intake_loadgen ... --total N [--contacts C] [--fresh] [--first-contact F]
//
// Prints one human line and one JSON line ({"bench":"intake_http",...}). Exit 0 when the load
// ran, even if answers failed (they are counted); 1 when it could not run.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string_view>
#include <thread>
#include <utility>

#include <nlohmann/json.hpp>

#include "bench/intake/bench_util.hpp"

namespace aibud::bench {
namespace {

constexpr std::size_t counter_digits = 12;

int connect_to(const std::string& host, uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// One GET on its own connection (Connection: close), blocking; "" when it failed.
std::string fetch(const std::string& host, uint16_t port, const std::string& target,
                  int* status_out) {
  *status_out = 0;
  int fd = connect_to(host, port);
  if (fd < 0) return "";
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string req =
      "GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    ::close(fd);
    return "";
  }
  std::string in;
  char buf[16384];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    in.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  auto head_end = in.find("\r\n\r\n");
  if (in.size() < 12 || head_end == std::string::npos) return "";
  *status_out = std::atoi(in.c_str() + 9);
  return in.substr(head_end + 4);
}

bool wait_ready(const std::string& host, uint16_t port, std::chrono::seconds limit) {
  auto until = steady::now() + limit;
  while (steady::now() < until) {
    int status = 0;
    fetch(host, port, "/healthz", &status);
    if (status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling a child's start-up
  }
  return false;
}

// Prometheus text → {"name{labels}": value}.
std::map<std::string, double> read_metrics(const std::string& host, uint16_t port) {
  std::map<std::string, double> out;
  int status = 0;
  std::istringstream text(fetch(host, port, "/metrics", &status));
  std::string line;
  while (std::getline(text, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto space = line.rfind(' ');
    if (space == std::string::npos) continue;
    out[line.substr(0, space)] = std::strtod(line.c_str() + space + 1, nullptr);
  }
  return out;
}

double metric(const std::map<std::string, double>& m, const std::string& name) {
  auto it = m.find(name);
  return it == m.end() ? 0 : it->second;
}

// The request bytes with a run-unique message id whose last digits are a counter that
// next() rewrites in place (fixed width, so Content-Length never changes); likewise the
// sender's number (one per contact) and the message's timestamp when asked for.
class request_template {
 public:
  struct shape {
    uint64_t contacts = 0;       // 0: every message from the sample's sender
    uint64_t first_contact = 0;  // contact numbers start here (separate runs, separate people)
    bool fresh = false;          // stamp each message with the current time
  };

  request_template(const std::string& sample, const std::string& host, uint16_t port,
                   const std::string& instance, const std::string& secret, shape how)
      : how_(how) {
    auto body = nlohmann::json::parse(sample);
    char nonce[16];
    std::snprintf(nonce, sizeof nonce, "%08X",
                  static_cast<unsigned>(steady::now().time_since_epoch().count() ^ ::getpid()));
    const std::string placeholder(counter_digits, '#');
    body["data"]["key"]["id"] = std::string("BENCH") + nonce + placeholder;
    if (how_.contacts > 0) {
      // Phone JIDs only: one JID per contact keeps one contact per sender.
      body["data"]["key"]["remoteJid"] = "55" + std::string(jid_digits, '%') + "@s.whatsapp.net";
      body["data"]["key"].erase("remoteJidAlt");
    }
    if (how_.fresh) body["data"]["messageTimestamp"] = timestamp_sentinel;
    std::string text = body.dump();
    bytes_ =
        "POST /webhook/evolution/" + instance + " HTTP/1.1\r\nHost: " + host + ":" +
        std::to_string(port) + "\r\nAuthorization: Bearer " + secret +
        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(text.size()) +
        "\r\n\r\n" + text;
    counter_at_ = bytes_.find(placeholder);
    if (how_.contacts > 0) jid_at_ = bytes_.find(std::string(jid_digits, '%'));
    if (how_.fresh) timestamp_at_ = bytes_.find(std::to_string(timestamp_sentinel));
  }

  void next(std::string& out) {
    out = bytes_;
    uint64_t k = counter_++;
    char digits[counter_digits + 1];
    std::snprintf(digits, sizeof digits, "%0*llu", static_cast<int>(counter_digits),
                  static_cast<unsigned long long>(k + 1));
    out.replace(counter_at_, counter_digits, digits, counter_digits);
    if (how_.contacts > 0) {
      std::snprintf(digits, sizeof digits, "%0*llu", static_cast<int>(jid_digits),
                    static_cast<unsigned long long>(how_.first_contact + k % how_.contacts));
      out.replace(jid_at_, jid_digits, digits, jid_digits);
    }
    if (how_.fresh) {
      std::snprintf(digits, sizeof digits, "%010lld", static_cast<long long>(std::time(nullptr)));
      out.replace(timestamp_at_, 10, digits, 10);
    }
  }

 private:
  static constexpr std::size_t jid_digits = 11;
  static constexpr int64_t timestamp_sentinel = 9876543210;  // ten digits, as now's seconds

  shape how_;
  std::string bytes_;
  std::size_t counter_at_ = 0;
  std::size_t jid_at_ = 0;
  std::size_t timestamp_at_ = 0;
  uint64_t counter_ = 0;
};

struct connection {
  int fd = -1;
  std::string out;
  std::size_t sent = 0;
  bool want_write = false;
  std::string in;
  steady::time_point started;
  bool waiting = false;  // a request is in flight
  bool resend = false;   // counted runs: the last request was answered 503, send it again
};

struct tally {
  uint64_t accepted = 0;       // 200 {"status":"accepted",...}
  uint64_t other_answers = 0;  // any other complete answer (duplicate, 503, 4xx, ...)
  uint64_t failures = 0;       // transport failures (reset, EOF, bad framing)
  std::map<int, uint64_t> by_status;
  std::vector<uint32_t> latency_us;  // answered requests in the window
};

class load_run {
 public:
  // `total` > 0: send exactly that many requests (then the window is the whole run).
  load_run(std::string host, uint16_t port, request_template& tpl, std::size_t n, uint64_t total)
      : host_(std::move(host)), port_(port), tpl_(tpl), conns_(n), total_(total) {}

  // Runs `warmup`, then measures `window`, then waits (up to 10 s) for what is in flight.
  bool run(std::chrono::duration<double> warmup, std::chrono::duration<double> window) {
    ep_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) return false;
    auto t0 = steady::now();
    window_start_ = t0 + std::chrono::duration_cast<steady::duration>(warmup);
    window_end_ = window_start_ + std::chrono::duration_cast<steady::duration>(window);
    for (std::size_t i = 0; i < conns_.size(); ++i) {
      if (!open(i)) {
        std::cerr << "error: unavailable: cannot connect to " << host_ << ":" << port_ << "\n";
        return false;
      }
      start(i);
    }
    epoll_event events[256];
    auto give_up = window_end_ + std::chrono::seconds(10);
    for (;;) {
      auto now = steady::now();
      if (now >= give_up) break;
      if (now >= window_end_ && in_flight() == 0) break;
      if (total_ > 0 && issued_ >= total_ && in_flight() == 0) break;
      int n = ::epoll_wait(ep_, events, 256, 5);
      for (int k = 0; k < n; ++k) {
        std::size_t i = events[k].data.u32;
        if (events[k].events & (EPOLLERR | EPOLLHUP)) {
          fail(i);
          continue;
        }
        if (events[k].events & EPOLLOUT) flush(i);
        if (events[k].events & EPOLLIN) readable(i);
      }
    }
    for (auto& c : conns_)
      if (c.fd >= 0) ::close(c.fd);
    ::close(ep_);
    return true;
  }

  tally& result() { return tally_; }
  // A counted run: from its first request sent to its last answer.
  double elapsed_seconds() const { return seconds_between(window_start_, last_answer_); }

 private:
  std::size_t in_flight() const {
    std::size_t n = 0;
    for (const auto& c : conns_) n += c.waiting ? 1 : 0;
    return n;
  }

  bool open(std::size_t i) {
    connection& c = conns_[i];
    c = connection{};
    c.fd = connect_to(host_, port_);
    if (c.fd < 0) return false;
    ::fcntl(c.fd, F_SETFL, ::fcntl(c.fd, F_GETFL) | O_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = static_cast<uint32_t>(i);
    return ::epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev) == 0;
  }

  void watch_writes(std::size_t i, bool on) {
    connection& c = conns_[i];
    if (c.want_write == on) return;
    c.want_write = on;
    epoll_event ev{};
    ev.events = EPOLLIN | (on ? EPOLLOUT : 0u);
    ev.data.u32 = static_cast<uint32_t>(i);
    ::epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
  }

  void start(std::size_t i) {
    connection& c = conns_[i];
    if (!std::exchange(c.resend, false)) {
      if (total_ > 0 && issued_ >= total_) return;
      ++issued_;
      tpl_.next(c.out);
    }
    c.sent = 0;
    c.waiting = true;
    c.started = steady::now();
    flush(i);
  }

  void flush(std::size_t i) {
    connection& c = conns_[i];
    while (c.sent < c.out.size()) {
      ssize_t n = ::send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return watch_writes(i, true);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return fail(i);
      c.sent += static_cast<std::size_t>(n);
    }
    watch_writes(i, false);
  }

  void readable(std::size_t i) {
    connection& c = conns_[i];
    char buf[16384];
    for (;;) {
      ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n > 0) {
        c.in.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (n < 0 && errno == EINTR) continue;
      return fail(i);  // EOF or error with an answer still owed
    }
    try_answer(i);
  }

  void try_answer(std::size_t i) {
    connection& c = conns_[i];
    auto head_end = c.in.find("\r\n\r\n");
    if (head_end == std::string::npos) return;
    std::string head = c.in.substr(0, head_end);
    for (auto& ch : head) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    auto cl = head.find("\r\ncontent-length:");
    if (head.size() < 12 || cl == std::string::npos) return fail(i);
    std::size_t length = std::strtoull(head.c_str() + cl + 17, nullptr, 10);
    if (c.in.size() < head_end + 4 + length) return;
    int status = std::atoi(head.c_str() + 9);
    bool closing = head.find("\r\nconnection: close") != std::string::npos;
    auto now = steady::now();
    if (now >= window_start_ && now < window_end_) {
      std::string_view body(c.in.data() + head_end + 4, length);
      bool accepted =
          status == 200 && body.find("\"status\":\"accepted\"") != std::string_view::npos;
      if (accepted)
        ++tally_.accepted;
      else
        ++tally_.other_answers;
      ++tally_.by_status[status];
      tally_.latency_us.push_back(static_cast<uint32_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(now - c.started).count()));
    }
    c.in.erase(0, head_end + 4 + length);
    c.waiting = false;
    // A counted run must deliver every message, as Evolution does by retrying a 503 (the
    // writer's queue was full): the same request goes again (it is counted again, too).
    c.resend = total_ > 0 && status == 503;
    last_answer_ = now;
    if (closing) return reopen(i);
    if (now < window_end_) start(i);
  }

  void fail(std::size_t i) {
    auto now = steady::now();
    if (conns_[i].waiting && now >= window_start_ && now < window_end_) ++tally_.failures;
    reopen(i);
  }

  void reopen(std::size_t i) {
    connection& c = conns_[i];
    if (c.fd >= 0) {
      ::epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
      ::close(c.fd);
    }
    c.fd = -1;
    c.waiting = false;
    if (steady::now() < window_end_ && open(i)) start(i);
  }

  std::string host_;
  uint16_t port_;
  request_template& tpl_;
  std::vector<connection> conns_;
  int ep_ = -1;
  steady::time_point window_start_, window_end_, last_answer_;
  tally tally_;
  uint64_t total_ = 0;
  uint64_t issued_ = 0;
};

int run_main(int argc, char** argv) {
  options opt(argc, argv);
  std::string host = opt.get("host", "127.0.0.1");
  auto port = static_cast<uint16_t>(opt.number("port", 0));
  std::string body_path = opt.get("body");
  std::string label = opt.get("label", "intake");
  std::string instance = opt.get("instance", "main");
  auto connections = static_cast<std::size_t>(opt.number("connections", 64));
  double duration = opt.number("duration", 10);
  double warmup = opt.number("warmup", 1);
  auto total = static_cast<uint64_t>(opt.number("total", 0));
  request_template::shape how;
  how.contacts = static_cast<uint64_t>(opt.number("contacts", 0));
  how.first_contact = static_cast<uint64_t>(opt.number("first-contact", 0));
  how.fresh = opt.get("fresh") == "1";
  if (total > 0) {
    // A counted run measures all of it: no warm-up, and a window longer than any run.
    warmup = 0;
    duration = 3600;
  }
  const char* secret = std::getenv("AIBUD_BENCH_SECRET");
  if (port == 0 || body_path.empty() || !secret || connections == 0 || duration <= 0) {
    std::cerr << "error: usage: bench_intake_loadgen --port P --body FILE [--label L] "
                 "[--connections N] [--duration S] [--warmup S] (AIBUD_BENCH_SECRET set)\n";
    return 2;
  }
  std::ifstream file(body_path);
  std::stringstream sample;
  sample << file.rdbuf();
  if (!file) {
    std::cerr << "error: not_found: cannot read " << body_path << "\n";
    return 1;
  }
  if (!wait_ready(host, port, std::chrono::seconds(15))) {
    std::cerr << "error: unavailable: no answer from http://" << host << ":" << port
              << "/healthz\n";
    return 1;
  }

  request_template tpl(sample.str(), host, port, instance, secret, how);
  auto before = read_metrics(host, port);
  auto first_send_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  load_run load(host, port, tpl, connections, total);
  if (!load.run(std::chrono::duration<double>(warmup), std::chrono::duration<double>(duration)))
    return 1;
  auto after = read_metrics(host, port);

  tally& t = load.result();
  if (total > 0) duration = load.elapsed_seconds();
  double rps = duration > 0 ? static_cast<double>(t.accepted) / duration : 0;
  double p50 = percentile(t.latency_us, 0.50) / 1000.0;
  double p99 = percentile(t.latency_us, 0.99) / 1000.0;
  double max = t.latency_us.empty() ? 0 : t.latency_us.back() / 1000.0;
  auto delta = [&](const char* name) { return metric(after, name) - metric(before, name); };
  double writes = delta("aibud_storage_writes_total");
  double transactions = delta("aibud_storage_transactions_total");
  double checkpoints_before = metric(before, "aibud_storage_checkpoints_total");
  double checkpoints_after = metric(after, "aibud_storage_checkpoints_total");
  std::string statuses;
  for (const auto& [code, n] : t.by_status)
    statuses += (statuses.empty() ? "" : " ") + std::to_string(code) + ":" + std::to_string(n);

  std::printf(
      "%-16s c=%zu %5.1fs  %9.0f req/s  p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms  "
      "writes/commit %6.1f  checkpoints %.0f->%.0f  other %llu  failures %llu  [%s]\n",
      label.c_str(), connections, duration, rps, p50, p99, max,
      transactions > 0 ? writes / transactions : 0.0, checkpoints_before, checkpoints_after,
      static_cast<unsigned long long>(t.other_answers), static_cast<unsigned long long>(t.failures),
      statuses.c_str());
  json_line()
      .text("bench", "intake_http")
      .text("mode", label)
      .integer("connections", static_cast<int64_t>(connections))
      .num("seconds", duration, 1)
      .integer("accepted", static_cast<int64_t>(t.accepted))
      .integer("other_answers", static_cast<int64_t>(t.other_answers))
      .integer("failures", static_cast<int64_t>(t.failures))
      .num("rps", rps, 1)
      .num("p50_ms", p50)
      .num("p99_ms", p99)
      .num("max_ms", max)
      .num("writes", writes, 0)
      .num("transactions", transactions, 0)
      .num("writes_per_commit", transactions > 0 ? writes / transactions : 0.0, 2)
      .num("checkpoints_before", checkpoints_before, 0)
      .num("checkpoints_after", checkpoints_after, 0)
      .integer("first_send_ms", first_send_ms)
      .print();
  std::fflush(stdout);
  return 0;
}

}  // namespace
}  // namespace aibud::bench

int main(int argc, char** argv) {
  return aibud::bench::run_main(argc, argv);
}
