#include "base/crypto.hpp"

#include <doctest/doctest.h>

#include <set>
#include <string>

using namespace aibud;
using namespace aibud::crypto;

namespace {
const std::string master = "0123456789abcdef0123456789abcdef-master";
const std::string other_master = "fedcba9876543210fedcba9876543210-other";
}  // namespace

TEST_CASE("sha256 matches the FIPS 180-2 known answers") {
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256("abc").size() == 32);
  CHECK(hex(sha256("abc")) == sha256_hex("abc"));
}

TEST_CASE("hmac_sha256 matches RFC 4231 test case 2") {
  CHECK(hex(hmac_sha256("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("hmac_sha256 accepts an empty key") {
  CHECK(hex(hmac_sha256("", "")) ==
        "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST_CASE("hex round-trips and rejects malformed text") {
  std::string raw("\x00\x01\xfe\xff", 4);
  CHECK(hex(raw) == "0001feff");
  REQUIRE(from_hex("0001FEff").has_value());
  CHECK(*from_hex("0001FEff") == raw);
  CHECK_FALSE(from_hex("abc").has_value());
  CHECK_FALSE(from_hex("zz").has_value());
}

TEST_CASE("constant_time_equal compares contents and lengths") {
  CHECK(constant_time_equal("secret", "secret"));
  CHECK(constant_time_equal("", ""));
  CHECK_FALSE(constant_time_equal("secret", "secreT"));
  CHECK_FALSE(constant_time_equal("secret", "secret2"));
  CHECK_FALSE(constant_time_equal("", "x"));
  CHECK_FALSE(constant_time_equal("x", ""));
}

TEST_CASE("base64 encodes with the RFC 4648 test vectors") {
  CHECK(base64("") == "");
  CHECK(base64("f") == "Zg==");
  CHECK(base64("fo") == "Zm8=");
  CHECK(base64("foo") == "Zm9v");
  CHECK(base64("foobar") == "Zm9vYmFy");
  CHECK(base64url("fo") == "Zm8");
  CHECK(base64(std::string("\xfb\xff", 2)) == "+/8=");
  CHECK(base64url(std::string("\xfb\xff", 2)) == "-_8");
}

TEST_CASE("base64_decode round-trips both alphabets with or without padding") {
  for (std::size_t n = 0; n < 70; ++n) {
    std::string raw;
    for (std::size_t i = 0; i < n; ++i) raw += static_cast<char>((i * 37 + n) & 0xff);
    auto padded = base64_decode(base64(raw));
    auto url = base64_decode(base64url(raw));
    REQUIRE(padded.has_value());
    REQUIRE(url.has_value());
    CHECK(*padded == raw);
    CHECK(*url == raw);
  }
  CHECK(*base64_decode("Zm8") == "fo");
  CHECK(*base64_decode("-_8=") == std::string("\xfb\xff", 2));
}

TEST_CASE("base64_decode rejects foreign characters and broken padding") {
  CHECK_FALSE(base64_decode("Zm9v YmFy").has_value());
  CHECK_FALSE(base64_decode("Zm9v\n").has_value());
  CHECK_FALSE(base64_decode("Zm9*").has_value());
  CHECK_FALSE(base64_decode("Z").has_value());
  CHECK_FALSE(base64_decode("Zm8==").has_value());
  CHECK_FALSE(base64_decode("=Zm8").has_value());
}

TEST_CASE("random tokens have the requested length and differ") {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    std::string h = random_hex(16);
    CHECK(h.size() == 32);
    CHECK(h.find_first_not_of("0123456789abcdef") == std::string::npos);
    seen.insert(h);
  }
  CHECK(seen.size() == 50);
  std::string t = random_base64url(32);
  CHECK(t.size() == 43);
  CHECK(t.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
        std::string::npos);
  CHECK(random_base64url(32) != t);
}

TEST_CASE("secret_box seals and opens a value") {
  auto box = secret_box::from_master(master);
  REQUIRE(box.ok());
  for (std::string plain : {std::string(), std::string("webhook-secret-123"),
                            std::string(1000, 'x') + std::string("\0tail", 5)}) {
    std::string sealed = box->seal(plain);
    CHECK(secret_box::is_sealed(sealed));
    CHECK(sealed.find("webhook-secret") == std::string::npos);
    auto opened = box->open(sealed);
    REQUIRE(opened.ok());
    CHECK(*opened == plain);
  }
}

TEST_CASE("secret_box uses a fresh nonce for every seal") {
  auto box = secret_box::from_master(master);
  REQUIRE(box.ok());
  CHECK(box->seal("same") != box->seal("same"));
}

TEST_CASE("secret_box refuses a value sealed under another master key") {
  auto box = secret_box::from_master(master);
  auto other = secret_box::from_master(other_master);
  REQUIRE(box.ok());
  REQUIRE(other.ok());
  auto opened = other->open(box->seal("api-key"));
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.err().code == errc::unavailable);
}

TEST_CASE("secret_box refuses a value with any one byte flipped") {
  auto box = secret_box::from_master(master);
  REQUIRE(box.ok());
  std::string sealed = box->seal("api-key");
  std::string raw = *base64_decode(sealed.substr(7));
  for (std::size_t i = 0; i < raw.size(); ++i) {
    std::string damaged = raw;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x01);
    auto opened = box->open("enc:v1:" + base64(damaged));
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.err().code == errc::unavailable);
  }
}

TEST_CASE("secret_box refuses values that are not sealed or are truncated") {
  auto box = secret_box::from_master(master);
  REQUIRE(box.ok());
  CHECK_FALSE(secret_box::is_sealed("plain-secret"));
  CHECK(box->open("plain-secret").err().code == errc::unavailable);
  CHECK(box->open("enc:v1:").err().code == errc::unavailable);
  CHECK(box->open("enc:v1:!!!").err().code == errc::unavailable);
  CHECK(box->open("enc:v1:" + base64("short")).err().code == errc::unavailable);
}

TEST_CASE("secret_box rejects a master secret shorter than 32 characters") {
  auto box = secret_box::from_master(std::string(31, 'k'));
  REQUIRE_FALSE(box.ok());
  CHECK(box.err().code == errc::invalid_argument);
  CHECK(secret_box::from_master(std::string(32, 'k')).ok());
}
