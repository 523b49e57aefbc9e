#include "adapters/ai/structured_output.hpp"

#include <cctype>
#include <cmath>

namespace aibud::ai {
namespace {

using json = nlohmann::json;

bool has_type(const json& value, const std::string& type) {
  if (type == "object") return value.is_object();
  if (type == "array") return value.is_array();
  if (type == "string") return value.is_string();
  if (type == "boolean") return value.is_boolean();
  if (type == "null") return value.is_null();
  if (type == "number") return value.is_number();
  if (type == "integer") {
    if (value.is_number_integer()) return true;
    // 3.0 is an integer to JSON Schema, and models do write it.
    return value.is_number_float() && std::floor(value.get<double>()) == value.get<double>();
  }
  return true;  // an unknown type name constrains nothing we can check
}

std::optional<std::string> type_violation(const json& schema, const json& value) {
  auto type = schema.find("type");
  if (type == schema.end()) return std::nullopt;
  if (type->is_string()) {
    // Gemini's OpenAPI schemas spell types in capitals ("OBJECT").
    std::string name = type->get<std::string>();
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (has_type(value, name)) return std::nullopt;
    return "expected " + name;
  }
  if (type->is_array()) {
    for (const auto& t : *type)
      if (t.is_string() && has_type(value, t.get<std::string>())) return std::nullopt;
    return "expected one of " + type->dump();
  }
  return std::nullopt;
}

std::optional<std::string> violation_at(const json& schema, const json& value,
                                        const std::string& path) {
  if (!schema.is_object()) return std::nullopt;
  if (auto bad = type_violation(schema, value)) return path + ": " + *bad;

  if (auto options = schema.find("enum"); options != schema.end() && options->is_array()) {
    bool listed = false;
    for (const auto& option : *options) listed = listed || option == value;
    if (!listed) return path + ": not one of " + options->dump();
  }

  if (value.is_object()) {
    if (auto required = schema.find("required"); required != schema.end() && required->is_array())
      for (const auto& name : *required)
        if (name.is_string() && !value.contains(name.get<std::string>()))
          return path + "." + name.get<std::string>() + ": missing";
    auto properties = schema.find("properties");
    bool has_properties = properties != schema.end() && properties->is_object();
    auto extra = schema.find("additionalProperties");
    bool closed = extra != schema.end() && extra->is_boolean() && !extra->get<bool>();
    for (const auto& [name, member] : value.items()) {
      if (has_properties && properties->contains(name)) {
        if (auto bad = violation_at((*properties)[name], member, path + "." + name)) return bad;
      } else if (closed) {
        return path + "." + name + ": not allowed";
      }
    }
  }

  if (value.is_array()) {
    if (auto items = schema.find("items"); items != schema.end() && items->is_object())
      for (std::size_t i = 0; i < value.size(); ++i)
        if (auto bad = violation_at(*items, value[i], path + "[" + std::to_string(i) + "]"))
          return bad;
  }
  return std::nullopt;
}

std::string_view trim(std::string_view text) {
  auto is_space = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

}  // namespace

std::optional<std::string> schema_violation(const json& schema, const json& value) {
  return violation_at(schema, value, "$");
}

std::optional<json> parse_model_json(std::string_view text) {
  text = trim(text);
  if (text.substr(0, 3) == "```") {
    auto first_line_end = text.find('\n');
    auto closing = text.rfind("```");
    if (first_line_end == std::string_view::npos || closing <= first_line_end) return std::nullopt;
    text = trim(text.substr(first_line_end + 1, closing - first_line_end - 1));
  }
  json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return std::nullopt;
  return parsed;
}

void apply_structured_output(ai_response& response, const std::optional<json>& schema) {
  if (!schema || response.status != outcome::ok) return;
  auto parsed = parse_model_json(response.text);
  std::optional<std::string> problem;
  if (!parsed)
    problem = "the model's answer is not JSON";
  else if (auto bad = schema_violation(*schema, *parsed))
    problem = "the model's answer does not match the schema: " + *bad;
  if (problem) {
    response.status = outcome::error;
    response.failure = error_kind::invalid_output;
    response.error_message = *problem;
    response.structured.reset();
    return;
  }
  response.structured = std::move(*parsed);
}

}  // namespace aibud::ai
