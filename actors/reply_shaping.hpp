// Reply shaping (issue 5): long texts are split on paragraph breaks, and each text may be
// preceded by a typing presence lasting a human-like time for its length. Off by default
// (no presence, no delay); splitting only applies past max_length.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "actors/agent_plan.hpp"

namespace aibud::actors {

struct shaping_settings {
  std::size_t max_length = 1000;  // bytes per message; 0 = never split
  bool typing = false;            // send a "composing" presence before each text
  int64_t ms_per_char = 40;       // typing speed for the delay
  int64_t min_delay_ms = 800;
  int64_t max_delay_ms = 6000;
};

// Parts of at most max_length bytes, cut between paragraphs ("\n\n") when possible, else at
// a line break, else at a space, else at a UTF-8 character boundary; paragraphs are packed
// together while they fit. Leading/trailing blank space of each part is dropped; empty parts
// are not returned. A text within max_length (or max_length 0) is returned whole.
std::vector<std::string> split_reply(const std::string& text, std::size_t max_length);

// min(max, max(min, characters × ms_per_char)), counting UTF-8 characters.
int64_t typing_delay_ms(const std::string& text, const shaping_settings& s);

// The sends with every text split, and with typing on, a presence before each text part.
// Polls and presences pass through unchanged.
std::vector<outbound> shape(const std::vector<outbound>& sends, const shaping_settings& s);

}  // namespace aibud::actors
