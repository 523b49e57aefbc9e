// Who is calling the admin API (ARCHITECTURE §8): `Authorization: Bearer <token>`, looked up
// by its sha256 among the unrevoked api_tokens. Roles nest: viewer reads; admin also
// replays, purges, pauses, resumes and grants; owner also changes tenants, tokens and
// deletes instances. A tenant-scoped token sees only its tenant.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace aibud::storage {
class read_context;
}

namespace aibud::runtime {

struct principal {
  int64_t token_id = 0;
  std::string role;                  // owner | admin | viewer
  std::optional<int64_t> tenant_id;  // none: every tenant

  // The audit_log actor of this caller's changes: "token:<id>".
  std::string actor() const { return "token:" + std::to_string(token_id); }
  // Whether the role is `needed` or above it.
  bool has_role(std::string_view needed) const;
  // Whether the token may see `tenant`.
  bool sees(int64_t tenant) const { return !tenant_id || *tenant_id == tenant; }
};

// The token of an "Authorization: Bearer <token>" value (scheme without regard to case).
std::optional<std::string> bearer_token(const std::optional<std::string>& authorization);

// Errors: not_found for a missing, unknown or revoked token (the API's 401); others are
// storage errors.
result<principal> authenticate(storage::read_context& r,
                               const std::optional<std::string>& authorization);

}  // namespace aibud::runtime
