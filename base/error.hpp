// Errors as values across layers. A layer returns `result<T>`; only the transport layer
// (HTTP handler, CLI) maps an error's code to a status or an exit code.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace aibud {

// The stable codes of ARCHITECTURE §8. Scripts match on their text.
enum class errc {
  usage,             // exit 2
  invalid_argument,  // exit 2, HTTP 400
  not_found,         // exit 3, HTTP 404
  conflict,          // exit 4, HTTP 409
  unavailable,       // exit 5, HTTP 503
  internal,          // exit 1, HTTP 500
};

std::string_view to_string(errc code);
int exit_code(errc code);

struct error {
  errc code = errc::internal;
  std::string message;
};

inline error make_error(errc code, std::string message) {
  return error{code, std::move(message)};
}

// A value or an error. Small on purpose: C++17 has no std::expected.
template <class T>
class [[nodiscard]] result {
 public:
  result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  result(error err) : v_(std::in_place_index<1>, std::move(err)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const error& err() const { return std::get<1>(v_); }

 private:
  std::variant<T, error> v_;
};

// For operations that return nothing but may fail.
struct unit {};
using status = result<unit>;
inline status ok_status() {
  return unit{};
}

}  // namespace aibud
