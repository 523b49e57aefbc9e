// A contact's context window: the JSON array of its last turns that the contacts row keeps,
// [{"role":"user"|"model","text":"..."}, ...], oldest first. Every answered message reads it
// (the model's history) and writes it back one exchange longer, so both work on the text as
// updated_context writes it, and fall back to a full JSON parse for any other spelling.
#pragma once

#include <string>
#include <vector>

#include "adapters/ai/gateway.hpp"

namespace aibud::actors {

// The window's last `count` turns with text (all when count < 0); none when it is not a JSON
// array. Turns without text are left out; a role other than "model" is the lead's.
std::vector<ai::turn> context_turns(const std::string& context_json, int count);

// The window after one exchange (`in` or `out` "" when there is none), keeping the newest
// `history_turns` (all when 0). A window that is not a JSON array starts again empty.
std::string updated_context(const std::string& context_json, const std::string& in,
                            const std::string& out, int history_turns);

}  // namespace aibud::actors
