// Secrets at rest (ARCHITECTURE §8): webhook secrets and Evolution API keys are sealed with
// AES-256-GCM under a key derived from AIBUD_SECRET_KEY. Without the variable they are stored
// in clear (and the command that stored one warns); `migrate up` seals them once it is set.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/crypto.hpp"
#include "base/error.hpp"

namespace SQLite {
class Database;
}

namespace aibud::secrets {

class sealer {
 public:
  // From AIBUD_SECRET_KEY. Errors: invalid_argument when it is set but shorter than 32
  // characters.
  static result<sealer> from_env();
  static result<sealer> from_master(std::optional<std::string_view> master_secret);

  // Whether sealed values are written (the variable is set).
  bool encrypting() const { return box_.has_value(); }

  // The value to store: sealed when encrypting, else the clear value.
  std::string seal(std::string_view clear) const;

  // The clear value of a stored one. `what` names it in errors ("instance main:
  // webhook_secret"). Errors: unavailable when it is sealed and the variable is unset or
  // holds another key.
  result<std::string> open(std::string_view stored, const std::string& what) const;

 private:
  explicit sealer(std::optional<crypto::secret_box> box) : box_(std::move(box)) {}
  std::optional<crypto::secret_box> box_;
};

// Checks that every sealed instance secret opens, then seals the clear ones (when
// encrypting). Returns how many were sealed. Errors: unavailable naming the first secret that
// cannot be decrypted.
result<int> seal_clear_secrets(SQLite::Database& db, const sealer& s);

// Checks that every stored instance secret can be opened (what `serve` needs).
status verify_instance_secrets(SQLite::Database& db, const sealer& s);

}  // namespace aibud::secrets
