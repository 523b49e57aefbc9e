#include "adapters/http/webhook_auth.hpp"

#include <nlohmann/json.hpp>
#include <optional>

#include "base/crypto.hpp"

namespace aibud::http {
namespace {

// A base64url JWT segment: its alphabet only, no padding (RFC 7515 §2).
std::optional<std::string> decode_segment(std::string_view segment) {
  for (char c : segment) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) return std::nullopt;
  }
  return crypto::base64_decode(segment);
}

std::optional<nlohmann::json> decode_object(std::string_view segment) {
  auto raw = decode_segment(segment);
  if (!raw) return std::nullopt;
  auto parsed = nlohmann::json::parse(*raw, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return std::nullopt;
  return parsed;
}

std::optional<std::string_view> bearer_token(const request& req) {
  auto it = req.headers.find(std::string_view("Authorization"));
  if (it == req.headers.end()) return std::nullopt;
  std::string_view value = it->second;
  constexpr std::string_view scheme = "bearer ";
  if (value.size() <= scheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    char c = value[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != scheme[i]) return std::nullopt;
  }
  value.remove_prefix(scheme.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  return value;
}

// Secrets are generated without dots, so a dotted bearer value is meant as a JWT.
bool looks_like_jwt(std::string_view token) {
  return token.find('.') != std::string_view::npos;
}

// Keeps the first reason: the most specific form the sender tried.
void note(std::string& reason, std::string why) {
  if (reason.empty()) reason = std::move(why);
}

}  // namespace

std::string verify_jwt_hs256(std::string_view token, std::string_view secret,
                             std::chrono::system_clock::time_point now) {
  auto first = token.find('.');
  auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return "jwt: not three segments";
  }
  auto header = decode_object(token.substr(0, first));
  if (!header) return "jwt: malformed header";
  auto alg = header->find("alg");
  if (alg == header->end() || !alg->is_string() || alg->get<std::string>() != "HS256") {
    return "jwt: alg must be HS256";
  }
  auto signature = decode_segment(token.substr(second + 1));
  if (!signature) return "jwt: malformed signature";
  auto expected = crypto::hmac_sha256(secret, token.substr(0, second));
  if (!crypto::constant_time_equal(*signature, expected)) return "jwt: bad signature";
  auto payload = decode_object(token.substr(first + 1, second - first - 1));
  if (!payload) return "jwt: malformed payload";
  auto exp = payload->find("exp");
  if (exp != payload->end()) {
    if (!exp->is_number()) return "jwt: exp is not a number";
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch());
    if (exp->get<double>() + static_cast<double>(std::chrono::seconds(jwt_exp_leeway).count()) <
        static_cast<double>(seconds.count())) {
      return "jwt: expired";
    }
  }
  return "";
}

webhook_auth_result authenticate_webhook(const request& req, std::string_view secret,
                                         std::chrono::system_clock::time_point now) {
  webhook_auth_result out;
  if (secret.empty()) {
    out.reason = "instance has no webhook secret";
    return out;
  }
  auto accept = [&out](const char* method) {
    out.ok = true;
    out.method = method;
    out.reason.clear();
    return out;
  };
  std::string reason;

  if (auto token = bearer_token(req)) {
    if (crypto::constant_time_equal(*token, secret)) return accept("bearer");
    if (looks_like_jwt(*token)) {
      auto why = verify_jwt_hs256(*token, secret, now);
      if (why.empty()) return accept("jwt");
      note(reason, why);
    } else {
      note(reason, "bearer: wrong secret");
    }
  }
  if (auto value = req.header("X-Aibud-Secret")) {
    if (crypto::constant_time_equal(*value, secret)) return accept("header");
    note(reason, "x-aibud-secret: wrong secret");
  }
  if (auto value = req.query_value("token")) {
    if (crypto::constant_time_equal(*value, secret)) return accept("query");
    note(reason, "token: wrong secret");
  }
  if (auto value = req.header("X-Aibud-Signature")) {
    constexpr std::string_view prefix = "sha256=";
    std::string_view text = *value;
    auto given = text.substr(0, prefix.size()) == prefix
                     ? crypto::from_hex(text.substr(prefix.size()))
                     : std::nullopt;
    if (!given) {
      note(reason, "x-aibud-signature: not sha256=<hex>");
    } else if (crypto::constant_time_equal(*given, crypto::hmac_sha256(secret, req.body))) {
      return accept("signature");
    } else {
      note(reason, "x-aibud-signature: bad signature");
    }
  }
  out.reason = reason.empty() ? "no credentials" : reason;
  return out;
}

}  // namespace aibud::http
