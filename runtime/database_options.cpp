#include "runtime/database_options.hpp"

namespace aibud::runtime {

storage::db_options database_options(const config::config& cfg) {
  storage::db_options options;
  options.path = cfg.db;
  options.sync = cfg.storage.sync;
  options.busy_timeout_ms = static_cast<int>(cfg.storage.busy_timeout.count());
  return options;
}

}  // namespace aibud::runtime
