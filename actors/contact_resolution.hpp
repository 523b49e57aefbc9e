// One person, one contact (ARCHITECTURE §2): the JIDs an event names (phone JID, LID) are
// resolved through contact_aliases to one contacts row, created on first sight. Runs inside
// the storage writer's transaction (the first write of a job).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "storage/records.hpp"
#include "storage/writer.hpp"

namespace aibud::actors {

bool is_phone_jid(const std::string& jid);  // ...@s.whatsapp.net

// The contact these JIDs name, with every JID added as its alias and the phone JID made
// canonical once known. When they name two contacts (a LID-only contact and a phone-only
// contact of the same person), the one holding the phone JID (else the older) absorbs the
// other: aliases, interactions and sent messages move, the other row is removed.
// Errors: invalid_argument when `jids` is empty; storage errors.
result<storage::contact> resolve_contact(storage::write_context& w, int64_t instance_id,
                                         const std::vector<std::string>& jids,
                                         const std::string& push_name);

}  // namespace aibud::actors
