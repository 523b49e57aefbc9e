#include "base/crypto.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <array>
#include <memory>
#include <stdexcept>

namespace aibud::crypto {
namespace {

constexpr std::size_t key_size = 32;
constexpr std::size_t nonce_size = 12;
constexpr std::size_t tag_size = 16;
constexpr std::size_t min_master_size = 32;
constexpr std::string_view sealed_prefix = "enc:v1:";
// Fixed HKDF inputs: they bind the derived key to aibud and to this one purpose, so the
// same master secret used elsewhere never yields this key.
constexpr std::string_view hkdf_salt = "aibud secret_box salt v1";
constexpr std::string_view hkdf_info = "aibud secret_box aes-256-gcm key for secrets at rest";

const unsigned char* bytes_of(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* bytes_of(std::string& s) {
  return reinterpret_cast<unsigned char*>(s.data());
}

// The CSPRNG and the digests only fail when OpenSSL itself is broken; carrying on would
// hand out predictable tokens or wrong hashes, so that is treated as fatal.
[[noreturn]] void openssl_failed(const char* what) {
  throw std::runtime_error(std::string("OpenSSL failure: ") + what);
}

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(bytes_of(out), static_cast<int>(n)) != 1) openssl_failed("RAND_bytes");
  return out;
}

struct kdf_deleter {
  void operator()(EVP_KDF* k) const { EVP_KDF_free(k); }
  void operator()(EVP_KDF_CTX* c) const { EVP_KDF_CTX_free(c); }
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

std::string hkdf_sha256(std::string_view input) {
  std::unique_ptr<EVP_KDF, kdf_deleter> kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  if (!kdf) openssl_failed("EVP_KDF_fetch(HKDF)");
  std::unique_ptr<EVP_KDF_CTX, kdf_deleter> ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx) openssl_failed("EVP_KDF_CTX_new");
  char digest[] = "SHA256";
  std::string key_material(input), salt(hkdf_salt), info(hkdf_info);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, key_material.data(),
                                        key_material.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt.data(), salt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
      OSSL_PARAM_construct_end(),
  };
  std::string out(key_size, '\0');
  if (EVP_KDF_derive(ctx.get(), bytes_of(out), out.size(), params) != 1) {
    OPENSSL_cleanse(key_material.data(), key_material.size());
    openssl_failed("EVP_KDF_derive");
  }
  OPENSSL_cleanse(key_material.data(), key_material.size());
  return out;
}

constexpr char base64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char base64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64_with(std::string_view raw, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((raw.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= raw.size(); i += 3) {
    unsigned v = (unsigned(static_cast<unsigned char>(raw[i])) << 16) |
                 (unsigned(static_cast<unsigned char>(raw[i + 1])) << 8) |
                 unsigned(static_cast<unsigned char>(raw[i + 2]));
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  std::size_t rest = raw.size() - i;
  if (rest == 0) return out;
  unsigned v = unsigned(static_cast<unsigned char>(raw[i])) << 16;
  if (rest == 2) v |= unsigned(static_cast<unsigned char>(raw[i + 1])) << 8;
  out += alphabet[(v >> 18) & 63];
  out += alphabet[(v >> 12) & 63];
  if (rest == 2) out += alphabet[(v >> 6) & 63];
  if (pad) out.append(rest == 1 ? 2 : 1, '=');
  return out;
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string random_hex(std::size_t bytes) {
  return hex(random_bytes(bytes));
}

std::string random_base64url(std::size_t bytes) {
  return base64url(random_bytes(bytes));
}

std::string sha256(std::string_view data) {
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), bytes_of(out), &size, EVP_sha256(), nullptr) != 1)
    openssl_failed("EVP_Digest(SHA-256)");
  out.resize(size);
  return out;
}

std::string sha256_hex(std::string_view data) {
  return hex(sha256(data));
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int size = 0;
  // HMAC() rejects a null key pointer even for an empty key.
  static const unsigned char empty = 0;
  const unsigned char* key_bytes = key.empty() ? &empty : bytes_of(key);
  if (HMAC(EVP_sha256(), key_bytes, static_cast<int>(key.size()), bytes_of(data), data.size(),
           bytes_of(out), &size) == nullptr)
    openssl_failed("HMAC(SHA-256)");
  out.resize(size);
  return out;
}

std::string hex(std::string_view raw) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::optional<std::string> from_hex(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 2);
  for (std::size_t i = 0; i < text.size(); i += 2) {
    int hi = hex_value(text[i]), lo = hex_value(text[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>((hi << 4) | lo);
  }
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    // Still touch every byte of `a`, so a length mismatch costs what a compare would.
    if (!a.empty()) (void)CRYPTO_memcmp(a.data(), a.data(), a.size());
    return false;
  }
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string base64(std::string_view raw) {
  return base64_with(raw, base64_std, true);
}

std::string base64url(std::string_view raw) {
  return base64_with(raw, base64_url, false);
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::size_t pad = 0;
  while (pad < text.size() && pad < 2 && text[text.size() - 1 - pad] == '=') ++pad;
  std::string_view body = text.substr(0, text.size() - pad);
  // Padding, when present, must complete the last group of four.
  if (pad > 0 && text.size() % 4 != 0) return std::nullopt;
  if (body.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(body.size() * 3 / 4);
  unsigned acc = 0;
  int bits = 0;
  for (char c : body) {
    int v = base64_value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | unsigned(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  // Left-over bits must be zero, so every byte string has exactly one encoding per alphabet.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

result<secret_box> secret_box::from_master(std::string_view master_secret) {
  if (master_secret.size() < min_master_size)
    return make_error(errc::invalid_argument,
                      "AIBUD_SECRET_KEY must be at least 32 characters long");
  return secret_box(hkdf_sha256(master_secret));
}

std::string secret_box::seal(std::string_view plaintext) const {
  std::unique_ptr<EVP_CIPHER_CTX, kdf_deleter> ctx(EVP_CIPHER_CTX_new());
  if (!ctx) openssl_failed("EVP_CIPHER_CTX_new");
  std::string nonce = random_bytes(nonce_size);
  std::string box = nonce;
  box.resize(nonce_size + plaintext.size() + tag_size);
  unsigned char* cipher = bytes_of(box) + nonce_size;
  int len = 0, total = 0;
  if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, int(nonce_size), nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, bytes_of(key_), bytes_of(nonce)) != 1)
    openssl_failed("AES-256-GCM init");
  if (!plaintext.empty()) {
    if (EVP_EncryptUpdate(ctx.get(), cipher, &len, bytes_of(plaintext), int(plaintext.size())) != 1)
      openssl_failed("AES-256-GCM encrypt");
    total = len;
  }
  if (EVP_EncryptFinal_ex(ctx.get(), cipher + total, &len) != 1)
    openssl_failed("AES-256-GCM final");
  total += len;
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, int(tag_size), cipher + total) != 1)
    openssl_failed("AES-256-GCM tag");
  return std::string(sealed_prefix) + base64(box);
}

result<std::string> secret_box::open(std::string_view sealed) const {
  auto unavailable = [] {
    return make_error(errc::unavailable,
                      "a stored secret cannot be decrypted: wrong AIBUD_SECRET_KEY or "
                      "damaged value");
  };
  if (!is_sealed(sealed)) return unavailable();
  auto box = base64_decode(sealed.substr(sealed_prefix.size()));
  if (!box || box->size() < nonce_size + tag_size) return unavailable();
  std::size_t cipher_size = box->size() - nonce_size - tag_size;
  unsigned char* nonce = bytes_of(*box);
  unsigned char* cipher = nonce + nonce_size;
  unsigned char* tag = cipher + cipher_size;

  std::unique_ptr<EVP_CIPHER_CTX, kdf_deleter> ctx(EVP_CIPHER_CTX_new());
  if (!ctx) openssl_failed("EVP_CIPHER_CTX_new");
  // One spare byte so the output pointer is valid even for an empty plaintext.
  std::string plain(cipher_size + 1, '\0');
  int len = 0, total = 0;
  if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, int(nonce_size), nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, bytes_of(key_), nonce) != 1)
    openssl_failed("AES-256-GCM init");
  if (cipher_size > 0) {
    if (EVP_DecryptUpdate(ctx.get(), bytes_of(plain), &len, cipher, int(cipher_size)) != 1)
      return unavailable();
    total = len;
  }
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, int(tag_size), tag) != 1)
    openssl_failed("AES-256-GCM tag");
  if (EVP_DecryptFinal_ex(ctx.get(), bytes_of(plain) + total, &len) != 1) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return unavailable();
  }
  total += len;
  plain.resize(static_cast<std::size_t>(total));
  return plain;
}

bool secret_box::is_sealed(std::string_view value) {
  return value.substr(0, sealed_prefix.size()) == sealed_prefix;
}

}  // namespace aibud::crypto
