// The start-up warning of ARCHITECTURE §8 ("serve warns when a real instance is answered by
// offline"): real leads would get canned, rule-based replies.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aibud::ai {

// The warning for `serve` to log, or nullopt. `provider` is the provider in effect
// (config::ai_provider()); `evolution_instances` are the names of the instances of kind
// `evolution` (sandboxes are meant for offline). The text names at most five of them and
// says how to configure a model.
std::optional<std::string> offline_warning(std::string_view provider,
                                           const std::vector<std::string>& evolution_instances);

}  // namespace aibud::ai
