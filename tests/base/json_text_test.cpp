#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <random>
#include <string>

#include "base/crypto.hpp"
#include "base/json_text.hpp"

using nlohmann::json;
using namespace aibud;

namespace {

// What append_string writes, or "throws" when it throws nlohmann's type_error.
std::string written(const std::string& text) {
  std::string out = "prefix";
  try {
    json_text::append_string(out, text);
  } catch (const json::type_error& e) {
    CHECK(e.id == 316);
    CHECK(out == "prefix");  // nothing half-written
    return "throws";
  }
  REQUIRE(out.rfind("prefix", 0) == 0);
  return out.substr(6);
}

std::string dumped(const std::string& text) {
  try {
    return json(text).dump();
  } catch (const json::type_error&) {
    return "throws";
  }
}

}  // namespace

TEST_CASE("a string is written as dump() writes it") {
  for (const std::string& text :
       {std::string(), std::string("plain ascii"), std::string("quote \" backslash \\ slash /"),
        std::string("tab\tnewline\nreturn\rbackspace\bformfeed\f"), std::string("\x01\x1f\x7f", 3),
        std::string("nul \0 inside", 12), std::string("Olá, imóvel à venda — 3 quartos"),
        std::string("emoji 😀 and 中文"), std::string("\xed\x9f\xbf"),  // U+D7FF, last before
                                                                       // surrogates
        std::string("\xef\xbf\xbf"), std::string("\xf4\x8f\xbf\xbf")}) {
    CAPTURE(text);
    CHECK(written(text) == dumped(text));
  }
}

TEST_CASE("text that is not UTF-8 throws what dump() throws, writing nothing") {
  for (const std::string& text :
       {std::string("\x80"), std::string("ab\xc0\xaf"),  // overlong '/'
        std::string("\xc3"),                             // cut short
        std::string("\xed\xa0\x80"),                     // a surrogate
        std::string("\xf4\x90\x80\x80"),                 // past U+10FFFF
        std::string("\xe0\x80\x80"), std::string("\xf0\x80\x80\x80"), std::string("ok \xff")}) {
    CAPTURE(text);
    CHECK(dumped(text) == "throws");
    CHECK(written(text) == "throws");
  }
}

TEST_CASE("random bytes are written as dump() writes them, or rejected as it rejects them") {
  std::mt19937 random(7);
  // Mostly the bytes that matter: ASCII, controls, quotes, UTF-8 leads and continuations.
  const std::string alphabet = std::string("aZ \"\\/\x01\x1f\x7f\n\t", 11) +
                               "\xc2\xc3\xdf\xe0\xe1\xed\xee\xef\xf0\xf1\xf4\xf5\xff\x80\x8f"
                               "\x90\x9f\xa0\xbf\xc0\xc1";
  int valid = 0;
  for (int n = 0; n < 20000; ++n) {
    std::string text;
    const int length = static_cast<int>(random() % 12);
    for (int k = 0; k < length; ++k) text += alphabet[random() % alphabet.size()];
    const std::string want = dumped(text);
    if (want != "throws") ++valid;
    REQUIRE_MESSAGE(written(text) == want, crypto::hex(text));
  }
  CHECK(valid > 1000);  // both paths were exercised
}

TEST_CASE("any value is written as dump() writes it") {
  json value = {
      {"b", {1, -2, 3.5, true, false, nullptr}},
      {"a", "text with \"quotes\" and ção"},
      {"nested", {{"z", json::object()}, {"y", json::array()}, {"k\"ey", 18446744073709551615u}}},
      {"min", INT64_MIN},
      {"float", 0.1},
      {"whole", 2.0}};
  CHECK(json_text::dump(value) == value.dump());
  CHECK(json_text::dump(json()) == "null");
  CHECK(json_text::dump(json::parse(R"([{"role":"user","text":"oi"}])")) ==
        R"([{"role":"user","text":"oi"}])");
}

TEST_CASE("an object written member by member is the object dump() writes") {
  json nested = {{"x", 1}, {"y", "two"}};
  std::string out;
  json_text::object o(out);
  o.boolean("a", true)
      .number("b", -42)
      .raw("c", R"({"pre":"written"})")
      .string("d", "é \"q\"")
      .value("e", nested);
  o.member("f") += "[]";
  o.close();
  json same = {{"a", true},      {"b", -42},    {"c", {{"pre", "written"}}},
               {"d", "é \"q\""}, {"e", nested}, {"f", json::array()}};
  CHECK(out == same.dump());
  std::string empty;
  json_text::object(empty).close();
  CHECK(empty == "{}");
}
