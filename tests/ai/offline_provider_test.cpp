#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "adapters/ai/offline_provider.hpp"
#include "adapters/ai/structured_output.hpp"
#include "tests/ai/ai_testing.hpp"

using namespace aibud::ai;
using aibud::ai::testing::ask_now;
using aibud::ai::testing::user_says;
using json = nlohmann::json;

namespace {

const json intent_schema = json::parse(R"({
  "type": "object",
  "properties": {
    "intent": {"type": "string",
               "enum": ["greeting", "valuation", "sell", "buy", "rent", "question", "human",
                        "opt_out", "opt_in", "other"]},
    "reply": {"type": "string"},
    "confidence": {"type": "number"}
  },
  "required": ["intent", "reply"],
  "additionalProperties": false
})");

void check_intents(const std::vector<std::pair<std::string, intent>>& cases) {
  for (const auto& [text, expected] : cases) {
    CAPTURE(text);
    CHECK(to_string(classify_text(text)) == to_string(expected));
  }
}

}  // namespace

TEST_CASE("offline classifies each intent from English keywords") {
  check_intents({
      {"Hello!", intent::greeting},
      {"hi there", intent::greeting},
      {"Good morning", intent::greeting},
      {"How much is my apartment worth?", intent::valuation},
      {"I need a valuation of my house", intent::valuation},
      {"I want to sell my house", intent::sell},
      {"Hi, I'm looking to buy a 2 bedroom flat", intent::buy},
      {"Do you have places to rent downtown", intent::rent},
      {"What are your office hours?", intent::question},
      {"Can I talk to a person please", intent::human},
      {"I'd like to speak with an agent", intent::human},
      {"STOP", intent::opt_out},
      {"please unsubscribe me from these messages", intent::opt_out},
      {"start", intent::opt_in},
      {"blue banana", intent::other},
  });
}

TEST_CASE("offline classifies each intent from Brazilian Portuguese keywords") {
  check_intents({
      {"Oi", intent::greeting},
      {"Olá, boa tarde!", intent::greeting},
      {"Quanto vale meu apartamento?", intent::valuation},
      {"Gostaria de uma avaliação do imóvel", intent::valuation},
      {"Oi, quero vender minha casa", intent::sell},
      {"Quero comprar um apartamento na Vila Mariana", intent::buy},
      {"Vocês têm casas para alugar?", intent::rent},
      {"Qual o horário de atendimento", intent::question},
      {"Quero falar com um corretor", intent::human},
      {"Posso falar com um atendente?", intent::human},
      {"PARAR", intent::opt_out},
      {"sair", intent::opt_out},
      {"Não quero mais receber mensagens", intent::opt_out},
      {"START", intent::opt_in},
      {"Quero voltar", intent::opt_in},
  });
}

TEST_CASE("offline replies in the language of the conversation") {
  offline_provider offline;
  auto pt = ask_now(offline, user_says("Oi, quero vender minha casa"));
  REQUIRE(pt.status == outcome::ok);
  CHECK(pt.text == reply_for(intent::sell, language::pt_br));
  CHECK(pt.text.find("vender") != std::string::npos);

  auto en = ask_now(offline, user_says("Hi, I want to sell my house"));
  CHECK(en.text == reply_for(intent::sell, language::en));
  CHECK(en.text.find("sell") != std::string::npos);

  // A one-word turn in a Portuguese conversation is answered in Portuguese.
  ai_request request = user_says("Quero alugar um apartamento");
  request.history.push_back({role::model, reply_for(intent::rent, language::pt_br), {}});
  request.history.push_back({role::user, "start", {}});
  CHECK(detect_language(request) == language::pt_br);
  CHECK(ask_now(offline, request).text == reply_for(intent::opt_in, language::pt_br));

  // With nothing to go on, the system prompt decides.
  ai_request bare = user_says("ok");
  bare.system_prompt = "You are an assistant. Answer in pt-BR.";
  CHECK(detect_language(bare) == language::pt_br);
  bare.system_prompt = "You are an assistant.";
  CHECK(detect_language(bare) == language::en);

  // Known words count as whole words and with their repeats ("de" x3 beats "the" x2;
  // "desde" holds "de" twice but is no word of either list).
  CHECK(detect_language(user_says("de, de... de the the")) == language::pt_br);
  CHECK(detect_language(user_says("the desde desde")) == language::en);
}

TEST_CASE("an offline classify request without a schema answers the intent's name") {
  offline_provider offline;
  auto answer = ask_now(offline, user_says("quanto vale minha casa", task_kind::classify));
  CHECK(answer.status == outcome::ok);
  CHECK(answer.text == "valuation");
  CHECK(answer.model == "offline");
  CHECK(offline.name() == "offline");
}

TEST_CASE("offline structured output matches the schema it was given") {
  offline_provider offline;
  ai_request request = user_says("Quero falar com um corretor", task_kind::classify);
  request.json_schema = intent_schema;
  auto answer = ask_now(offline, request);
  REQUIRE(answer.status == outcome::ok);
  REQUIRE(answer.structured);
  CHECK_FALSE(schema_violation(intent_schema, *answer.structured));
  CHECK((*answer.structured)["intent"] == "human");
  CHECK((*answer.structured)["reply"] == reply_for(intent::human, language::pt_br));
  CHECK(answer.structured->size() == 3);
  CHECK(json::parse(answer.text) == *answer.structured);
}

TEST_CASE("offline maps its intents onto the schema's own enum names") {
  json schema = json::parse(R"({
    "type": "object",
    "properties": {
      "category": {"type": "string", "enum": ["WANTS_TO_SELL", "WANTS_TO_BUY", "UNKNOWN"]},
      "answer": {"type": "string"},
      "urgent": {"type": "boolean"},
      "tags": {"type": "array", "items": {"type": "string"}},
      "lead": {"type": "object", "properties": {"language": {"type": "string"}},
               "required": ["language"]}
    },
    "required": ["category", "answer", "urgent", "tags", "lead"]
  })");
  offline_provider offline;

  ai_request sell = user_says("I want to sell", task_kind::classify);
  sell.json_schema = schema;
  auto answer = ask_now(offline, sell);
  REQUIRE(answer.structured);
  CHECK((*answer.structured)["category"] == "WANTS_TO_SELL");
  CHECK((*answer.structured)["answer"] == reply_for(intent::sell, language::en));
  CHECK((*answer.structured)["urgent"] == false);
  CHECK((*answer.structured)["tags"] == json::array());
  CHECK((*answer.structured)["lead"]["language"] == "en");

  ai_request greeting = user_says("bom dia", task_kind::classify);
  greeting.json_schema = schema;
  CHECK((*ask_now(offline, greeting).structured)["category"] == "UNKNOWN");
}

TEST_CASE("offline vision estimates are derived from the image bytes and stable") {
  json schema = json::parse(R"({
    "type": "object",
    "properties": {
      "room_type": {"type": "string"},
      "features": {"type": "array", "items": {"type": "string"}},
      "condition": {"type": "string", "enum": ["new", "good", "fair", "needs_renovation"]},
      "value_min": {"type": "integer"},
      "value_max": {"type": "integer"},
      "reply": {"type": "string"}
    },
    "required": ["room_type", "features", "condition", "value_min", "value_max", "reply"]
  })");
  auto photo = [&schema](std::string bytes) {
    ai_request request = user_says("quanto vale?", task_kind::vision);
    request.json_schema = schema;
    request.images.push_back({"image/jpeg", std::move(bytes), ""});
    return request;
  };
  offline_provider offline;
  auto first = ask_now(offline, photo("\xff\xd8\xff photo of a kitchen"));
  auto again = ask_now(offline, photo("\xff\xd8\xff photo of a kitchen"));
  REQUIRE(first.structured);
  CHECK(*first.structured == *again.structured);
  CHECK_FALSE(schema_violation(schema, *first.structured));
  const auto& estimate = *first.structured;
  CHECK(estimate["value_min"].get<long>() >= 100000);
  CHECK(estimate["value_max"].get<long>() > estimate["value_min"].get<long>());
  CHECK(estimate["features"].size() >= 2);
  CHECK(estimate["reply"].get<std::string>().find("R$") != std::string::npos);
  CHECK(first.usage.input >= 258);

  // The same photo sent as base64 is the same photo.
  ai_request as_base64 = photo("");
  as_base64.images[0] = {"image/jpeg", "", "/9j/IHBob3RvIG9mIGEga2l0Y2hlbg=="};
  CHECK(*ask_now(offline, as_base64).structured == estimate);

  // Pinned: the estimate must not change between builds or machines.
  auto pinned = estimate_images({"\xff\xd8\xff photo of a kitchen"});
  CHECK(pinned.room_type == estimate["room_type"]);
  CHECK(pinned.value_min == estimate["value_min"]);

  // Different photos get different estimates (at least one of several differs).
  bool differs = false;
  for (int i = 0; i < 8; ++i)
    differs =
        differs || *ask_now(offline, photo("photo " + std::to_string(i))).structured != estimate;
  CHECK(differs);
}

TEST_CASE("offline usage grows with the text it reads and writes") {
  offline_provider offline;
  auto short_one = ask_now(offline, user_says("hi"));
  auto long_one = ask_now(offline, user_says(std::string(400, 'a') + " sell"));
  CHECK(short_one.usage.input >= 1);
  CHECK(long_one.usage.input >= 100);
  CHECK(long_one.usage.input > short_one.usage.input);
  CHECK(short_one.usage.output == static_cast<std::int64_t>((short_one.text.size() + 3) / 4));
  CHECK(short_one.usage.thinking == 0);
}

TEST_CASE("an offline vision request without a schema describes the estimate in words") {
  offline_provider offline;
  ai_request pt = user_says("Quanto vale meu apartamento?", task_kind::vision);
  pt.images.push_back({"image/jpeg", "a photo", ""});
  auto estimate = estimate_images({"a photo"});
  auto answer = ask_now(offline, pt);
  CHECK(answer.status == outcome::ok);
  CHECK(answer.text.rfind("Analisei a foto (", 0) == 0);
  CHECK(answer.text.find("R$ ") != std::string::npos);
  // Values are whole thousands, written with '.' separators: 437000 → "R$ 437.000".
  CHECK(answer.text.find(std::to_string(estimate.value_min / 1000) + ".000") != std::string::npos);

  ai_request en = user_says("How much is my flat worth?", task_kind::vision);
  en.images = pt.images;
  auto english = ask_now(offline, en).text;
  CHECK(english.rfind("I looked at the photo (", 0) == 0);
  CHECK(english.find("BRL ") != std::string::npos);
}
