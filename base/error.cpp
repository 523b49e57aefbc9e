#include "base/error.hpp"

namespace aibud {

std::string_view to_string(errc code) {
  switch (code) {
    case errc::usage:
      return "usage";
    case errc::invalid_argument:
      return "invalid_argument";
    case errc::not_found:
      return "not_found";
    case errc::conflict:
      return "conflict";
    case errc::unavailable:
      return "unavailable";
    case errc::internal:
      return "internal";
  }
  return "internal";
}

int exit_code(errc code) {
  switch (code) {
    case errc::usage:
    case errc::invalid_argument:
      return 2;
    case errc::not_found:
      return 3;
    case errc::conflict:
      return 4;
    case errc::unavailable:
      return 5;
    case errc::internal:
      return 1;
  }
  return 1;
}

}  // namespace aibud
