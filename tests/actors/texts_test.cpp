#include "actors/texts.hpp"

#include <doctest/doctest.h>

using namespace aibud::actors;

TEST_CASE("every fixed text exists in English and Brazilian Portuguese, and they differ") {
  for (auto id : {text_id::grace, text_id::handoff_notice, text_id::stale_poll,
                  text_id::ask_for_photos, text_id::opt_out_confirm, text_id::welcome_back,
                  text_id::qualified_sell, text_id::qualified_search, text_id::estimate_followup,
                  text_id::fallback_reply, text_id::estimate_failed}) {
    const auto en = fixed_text(id, lang::en);
    const auto pt = fixed_text(id, lang::pt_br);
    CHECK_FALSE(en.empty());
    CHECK_FALSE(pt.empty());
    CHECK(en != pt);
  }
}

TEST_CASE("an unknown language falls back to English; pt variants read as pt-BR") {
  CHECK(language_of("pt-BR") == lang::pt_br);
  CHECK(language_of("PT_br") == lang::pt_br);
  CHECK(language_of("pt") == lang::pt_br);
  CHECK(language_of("en") == lang::en);
  CHECK(language_of("de-DE") == lang::en);
  CHECK(language_of("") == lang::en);
  CHECK(fixed_text(text_id::handoff_notice, language_of("fr")) ==
        fixed_text(text_id::handoff_notice, lang::en));
  CHECK(to_string(lang::pt_br) == "pt-BR");
}

TEST_CASE("the grace text is the one reply_agent sends today") {
  CHECK(fixed_text(text_id::grace, lang::pt_br) ==
        "No momento não conseguimos responder por aqui. Retornaremos em breve.");
  CHECK(fixed_text(text_id::grace, lang::en) ==
        "We can't answer here right now. We'll get back to you soon.");
}

TEST_CASE("poll questions and options are translated, unknown keys are empty") {
  CHECK(poll_text("property_type", lang::en) == "What kind of property is it?");
  CHECK(poll_text("property_type.apartment", lang::pt_br) == "Apartamento");
  CHECK(poll_text("bedrooms.four_plus", lang::en) == "4 or more");
  CHECK(poll_text("nope", lang::en).empty());
}

TEST_CASE("money is grouped the way each language writes it") {
  CHECK(money(350000, "BRL", lang::pt_br) == "R$ 350.000");
  CHECK(money(1234567, "BRL", lang::en) == "BRL 1,234,567");
  CHECK(money(999, "USD", lang::pt_br) == "USD 999");
}

TEST_CASE("the estimate text names the range, the condition and the rooms") {
  auto en = estimate_text(300000, 375000, "BRL", "needs_renovation", {"kitchen", "living_room"},
                          lang::en);
  CHECK(en ==
        "Estimated property value: between BRL 300,000 and BRL 375,000. Condition: needs "
        "renovation. Rooms seen: kitchen and living room.");
  auto pt =
      estimate_text(300000, 375000, "BRL", "good", {"kitchen", "bedroom", "bathroom"}, lang::pt_br);
  CHECK(pt ==
        "Valor estimado do imóvel: entre R$ 300.000 e R$ 375.000. Estado: bom. Vi: cozinha, "
        "quarto e banheiro.");
  CHECK(photo_ack(1, lang::en) == "Thanks for the photo.");
  CHECK(photo_ack(3, lang::pt_br) == "Obrigado pelas 3 fotos.");
}
