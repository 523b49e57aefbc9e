#include "adapters/ai/offline_provider.hpp"

#include <cctype>
#include <cmath>
#include <map>

#include "adapters/ai/structured_output.hpp"
#include "base/json_text.hpp"

namespace aibud::ai {
namespace {

using json = nlohmann::json;

// Lower case with '_' for anything but letters and digits: "Room Type" → "room_type".
std::string key_of(std::string_view name) {
  std::string out;
  for (char c : name) {
    auto byte = static_cast<unsigned char>(c);
    out += std::isalnum(byte) ? static_cast<char>(std::tolower(byte)) : '_';
  }
  return out;
}

// Property names a schema may use for what the offline provider knows.
const std::map<std::string, std::string>& synonyms() {
  static const std::map<std::string, std::string> table = {{"intent", "intent"},
                                                           {"category", "intent"},
                                                           {"label", "intent"},
                                                           {"classification", "intent"},
                                                           {"reply", "reply"},
                                                           {"answer", "reply"},
                                                           {"message", "reply"},
                                                           {"response", "reply"},
                                                           {"text", "reply"},
                                                           {"language", "language"},
                                                           {"lang", "language"},
                                                           {"locale", "language"},
                                                           {"confidence", "confidence"},
                                                           {"score", "confidence"},
                                                           {"room_type", "room_type"},
                                                           {"room", "room_type"},
                                                           {"features", "features"},
                                                           {"condition", "condition"},
                                                           {"value_min", "value_min"},
                                                           {"min_value", "value_min"},
                                                           {"min", "value_min"},
                                                           {"low", "value_min"},
                                                           {"price_min", "value_min"},
                                                           {"value_max", "value_max"},
                                                           {"max_value", "value_max"},
                                                           {"max", "value_max"},
                                                           {"high", "value_max"},
                                                           {"price_max", "value_max"},
                                                           {"currency", "currency"},
                                                           {"summary", "summary"},
                                                           {"description", "summary"},
                                                           {"value_range", "value_range"},
                                                           {"range", "value_range"},
                                                           {"estimate", "value_range"}};
  return table;
}

const json* fact_for(const json& facts, const json* scope, const std::string& name) {
  auto key = key_of(name);
  for (const json* where : {scope, &facts}) {
    if (!where || !where->is_object()) continue;
    if (auto it = where->find(key); it != where->end()) return &*it;
    if (auto alias = synonyms().find(key); alias != synonyms().end())
      if (auto it = where->find(alias->second); it != where->end()) return &*it;
  }
  return nullptr;
}

std::string first_type(const json& schema) {
  auto type = schema.find("type");
  if (type == schema.end()) return schema.contains("properties") ? "object" : "";
  std::string name;
  if (type->is_string()) name = type->get<std::string>();
  if (type->is_array())
    for (const auto& t : *type)
      if (t.is_string() && t.get<std::string>() != "null") {
        name = t.get<std::string>();
        break;
      }
  return key_of(name);
}

// The enum value that best names `fact`: itself, one that contains it or that it contains
// ("wants_to_sell" for "sell"), else an "other"-like value, else the first.
json pick_enum(const json& options, const json* fact) {
  if (options.empty()) return nullptr;
  if (fact) {
    for (const auto& option : options)
      if (option == *fact) return option;
    if (fact->is_string()) {
      auto wanted = key_of(fact->get<std::string>());
      for (const auto& option : options) {
        if (!option.is_string()) continue;
        auto name = key_of(option.get<std::string>());
        if (name.find(wanted) != std::string::npos || wanted.find(name) != std::string::npos)
          return option;
      }
    }
  }
  for (const char* fallback : {"other", "unknown", "none"})
    for (const auto& option : options)
      if (option.is_string() && key_of(option.get<std::string>()) == fallback) return option;
  return options[0];
}

// A value for `schema` built from what is known; type-correct whatever is missing.
json conform(const json& schema, const json* fact, const json& facts) {
  if (!schema.is_object()) return fact ? *fact : json(nullptr);
  if (auto options = schema.find("enum"); options != schema.end() && options->is_array())
    return pick_enum(*options, fact);
  auto type = first_type(schema);
  if (type == "object") {
    json out = json::object();
    auto properties = schema.find("properties");
    if (properties == schema.end() || !properties->is_object())
      return fact && fact->is_object() ? *fact : out;
    for (const auto& [name, member] : properties->items())
      out[name] = conform(member, fact_for(facts, fact, name), facts);
    return out;
  }
  if (type == "array") {
    json out = json::array();
    json items = schema.value("items", json::object());
    if (fact && fact->is_array())
      for (const auto& element : *fact) out.push_back(conform(items, &element, facts));
    else if (fact && !fact->is_null())
      out.push_back(conform(items, fact, facts));
    return out;
  }
  if (type == "string") {
    if (fact && fact->is_string()) return *fact;
    if (fact && !fact->is_null() && !fact->is_object()) return fact->dump();
    return "";
  }
  if (type == "integer") {
    if (fact && fact->is_number())
      return static_cast<std::int64_t>(std::llround(fact->get<double>()));
    return 0;
  }
  if (type == "number") return fact && fact->is_number() ? *fact : json(0);
  if (type == "boolean") return fact && fact->is_boolean() ? *fact : json(false);
  return fact ? *fact : json("");
}

std::string last_user_text(const ai_request& request) {
  for (auto it = request.history.rbegin(); it != request.history.rend(); ++it)
    if (it->speaker == role::user) return it->text;
  return {};
}

std::string money(std::int64_t value, language lang) {
  // 1234567 → "1,234,567" or "1.234.567".
  std::string digits = std::to_string(value);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += lang == language::pt_br ? '.' : ',';
    out += digits[i];
  }
  return lang == language::pt_br ? "R$ " + out : "BRL " + out;
}

std::string describe(const vision_estimate& estimate, language lang) {
  auto room = spoken(estimate.room_type, lang);
  auto condition = spoken(estimate.condition, lang);
  if (lang == language::pt_br)
    return "Analisei a foto (" + room + ", estado: " + condition +
           "). Valor estimado do imóvel: entre " + money(estimate.value_min, lang) + " e " +
           money(estimate.value_max, lang) + ".";
  return "I looked at the photo (" + room + ", condition: " + condition +
         "). Estimated property value: between " + money(estimate.value_min, lang) + " and " +
         money(estimate.value_max, lang) + ".";
}

json facts_for(const ai_request& request, language lang) {
  json facts = {{"language", std::string(to_string(lang))}};
  if (request.kind == task_kind::vision) {
    std::vector<std::string> bytes;
    auto collect = [&bytes](const std::vector<image>& images) {
      for (const auto& picture : images)
        if (auto raw = picture.as_bytes()) bytes.push_back(std::move(*raw));
    };
    for (const auto& turn : request.history) collect(turn.images);
    collect(request.images);
    auto estimate = estimate_images(bytes);
    facts["room_type"] = estimate.room_type;
    facts["features"] = estimate.features;
    facts["condition"] = estimate.condition;
    facts["value_min"] = estimate.value_min;
    facts["value_max"] = estimate.value_max;
    facts["value_range"] = {{"min", estimate.value_min}, {"max", estimate.value_max}};
    facts["currency"] = estimate.currency;
    facts["confidence"] = bytes.empty() ? 0.1 : 0.6;
    facts["summary"] = describe(estimate, lang);
    facts["reply"] = facts["summary"];
    return facts;
  }
  auto found = classify_text(last_user_text(request));
  facts["intent"] = std::string(to_string(found));
  facts["reply"] = reply_for(found, lang);
  facts["summary"] = facts["reply"];
  facts["confidence"] = found == intent::other ? 0.3 : 0.9;
  return facts;
}

std::int64_t tokens_of(std::size_t characters) {
  return static_cast<std::int64_t>((characters + 3) / 4);
}

}  // namespace

std::string spoken(const std::string& name, language lang) {
  static const std::map<std::string, std::string> portuguese = {
      {"living_room", "sala de estar"},
      {"kitchen", "cozinha"},
      {"bedroom", "quarto"},
      {"bathroom", "banheiro"},
      {"facade", "fachada"},
      {"balcony", "varanda"},
      {"dining_room", "sala de jantar"},
      {"new", "novo"},
      {"good", "bom"},
      {"fair", "regular"},
      {"needs_renovation", "precisa de reforma"}};
  if (lang == language::pt_br)
    if (auto it = portuguese.find(name); it != portuguese.end()) return it->second;
  std::string out = name;
  for (auto& c : out)
    if (c == '_') c = ' ';
  return out;
}

void offline_provider::generate(ai_request request, callback done) {
  auto lang = detect_language(request);
  json facts = facts_for(request, lang);

  ai_response response;
  response.model = "offline";
  response.finish_reason = "STOP";
  if (request.json_schema) {
    response.text = json_text::dump(conform(*request.json_schema, nullptr, facts));
  } else if (request.kind == task_kind::classify) {
    response.text = facts["intent"].get<std::string>();
  } else if (request.kind == task_kind::vision) {
    response.text = facts["summary"].get<std::string>();
  } else {
    response.text = facts["reply"].get<std::string>();
  }

  std::size_t prompt_chars = request.system_prompt.size();
  std::size_t images = request.images.size();
  for (const auto& turn : request.history) {
    prompt_chars += turn.text.size();
    images += turn.images.size();
  }
  response.usage.input = tokens_of(prompt_chars) + static_cast<std::int64_t>(images) * 258;
  response.usage.output = tokens_of(response.text.size());

  apply_structured_output(response, request.json_schema);
  done(std::move(response));
}

}  // namespace aibud::ai
