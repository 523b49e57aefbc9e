#include "adapters/http/client.hpp"

#include <curl/curl.h>

#include <atomic>
#include <cctype>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "base/thread_name.hpp"

namespace aibud::http {
namespace detail {

namespace {

const char* const cancelled_text = "cancelled";

void init_curl_once() {
  static std::once_flag once;
  // curl_global_init is not thread-safe on older libcurl; done once before any handle exists.
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string lowercase(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string trim(std::string_view text) {
  auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

http_reply cancelled_reply() {
  http_reply reply;
  reply.transport_error = cancelled_text;
  return reply;
}

// What reports `done` must never take the client thread down with it.
void deliver(std::function<void(http_reply)>& done, http_reply reply) {
  if (!done) return;
  auto callback = std::move(done);
  done = nullptr;
  try {
    callback(std::move(reply));
  } catch (...) {
  }
}

// The host a call's connections go to, as libcurl counts them: scheme, host and port
// ("http://127.0.0.1:80"), lowercased, without user info. A URL libcurl cannot parse is a
// host of its own (its call fails when it starts).
std::string host_key(const std::string& url) {
  std::string key = url;
  CURLU* u = curl_url();
  if (u && curl_url_set(u, CURLUPART_URL, url.c_str(), CURLU_GUESS_SCHEME) == CURLUE_OK) {
    char* scheme = nullptr;
    char* host = nullptr;
    char* port = nullptr;
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK)
      key = lowercase(std::string(scheme) + "://" + host + ":" + port);
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
  }
  curl_url_cleanup(u);
  return key;
}

}  // namespace

// One call on its way: the easy handle and everything libcurl points into.
struct transfer {
  std::string host;                              // host_key(call.url)
  std::chrono::steady_clock::time_point queued;  // when perform() took it: the timeout's start
  bool needs_connection = true;                  // counted against max_total_connections
  http_call call;
  std::function<void(http_reply)> done;
  http_reply reply;
  std::size_t max_bytes = 0;
  bool too_large = false;
  CURL* easy = nullptr;
  curl_slist* header_list = nullptr;
  char error_buffer[CURL_ERROR_SIZE] = {0};

  ~transfer() {
    if (easy) curl_easy_cleanup(easy);
    if (header_list) curl_slist_free_all(header_list);
  }
};

// The calls to one host (host_key): started, and waiting for a connection in order.
struct host_line {
  long active = 0;           // transfers started (in the multi handle)
  bool multiplexes = false;  // it answered over HTTP/2: its calls share connections
  std::deque<std::unique_ptr<transfer>> waiting;
};

class client_core {
 public:
  explicit client_core(client_options options) : options_(std::move(options)) {
    init_curl_once();
    multi_ = curl_multi_init();
    // The connection limits are kept here, in hosts_, not by libcurl: its own queue of
    // transfers waiting for a connection let some wait for the 1 s poll timeout after a
    // connection was free. Its limit per host stays as a backstop, never reached.
    curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, options_.max_host_connections);
    curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, options_.max_total_connections);
  }

  ~client_core() {
    // The thread has been joined by client::stop(); whatever is left was never started.
    for (auto* t : active_) {
      curl_multi_remove_handle(multi_, t->easy);
      delete t;
    }
    curl_multi_cleanup(multi_);
  }

  void start() {
    thread_ = std::thread([this] {
      name_this_thread("aibud-http-out");
      run();
    });
  }

  void perform(http_call call, std::function<void(http_reply)> done) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!stopping_) {
        auto t = std::make_unique<transfer>();
        t->queued = std::chrono::steady_clock::now();
        t->call = std::move(call);
        t->done = std::move(done);
        queue_.push_back(std::move(t));
        ++in_flight_;
        curl_multi_wakeup(multi_);
        return;
      }
    }
    deliver(done, cancelled_reply());
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    curl_multi_wakeup(multi_);
    if (std::this_thread::get_id() == thread_.get_id()) return;
    if (thread_.joinable()) thread_.join();
  }

  std::size_t in_flight() const { return in_flight_.load(); }

 private:
  void run() {
    for (;;) {
      std::deque<std::unique_ptr<transfer>> fresh;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_) break;
        fresh.swap(queue_);
      }
      for (auto& t : fresh) {
        t->host = host_of(t->call.url);
        host_line& h = hosts_[t->host];
        h.waiting.push_back(std::move(t));
        ++waiting_;
      }
      start_waiting();
      int running = 0;
      curl_multi_perform(multi_, &running);
      // A finished transfer frees a connection for a call that waited: start it at once.
      if (collect_finished() > 0 && start_waiting() > 0) continue;
      int wait_ms = 1000;
      if (waiting_ > 0) {
        expire_waiting();
        wait_ms = static_cast<int>(expiry_check.count());
      }
      curl_multi_poll(multi_, nullptr, 0, wait_ms, nullptr);
    }
    cancel_everything();
  }

  // host_key(url), remembered: the calls to one upstream mostly repeat a few URLs.
  const std::string& host_of(const std::string& url) {
    auto it = host_keys_.find(url);
    if (it != host_keys_.end()) return it->second;
    if (host_keys_.size() >= 1024) host_keys_.clear();
    return host_keys_.emplace(url, host_key(url)).first->second;
  }

  // Calls waiting for a connection, per host: each starts in its host's order once the host
  // has a connection to spare and, unless the host multiplexes its calls over HTTP/2, the
  // client has one too. Returns how many started.
  std::size_t start_waiting() {
    std::size_t started = 0;
    for (auto it = hosts_.begin(); it != hosts_.end();) {
      host_line& h = it->second;
      while (!h.waiting.empty() && has_room(h)) {
        auto t = std::move(h.waiting.front());
        h.waiting.pop_front();
        --waiting_;
        if (begin(h, std::move(t))) ++started;
      }
      // A host that multiplexes is remembered; others are forgotten when idle.
      if (h.active == 0 && h.waiting.empty() && !h.multiplexes)
        it = hosts_.erase(it);
      else
        ++it;
    }
    return started;
  }

  bool has_room(const host_line& h) const {
    const long per_host = std::max(1L, options_.max_host_connections);
    if (h.multiplexes) return h.active < per_host * streams_per_connection;
    return h.active < per_host && connections_ < std::max(1L, options_.max_total_connections);
  }

  // Starts `t` with what is left of its timeout. False when it failed at once (its reply
  // is delivered).
  bool begin(host_line& h, std::unique_ptr<transfer> t) {
    std::chrono::milliseconds timeout{0};
    if (t->call.timeout.count() > 0) {
      timeout = t->call.timeout - std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::steady_clock::now() - t->queued);
      if (timeout.count() <= 0) {
        time_out(*t);
        finish(std::move(t));
        return false;
      }
    }
    t->max_bytes = options_.max_response_bytes;
    t->easy = curl_easy_init();
    const char* failed = nullptr;
    if (!t->easy || !configure(*t, timeout))
      failed = "could not set up the request";
    else if (curl_multi_add_handle(multi_, t->easy) != CURLM_OK)
      failed = "could not start the request";
    if (failed) {
      t->reply.transport_error = failed;
      finish(std::move(t));
      return false;
    }
    ++h.active;
    t->needs_connection = !h.multiplexes;
    if (t->needs_connection) ++connections_;
    active_.insert(t.release());
    return true;
  }

  // A started transfer ended: its host and the client have that connection again.
  void release(const transfer& t) {
    if (t.needs_connection) --connections_;
    auto it = hosts_.find(t.host);
    if (it == hosts_.end()) return;
    --it->second.active;
    long version = 0;
    if (curl_easy_getinfo(t.easy, CURLINFO_HTTP_VERSION, &version) == CURLE_OK &&
        version >= CURL_HTTP_VERSION_2_0)
      it->second.multiplexes = true;
  }

  // Waiting calls past their timeout fail as timed out without starting; checked at most
  // every expiry_check while calls wait.
  void expire_waiting() {
    const auto now = std::chrono::steady_clock::now();
    if (now < next_expiry_check_) return;
    next_expiry_check_ = now + expiry_check;
    for (auto& [host, h] : hosts_) {
      for (auto it = h.waiting.begin(); it != h.waiting.end();) {
        transfer& t = **it;
        if (t.call.timeout.count() > 0 && now - t.queued >= t.call.timeout) {
          auto expired = std::move(*it);
          it = h.waiting.erase(it);
          --waiting_;
          time_out(*expired);
          finish(std::move(expired));
        } else {
          ++it;
        }
      }
    }
  }

  static void time_out(transfer& t) {
    t.reply.timed_out = true;
    t.reply.transport_error = "timed out waiting for a connection";
  }

  bool configure(transfer& t, std::chrono::milliseconds timeout) {
    CURL* e = t.easy;
    const http_call& c = t.call;
    bool has_content_type = false;
    for (const auto& [name, value] : c.headers) {
      if (lowercase(name) == "content-type") has_content_type = true;
      t.header_list = curl_slist_append(t.header_list, (name + ": " + value).c_str());
    }
    if (!c.body.empty() && !has_content_type) {
      t.header_list = curl_slist_append(t.header_list, "Content-Type: application/json");
    }
    // libcurl would otherwise wait for "100 Continue" before sending a large body.
    t.header_list = curl_slist_append(t.header_list, "Expect:");

    bool ok = curl_easy_setopt(e, CURLOPT_URL, c.url.c_str()) == CURLE_OK;
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
    curl_easy_setopt(e, CURLOPT_PRIVATE, &t);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.error_buffer);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.header_list);
    curl_easy_setopt(e, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(c.connect_timeout.count()));
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &client_core::on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &client_core::on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);

    if (c.method == "GET" && c.body.empty()) {
      curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else if (c.method == "HEAD") {
      curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else {
      if (!c.body.empty() || c.method == "POST" || c.method == "PUT" || c.method == "PATCH") {
        // The body lives in t.call until the transfer is freed, so no copy is needed.
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, c.body.data());
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(c.body.size()));
      }
      if (c.method != "POST") curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, c.method.c_str());
    }
    return ok;
  }

  static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto* t = static_cast<transfer*>(user);
    const std::size_t bytes = size * count;
    if (t->reply.body.size() + bytes > t->max_bytes) {
      t->too_large = true;
      return 0;  // aborts the transfer with CURLE_WRITE_ERROR
    }
    t->reply.body.append(data, bytes);
    return bytes;
  }

  static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
    auto* t = static_cast<transfer*>(user);
    const std::size_t bytes = size * count;
    std::string_view line(data, bytes);
    // Each status line starts a new header block (100 Continue, then the final answer).
    if (line.rfind("HTTP/", 0) == 0) {
      t->reply.headers.clear();
      return bytes;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return bytes;
    t->reply.headers.emplace_back(lowercase(std::string(line.substr(0, colon))),
                                  trim(line.substr(colon + 1)));
    return bytes;
  }

  // Delivers every finished transfer's reply. Returns how many finished.
  std::size_t collect_finished() {
    std::size_t finished = 0;
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      transfer* raw = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &raw);
      const CURLcode code = msg->data.result;
      curl_multi_remove_handle(multi_, msg->easy_handle);
      active_.erase(raw);
      std::unique_ptr<transfer> t(raw);
      release(*t);
      if (code == CURLE_OK) {
        long status = 0;
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
        t->reply.status = static_cast<int>(status);
      } else {
        fail(*t, code);
      }
      finish(std::move(t));
      ++finished;
    }
    return finished;
  }

  static void fail(transfer& t, CURLcode code) {
    http_reply& r = t.reply;
    r.status = 0;
    r.headers.clear();
    r.body.clear();
    r.timed_out = code == CURLE_OPERATION_TIMEDOUT;
    if (t.too_large) {
      r.transport_error = "response larger than " + std::to_string(t.max_bytes) + " bytes";
    } else {
      r.transport_error = t.error_buffer[0] ? t.error_buffer : curl_easy_strerror(code);
    }
  }

  void finish(std::unique_ptr<transfer> t) {
    --in_flight_;
    deliver(t->done, std::move(t->reply));
  }

  void cancel_everything() {
    for (auto* raw : active_) {
      curl_multi_remove_handle(multi_, raw->easy);
      std::unique_ptr<transfer> t(raw);
      t->reply = cancelled_reply();
      finish(std::move(t));
    }
    active_.clear();
    for (auto& [host, h] : hosts_)
      for (auto& t : h.waiting) {
        t->reply = cancelled_reply();
        finish(std::move(t));
      }
    hosts_.clear();
    waiting_ = 0;
    std::deque<std::unique_ptr<transfer>> queued;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queued.swap(queue_);
    }
    for (auto& t : queued) {
      t->reply = cancelled_reply();
      finish(std::move(t));
    }
  }

  // Constant after construction.
  const client_options options_;
  CURLM* multi_ = nullptr;
  std::thread thread_;

  // Protected by mutex_.
  std::mutex mutex_;
  std::deque<std::unique_ptr<transfer>> queue_;
  bool stopping_ = false;

  // Owned by the client thread.
  std::unordered_set<transfer*> active_;
  // libcurl's default for the calls one HTTP/2 connection carries at once.
  static constexpr long streams_per_connection = 100;
  static constexpr std::chrono::milliseconds expiry_check{100};
  std::unordered_map<std::string, host_line> hosts_;        // by host_key
  std::unordered_map<std::string, std::string> host_keys_;  // host_of's: url -> host_key
  std::size_t waiting_ = 0;                                 // calls in every host's line
  long connections_ = 0;  // started transfers that hold a connection of their own
  std::chrono::steady_clock::time_point next_expiry_check_;

  std::atomic<std::size_t> in_flight_{0};
};

}  // namespace detail

client::client(client_options options)
    : core_(std::make_shared<detail::client_core>(std::move(options))) {
  core_->start();
}

client::~client() {
  stop();
}

void client::perform(http_call call, std::function<void(http_reply)> done) {
  core_->perform(std::move(call), std::move(done));
}

void client::stop() {
  core_->stop();
}

http_transport client::as_transport() const {
  std::shared_ptr<detail::client_core> core = core_;
  return [core](http_call call, std::function<void(http_reply)> done) {
    core->perform(std::move(call), std::move(done));
  };
}

std::size_t client::in_flight() const {
  return core_->in_flight();
}

}  // namespace aibud::http
