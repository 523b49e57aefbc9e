#include "adapters/http/router.hpp"

#include <algorithm>

namespace aibud::http {
namespace {

// "/a/b/" → {"a", "b", ""}; the empty last segment keeps "/a/b/" distinct from "/a/b".
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (path.empty()) return out;
  for (;;) {
    auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

bool is_capture(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

void router::add(std::string method, std::string_view pattern, handler on_request) {
  route r;
  r.method = std::move(method);
  for (auto segment : split_path(pattern)) r.segments.emplace_back(segment);
  r.on_request = std::move(on_request);
  routes_.push_back(std::move(r));
}

bool router::match(const route& r, const std::vector<std::string_view>& path,
                   std::map<std::string, std::string>& params) {
  if (r.segments.size() != path.size()) return false;
  std::map<std::string, std::string> captured;
  for (std::size_t i = 0; i < path.size(); ++i) {
    const std::string& want = r.segments[i];
    if (!is_capture(want)) {
      if (want != path[i]) return false;
      continue;
    }
    auto value = percent_decode(path[i]);
    if (path[i].empty() || !value) return false;
    captured[want.substr(1, want.size() - 2)] = std::move(*value);
  }
  params = std::move(captured);
  return true;
}

void router::operator()(request req, responder respond) const {
  auto path = split_path(req.path);
  std::vector<std::string> allowed;
  for (const auto& r : routes_) {
    std::map<std::string, std::string> params;
    if (!match(r, path, params)) continue;
    if (r.method != req.method) {
      if (std::find(allowed.begin(), allowed.end(), r.method) == allowed.end()) {
        allowed.push_back(r.method);
      }
      continue;
    }
    req.params = std::move(params);
    return r.on_request(std::move(req), std::move(respond));
  }
  if (allowed.empty()) return respond(json_error(404, "not_found", "no route for " + req.path));
  std::string allow;
  for (const auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
  auto res = json_error(405, "method_not_allowed", req.method + " not allowed on " + req.path);
  res.headers.emplace_back("Allow", allow);
  respond(std::move(res));
}

handler router::as_handler() const {
  return [this](request req, responder respond) { (*this)(std::move(req), std::move(respond)); };
}

}  // namespace aibud::http
