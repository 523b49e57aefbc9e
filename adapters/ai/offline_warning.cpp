#include "adapters/ai/offline_warning.hpp"

namespace aibud::ai {

std::optional<std::string> offline_warning(std::string_view provider,
                                           const std::vector<std::string>& evolution_instances) {
  if (provider != "offline" || evolution_instances.empty()) return std::nullopt;
  constexpr std::size_t named = 5;
  std::string names;
  for (std::size_t i = 0; i < evolution_instances.size() && i < named; ++i) {
    if (i > 0) names += ", ";
    names += evolution_instances[i];
  }
  if (evolution_instances.size() > named)
    names += " and " + std::to_string(evolution_instances.size() - named) + " more";
  return "the offline provider will answer real WhatsApp instances (" + names +
         "): set AIBUD_GEMINI_API_KEY, or ai.openai.base_url and ai.openai.model";
}

}  // namespace aibud::ai
