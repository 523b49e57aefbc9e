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

}  // namespace

// The scheme and authority of `url` ("http://127.0.0.1:8080"), lowercased: what the
// connection limit per host counts by.
std::string host_key(const std::string& url) {
  const auto scheme_end = url.find("://");
  const auto start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  const auto end = url.find_first_of("/?#", start);
  return lowercase(url.substr(0, end == std::string::npos ? url.size() : end));
}

// One call on its way: the easy handle and everything libcurl points into.
struct transfer {
  std::string host;  // host_key(call.url)
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

class client_core {
 public:
  explicit client_core(client_options options) : options_(std::move(options)) {
    init_curl_once();
    multi_ = curl_multi_init();
    // The limit per host is kept here (waiting_): libcurl's own queue of transfers waiting
    // for a connection let some wait for the 1 s poll timeout after a connection was free.
    // Its limit stays as a backstop that is never reached.
    curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, options_.max_host_connections);
    curl_multi_setopt(multi_, CURLMOPT_MAX_TOTAL_CONNECTIONS, options_.max_total_connections);
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
      for (auto& t : fresh) start_transfer(std::move(t));
      int running = 0;
      curl_multi_perform(multi_, &running);
      // A finished transfer frees its host's slot for one that waited: run that at once.
      if (collect_finished() > 0) continue;
      curl_multi_poll(multi_, nullptr, 0, 1000, nullptr);
    }
    cancel_everything();
  }

  // Starts `t` now, or queues it behind the transfers its host already has running.
  void start_transfer(std::unique_ptr<transfer> t) {
    t->host = host_key(t->call.url);
    host_slots& slots = hosts_[t->host];
    if (slots.active >= options_.max_host_connections) {
      slots.waiting.push_back(std::move(t));
      return;
    }
    ++slots.active;
    t->max_bytes = options_.max_response_bytes;
    t->easy = curl_easy_init();
    const char* failed = nullptr;
    if (!t->easy || !configure(*t))
      failed = "could not set up the request";
    else if (curl_multi_add_handle(multi_, t->easy) != CURLM_OK)
      failed = "could not start the request";
    if (!failed) {
      active_.insert(t.release());
      return;
    }
    t->reply.transport_error = failed;
    const std::string host = t->host;
    finish(std::move(t));
    release_slot(host);
  }

  // A transfer to `host` ended: the first one waiting for the host starts. True if one did.
  bool release_slot(const std::string& host) {
    auto it = hosts_.find(host);
    if (it == hosts_.end()) return false;
    host_slots& slots = it->second;
    --slots.active;
    if (slots.waiting.empty()) {
      if (slots.active == 0) hosts_.erase(it);
      return false;
    }
    auto next = std::move(slots.waiting.front());
    slots.waiting.pop_front();
    start_transfer(std::move(next));
    return true;
  }

  bool configure(transfer& t) {
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
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(c.timeout.count()));
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

  // Returns how many waiting transfers it started in the slots the finished ones freed.
  std::size_t collect_finished() {
    std::size_t started = 0;
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      transfer* raw = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &raw);
      const CURLcode code = msg->data.result;
      curl_multi_remove_handle(multi_, msg->easy_handle);
      active_.erase(raw);
      std::unique_ptr<transfer> t(raw);
      if (code == CURLE_OK) {
        long status = 0;
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
        t->reply.status = static_cast<int>(status);
      } else {
        fail(*t, code);
      }
      const std::string host = t->host;
      finish(std::move(t));
      if (release_slot(host)) ++started;
    }
    return started;
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
    for (auto& [host, slots] : hosts_)
      for (auto& t : slots.waiting) {
        t->reply = cancelled_reply();
        finish(std::move(t));
      }
    hosts_.clear();
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
  struct host_slots {
    long active = 0;  // transfers started (in the multi handle)
    std::deque<std::unique_ptr<transfer>> waiting;
  };
  std::unordered_map<std::string, host_slots> hosts_;  // by host_key

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
