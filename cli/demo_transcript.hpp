// How `aibud demo` prints what happened: interactions as a readable transcript, then each
// contact's final status, the credits used and left, and the dead letter queue.
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "storage/records.hpp"

namespace aibud::cli::demo {

// One interaction as transcript lines: "  Ana Souza > Hi" or "  aibud     < Hello...", polls
// with their options, photos and votes marked, the credits an answer cost.
void print_interaction(std::ostream& out, const storage::interaction& i,
                       const std::map<int64_t, std::string>& contact_names);

void print_summary(std::ostream& out, const std::vector<storage::contact>& contacts,
                   const storage::usage& usage, const std::vector<storage::dead_letter>& dlq);

}  // namespace aibud::cli::demo
