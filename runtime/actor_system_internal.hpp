// The CAF side of runtime::system, for runtime/ .cpp files (and their tests) only: the
// actor system to spawn in and the root supervisor to add children to.
#pragma once

#include <caf/actor_system.hpp>

#include "runtime/actor_system.hpp"
#include "runtime/supervisor.hpp"

namespace aibud::runtime {

caf::actor_system& caf_system(system& s);
supervisor_actor root_supervisor(system& s);

// A tree node as JSON: {"name","kind","state","restarts","children":[...]}.
nlohmann::json to_json(const tree_node& node);

}  // namespace aibud::runtime
