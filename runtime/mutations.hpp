// The changes behind runtime::control, as plain functions on a write connection: each makes
// its change and appends its audit_log entry (actor "token:<id>" or "cli") inside one
// savepoint, so both land or neither does. storage_control runs them on the storage writer;
// the CLI runs them in its own transaction when no server holds the database.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "runtime/control.hpp"
#include "storage/records.hpp"

namespace aibud::storage {
class write_context;
}

namespace aibud::runtime::mutations {

status grant(storage::write_context& w, int64_t tenant_id, int64_t credits,
             const std::string& actor);
status update_tenant(storage::write_context& w, int64_t tenant_id, const tenant_update& changes,
                     const std::string& actor);
result<storage::contact> pause_contact(storage::write_context& w, const contact_ref& contact,
                                       int64_t until, const std::string& actor);
result<storage::contact> resume_contact(storage::write_context& w, const contact_ref& contact,
                                        const std::string& actor);
result<std::vector<int64_t>> replay(storage::write_context& w, const dlq_target& target,
                                    const std::string& actor);
result<int> purge(storage::write_context& w, const dlq_target& target, const std::string& actor);
status delete_instance(storage::write_context& w, const std::string& name,
                       const std::string& actor);

}  // namespace aibud::runtime::mutations
