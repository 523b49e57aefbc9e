// Every fixed text aibud sends to a lead, in the tenant's language (issue 5, deliver 5):
// English and Brazilian Portuguese, English for any other language tag. Texts written by a
// model are not here; these are the ones a flow must say the same way every time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace aibud::actors {

enum class lang { en, pt_br };

// "pt-BR", "pt_BR", "pt" and "pt-PT" (any case) → pt_br; anything else, "" included → en.
lang language_of(std::string_view tag);
std::string_view to_string(lang l);  // "en", "pt-BR"

enum class text_id {
  grace,              // out of credits: once per period (reply_agent::grace_message's text)
  handoff_notice,     // "a person will answer you here"
  stale_poll,         // a vote on a poll that is closed, unknown, or an option we never sent
  ask_for_photos,     // the lead wants a valuation
  opt_out_confirm,    // the lead asked us to stop
  welcome_back,       // "start" after an opt-out
  qualified_sell,     // the qualifying polls are answered: the lead sells
  qualified_search,   // the qualifying polls are answered: the lead buys or rents
  estimate_followup,  // after an estimate: how to reach a person
  fallback_reply,     // the model gave no usable reply
  estimate_failed,    // the photos gave no usable estimate
};

std::string fixed_text(text_id id, lang l);

// "Thanks for the photo." / "Thanks for the 3 photos." (count ≥ 1).
std::string photo_ack(int count, lang l);

// "R$ 350.000" (pt-BR) or "BRL 350,000" (en); other currencies keep their code.
std::string money(int64_t value, const std::string& currency, lang l);

// The estimate message: the range, the condition and the rooms seen. `condition` and
// `rooms` are the estimator's machine names ("good", "living_room"); known ones are
// translated, others are shown with '_' as spaces.
std::string estimate_text(int64_t value_min, int64_t value_max, const std::string& currency,
                          const std::string& condition, const std::vector<std::string>& rooms,
                          lang l);

// A poll's question (`poll`) or one option's label (`poll` + "." + option key), e.g.
// poll_text("bedrooms", l), poll_text("bedrooms.four_plus", l). "" for an unknown key.
std::string poll_text(std::string_view key, lang l);

// A machine name as words in a sentence: "living_room" → "living room" / "sala de estar".
std::string spoken(const std::string& name, lang l);

}  // namespace aibud::actors
