#include "cli/api_client.hpp"

#include <curl/curl.h>

#include <cctype>
#include <cstdlib>
#include <memory>

#include "cli/context.hpp"
#include "runtime/config.hpp"
#include "runtime/db_lock.hpp"

namespace aibud::cli {
namespace {

std::size_t collect(char* data, std::size_t size, std::size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

errc code_of(const std::string& text, long status) {
  for (errc c :
       {errc::invalid_argument, errc::not_found, errc::conflict, errc::unavailable, errc::internal})
    if (to_string(c) == text) return c;
  if (status == 400) return errc::invalid_argument;
  if (status == 404) return errc::not_found;
  if (status == 409) return errc::conflict;
  if (status == 503) return errc::unavailable;
  return errc::internal;
}

error error_of(long status, const std::string& body) {
  json parsed = json::parse(body, nullptr, false);
  std::string code, message = "HTTP " + std::to_string(status);
  if (!parsed.is_discarded() && parsed.is_object() && parsed.contains("error") &&
      parsed["error"].is_object()) {
    code = parsed["error"].value("code", "");
    message = parsed["error"].value("message", message);
  }
  if (status == 401 || status == 403)
    return make_error(
        errc::invalid_argument,
        "server refused the token (" + (code.empty() ? message : code) + "): " + message);
  return make_error(code_of(code, status), message);
}

// The server's URL when none is given: the listen address, a wildcard host asked on
// loopback.
std::string url_of_listen(const std::string& listen) {
  auto at = config::parse_host_port(listen);
  if (!at) return "http://" + listen;
  std::string host = at->host;
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(at->port);
}

std::string server_url(context& ctx) {
  if (!ctx.options().server.empty()) return ctx.options().server;
  if (const char* env = std::getenv("AIBUD_SERVER"); env && *env) return env;
  return url_of_listen(ctx.cfg().listen);
}

api_client client_for(context& ctx) {
  const char* token = std::getenv("AIBUD_TOKEN");
  if (!token || !*token)
    fail(errc::invalid_argument,
         "a server holds the database: set AIBUD_TOKEN to a token of its admin API");
  return api_client(server_url(ctx), token);
}

}  // namespace

api_client::api_client(std::string base_url, std::string token)
    : base_url_(std::move(base_url)), token_(std::move(token)) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
}

result<json> api_client::call(const std::string& method, const std::string& path,
                              const std::optional<json>& body) const {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return make_error(errc::internal, "curl_easy_init failed");
  std::string url = base_url_ + path;
  std::string payload = body ? body->dump() : std::string();
  std::string answer;
  std::string authorization = "Authorization: Bearer " + token_;
  curl_slist* headers = curl_slist_append(nullptr, authorization.c_str());
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Accept: application/json");
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_list(headers,
                                                                          curl_slist_free_all);
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  if (body || method == "POST" || method == "PATCH") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(payload.size()));
  }
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK)
    return make_error(errc::unavailable,
                      "cannot reach the server at " + base_url_ + ": " + curl_easy_strerror(rc));
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status >= 300) return error_of(status, answer);
  json parsed = json::parse(answer, nullptr, false);
  if (parsed.is_discarded())
    return make_error(errc::internal, "the server answered something that is not JSON");
  return parsed;
}

std::string path_segment(std::string_view text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '@') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::optional<api_client> server_for(context& ctx) {
  if (!runtime::db_lock::held_elsewhere(ctx.cfg().db)) return std::nullopt;
  return client_for(ctx);
}

api_client require_server(context& ctx) {
  const char* env = std::getenv("AIBUD_SERVER");
  bool named = !ctx.options().server.empty() || (env && *env);
  if (!named && !runtime::db_lock::held_elsewhere(ctx.cfg().db))
    fail(errc::unavailable,
         "no server is running (aibud serve holds no lock on " + ctx.cfg().db + ")");
  return client_for(ctx);
}

json must_call(const api_client& api, const std::string& method, const std::string& path,
               const std::optional<json>& body) {
  return must(api.call(method, path, body));
}

}  // namespace aibud::cli
