#include "runtime/admin_auth.hpp"

#include <strings.h>

#include "base/crypto.hpp"
#include "storage/reader.hpp"
#include "storage/tokens_repo.hpp"

namespace aibud::runtime {
namespace {

int rank(std::string_view role) {
  if (role == "owner") return 2;
  if (role == "admin") return 1;
  if (role == "viewer") return 0;
  return -1;
}

}  // namespace

bool principal::has_role(std::string_view needed) const {
  int have = rank(role);
  return have >= 0 && have >= rank(needed);
}

std::optional<std::string> bearer_token(const std::optional<std::string>& authorization) {
  if (!authorization) return std::nullopt;
  const std::string& value = *authorization;
  constexpr std::string_view scheme = "bearer ";
  if (value.size() <= scheme.size() || ::strncasecmp(value.c_str(), scheme.data(), scheme.size()))
    return std::nullopt;
  std::string token = value.substr(scheme.size());
  auto first = token.find_first_not_of(' ');
  auto last = token.find_last_not_of(' ');
  if (first == std::string::npos) return std::nullopt;
  return token.substr(first, last - first + 1);
}

result<principal> authenticate(storage::read_context& r,
                               const std::optional<std::string>& authorization) {
  auto token = bearer_token(authorization);
  if (!token) return make_error(errc::not_found, "missing bearer token");
  auto found = r.tokens().find_by_hash(crypto::sha256_hex(*token));
  if (!found) {
    if (found.err().code == errc::not_found)
      return make_error(errc::not_found, "unknown or revoked token");
    return found.err();
  }
  return principal{found->id, found->role, found->tenant_id};
}

}  // namespace aibud::runtime
