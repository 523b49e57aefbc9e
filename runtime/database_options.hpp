// The storage options the configuration asks for (db, storage.sync, storage.busy_timeout):
// one place, so the server, the job system and the CLI open the database alike.
#pragma once

#include "runtime/config.hpp"
#include "storage/database.hpp"

namespace aibud::runtime {

storage::db_options database_options(const config::config& cfg);

}  // namespace aibud::runtime
