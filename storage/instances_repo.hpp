// The instances table: WhatsApp numbers (Evolution) and sandboxes, their sealed secrets and
// connection state.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "base/error.hpp"
#include "storage/records.hpp"

namespace aibud::storage {

class instances_repo {
 public:
  explicit instances_repo(SQLite::Database& db);

  // `kind` is evolution | sandbox; the secrets are stored as given (seal them first).
  // Errors: invalid_argument (empty name, bad kind); conflict when the name exists;
  // not_found when the tenant does not.
  result<instance> create(const std::string& name, int64_t tenant_id, const std::string& kind,
                          const std::string& evolution_url, const std::string& sealed_api_key,
                          const std::string& sealed_webhook_secret);

  result<instance> find_by_name(std::string_view name);  // Errors: not_found
  result<instance> get(int64_t id);                      // Errors: not_found
  result<std::vector<instance>> list(std::optional<int64_t> tenant_id = std::nullopt);  // by id

  // Deletes the instance and (by cascade) its jobs. Errors: not_found.
  status remove(std::string_view name);

  // Records a connection state (open, close, connecting, unauthorized, ...) with its QR code
  // and pairing code (cleared when not given). Errors: not_found.
  status update_state(std::string_view name, const std::string& state,
                      const std::optional<std::string>& qr_code = std::nullopt,
                      const std::optional<std::string>& pairing_code = std::nullopt);
  status set_owner_jid(int64_t id, const std::string& owner_jid);

  status set_secrets(int64_t id, const std::string& api_key, const std::string& webhook_secret);
  result<std::vector<instance_secrets>> all_secrets();

 private:
  SQLite::Database& db_;
  SQLite::Statement insert_;
  SQLite::Statement tenant_exists_;
  SQLite::Statement by_name_;
  SQLite::Statement by_id_;
  SQLite::Statement list_all_;
  SQLite::Statement list_tenant_;
  SQLite::Statement delete_;
  SQLite::Statement update_state_;
  SQLite::Statement set_owner_;
  SQLite::Statement set_secrets_;
  SQLite::Statement secrets_;
};

// Seals every instance secret still stored in clear (what `migrate up` does once
// AIBUD_SECRET_KEY is set), in one transaction. Returns how many values were sealed.
// `is_sealed` is typically crypto::secret_box::is_sealed; empty values are left alone.
result<int> reseal_instance_secrets(SQLite::Database& db,
                                    const std::function<std::string(std::string_view)>& seal,
                                    const std::function<bool(std::string_view)>& is_sealed);

}  // namespace aibud::storage
