// Read-side queries shared by the admin API (on storage::reader threads) and the CLI (on its
// own connection): listings with tenant scope applied, contacts by any of their JIDs, and a
// tenant's current period without writing (a read-only connection cannot create the row).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "storage/records.hpp"

namespace aibud::storage {
class read_context;
}

namespace aibud::runtime::inspect {

// The current period's usage of `t`; a period nobody has used yet is shown as it will be
// created (the tenant's limit, nothing granted, used or reserved).
result<storage::usage> current_usage(storage::read_context& r, const storage::tenant& t);

struct jobs_query {
  std::optional<std::string> status;
  std::optional<int64_t> instance_id;
  std::optional<int64_t> tenant_id;  // only this tenant's instances
  int limit = 100;
  int64_t after = 0;  // ids greater than this
};

struct jobs_page {
  std::vector<storage::job> items;    // ascending id
  std::optional<int64_t> next_after;  // pass as `after` for the next page; none: last page
};

// Errors: invalid_argument (unknown status, limit outside 1..1000).
result<jobs_page> jobs(storage::read_context& r, const jobs_query& q);

// Every dead letter (of one tenant when set), ascending id.
result<std::vector<storage::dead_letter>> dead_letters(storage::read_context& r,
                                                       std::optional<int64_t> tenant_id);

// The tenant owning an instance. Errors: not_found.
result<int64_t> tenant_of_instance(storage::read_context& r, int64_t instance_id);

// A JID as typed: bare digits (a phone number, '+', spaces and dashes allowed) become
// "<digits>@s.whatsapp.net"; anything with '@' is kept. Errors: invalid_argument.
result<std::string> normalize_jid(std::string_view text);

// The contact a JID names (phone JID, LID or digits), through contact_aliases.
// Errors: invalid_argument, not_found.
result<storage::contact> find_contact(storage::read_context& r, int64_t instance_id,
                                      std::string_view jid);

}  // namespace aibud::runtime::inspect
