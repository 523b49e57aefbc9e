// Small cryptographic building blocks over OpenSSL, shared by every layer: random tokens,
// hashes, HMAC, constant-time compares, base64, and the sealed box that keeps webhook
// secrets and Evolution API keys encrypted at rest (ARCHITECTURE §8, AIBUD_SECRET_KEY).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace aibud::crypto {

// None of these fail on any input. An OpenSSL failure that means the library itself is
// broken (no entropy, a missing algorithm) throws std::runtime_error rather than hand out a
// predictable token or a wrong digest.

// `bytes` random bytes from the CSPRNG (RAND_bytes), as lowercase hex / base64url (no padding).
std::string random_hex(std::size_t bytes);
std::string random_base64url(std::size_t bytes);

std::string sha256(std::string_view data);                             // raw 32 bytes
std::string sha256_hex(std::string_view data);                         // lowercase hex
std::string hmac_sha256(std::string_view key, std::string_view data);  // raw 32 bytes
std::string hex(std::string_view raw);
std::optional<std::string> from_hex(std::string_view hex);

// Compares in time that depends only on the lengths, never on where the inputs differ.
bool constant_time_equal(std::string_view a, std::string_view b);

std::string base64(std::string_view raw);     // standard alphabet, padded
std::string base64url(std::string_view raw);  // URL alphabet, no padding
// Accepts both alphabets, with or without padding, ignoring no other characters.
std::optional<std::string> base64_decode(std::string_view text);

// Authenticated encryption for secrets at rest: AES-256-GCM under a key derived from the
// master secret (AIBUD_SECRET_KEY, >= 32 characters) with HKDF-SHA256. A sealed value is
// text: "enc:v1:" + base64(nonce(12) | ciphertext | tag(16)), so a column can tell sealed
// values from legacy clear ones (`is_sealed`).
class secret_box {
 public:
  // Fails with invalid_argument when the master secret is shorter than 32 characters.
  static result<secret_box> from_master(std::string_view master_secret);

  std::string seal(std::string_view plaintext) const;
  // Fails with unavailable when the value was sealed under another key or was tampered with.
  result<std::string> open(std::string_view sealed) const;

  static bool is_sealed(std::string_view value);

 private:
  explicit secret_box(std::string key) : key_(std::move(key)) {}
  std::string key_;  // 32 bytes
};

}  // namespace aibud::crypto
