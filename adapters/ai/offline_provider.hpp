// `offline`: a deterministic, rule-based provider that needs no network (ARCHITECTURE §5),
// the default when no key is configured and what the demo and most tests use. The same
// request always gets the same answer, on every machine and every run.
//
// - classify / reply: the intent of the last user turn from keywords in English and
//   Brazilian Portuguese, and a reply in the conversation's language. Without a schema, a
//   classify request's text is the intent's name and a reply request's text is the reply.
// - vision: room type, features, condition and a value range derived from a SHA-256 of
//   the images' bytes (the same photo always gets the same estimate).
// - with a JSON schema: a JSON object that fills every property the schema names from what
//   it found (intent, reply, language, confidence, room_type, features, condition,
//   value_min, value_max, currency, summary; common synonyms accepted, an `enum` honoured),
//   and a type-correct empty value for any other property; it is then parsed and checked
//   like any provider's answer.
// Usage is estimated from text lengths (4 characters a token, 258 tokens an image); the
// model is "offline". The callback runs before generate() returns.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/ai/gateway.hpp"

namespace aibud::ai {

enum class intent {
  greeting,
  valuation,  // wants to know what a property is worth
  sell,
  buy,
  rent,
  question,
  human,    // wants to talk to a person (broker, attendant)
  opt_out,  // stop messaging me
  opt_in,   // "start": messages welcome again
  other,
};
// "greeting", "valuation", "sell", "buy", "rent", "question", "human", "opt_out", "opt_in",
// "other".
std::string_view to_string(intent i);

enum class language { en, pt_br };
std::string_view to_string(language l);  // "en", "pt-BR"

intent classify_text(std::string_view text);

// The language of the request's user turns (the last one counting double); on a tie, a
// system prompt naming Portuguese or pt-BR; else English.
language detect_language(const ai_request& request);

// A sensible reply to a message of this intent.
std::string reply_for(intent i, language l);

// How a room type or condition of the vision schema reads in a sentence: "living_room" →
// "living room" / "sala de estar". Names it does not know read with spaces for underscores.
std::string spoken(const std::string& name, language lang);

struct vision_estimate {
  std::string room_type;              // "kitchen", "living_room", ...
  std::vector<std::string> features;  // "natural_light", "balcony", ...
  std::string condition;              // "new", "good", "fair", "needs_renovation"
  std::int64_t value_min = 0;         // BRL
  std::int64_t value_max = 0;
  std::string currency = "BRL";
};

// The estimate for these images (raw bytes, in order).
vision_estimate estimate_images(const std::vector<std::string>& image_bytes);

class offline_provider final : public provider {
 public:
  void generate(ai_request request, callback done) override;
  std::string name() const override { return "offline"; }
};

}  // namespace aibud::ai
