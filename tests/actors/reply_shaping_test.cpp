#include "actors/reply_shaping.hpp"

#include <doctest/doctest.h>

using namespace aibud::actors;

TEST_CASE("a reply within the limit is one message") {
  CHECK(split_reply("Hello there.\n\nHow can I help?", 100) ==
        std::vector<std::string>{"Hello there.\n\nHow can I help?"});
  CHECK(split_reply(std::string(5000, 'a'), 0).size() == 1);
}

TEST_CASE("a long reply splits on paragraph breaks, packing paragraphs that fit") {
  const std::string a(40, 'a'), b(40, 'b'), c(40, 'c');
  auto parts = split_reply(a + "\n\n" + b + "\n\n" + c, 90);
  CHECK(parts == std::vector<std::string>{a + "\n\n" + b, c});
  for (const auto& p : parts) CHECK(p.size() <= 90);
}

TEST_CASE("a paragraph longer than the limit splits at spaces, never inside a character") {
  auto parts = split_reply("uma frase com ação e emoção que não cabe", 12);
  std::string rejoined;
  for (const auto& p : parts) {
    CHECK(p.size() <= 12);
    CHECK_FALSE(p.empty());
    rejoined += (rejoined.empty() ? "" : " ") + p;
  }
  CHECK(rejoined == "uma frase com ação e emoção que não cabe");
  auto hard = split_reply("ãããããããã", 5);  // 2 bytes each, no spaces
  for (const auto& p : hard) CHECK(p.size() % 2 == 0);
}

TEST_CASE("typing delay grows with length within its bounds") {
  shaping_settings s;
  s.ms_per_char = 50;
  s.min_delay_ms = 1000;
  s.max_delay_ms = 4000;
  CHECK(typing_delay_ms("oi", s) == 1000);
  CHECK(typing_delay_ms(std::string(40, 'x'), s) == 2000);
  CHECK(typing_delay_ms("ção", s) == 1000);
  CHECK(typing_delay_ms(std::string(1000, 'x'), s) == 4000);
}

TEST_CASE("shaping is off by default: texts split only, no presence") {
  shaping_settings s;
  s.max_length = 10;
  auto out =
      shape({outbound::send_text("short\n\nand more"), outbound::send_poll("Q?", {"a", "b"})}, s);
  REQUIRE(out.size() == 3);
  CHECK(out[0] == outbound::send_text("short"));
  CHECK(out[1] == outbound::send_text("and more"));
  CHECK(out[2].what == outbound::kind::poll);
}

TEST_CASE("with typing on, each text part is preceded by a composing presence") {
  shaping_settings s;
  s.typing = true;
  s.ms_per_char = 100;
  s.min_delay_ms = 0;
  auto out = shape({outbound::send_text("hello")}, s);
  REQUIRE(out.size() == 2);
  CHECK(out[0].what == outbound::kind::presence);
  CHECK(out[0].text == "composing");
  CHECK(out[0].delay_ms == 500);
  CHECK(out[1] == outbound::send_text("hello"));
}
