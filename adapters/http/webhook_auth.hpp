// Decides whether a webhook delivery carries the instance's secret in one of the forms of
// ARCHITECTURE §8 (webhook route). Pure: no I/O, the clock is passed in.
//
// Accepted forms, any one suffices:
//   Authorization: Bearer <secret>          X-Aibud-Secret: <secret>          ?token=<secret>
//   Authorization: Bearer <JWT>  — HS256 only, signed with the secret; `exp`, when present, is
//                                  honoured up to 30 minutes late (Evolution reuses one token
//                                  through its retries)
//   X-Aibud-Signature: sha256=<hex>  — HMAC-SHA256 of the raw body under the secret
// Every comparison of secret material is constant-time.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "adapters/http/request.hpp"

namespace aibud::http {

struct webhook_auth_result {
  bool ok = false;
  std::string method;  // on success: "bearer", "header", "jwt", "query" or "signature"
  std::string reason;  // on failure, for logs; never contains the secret or what was sent
};

// How late an expired JWT is still accepted.
inline constexpr std::chrono::minutes jwt_exp_leeway{30};

// REQUIRES: `secret` is not empty (an empty secret authenticates nothing).
webhook_auth_result authenticate_webhook(const request& req, std::string_view secret,
                                         std::chrono::system_clock::time_point now);

// The JWT check alone: "" when `token` is a valid HS256 JWT under `secret` at `now`, else why not.
std::string verify_jwt_hs256(std::string_view token, std::string_view secret,
                             std::chrono::system_clock::time_point now);

}  // namespace aibud::http
