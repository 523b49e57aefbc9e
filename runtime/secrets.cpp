#include "runtime/secrets.hpp"

#include <cstdlib>

#include "storage/instances_repo.hpp"

namespace aibud::secrets {

result<sealer> sealer::from_env() {
  const char* value = std::getenv("AIBUD_SECRET_KEY");
  if (!value || !*value) return from_master(std::nullopt);
  return from_master(std::string_view(value));
}

result<sealer> sealer::from_master(std::optional<std::string_view> master_secret) {
  if (!master_secret) return sealer(std::nullopt);
  auto box = crypto::secret_box::from_master(*master_secret);
  if (!box) return error{errc::invalid_argument, "AIBUD_SECRET_KEY: " + box.err().message};
  return sealer(std::move(box).value());
}

std::string sealer::seal(std::string_view clear) const {
  if (!box_ || clear.empty()) return std::string(clear);
  return box_->seal(clear);
}

result<std::string> sealer::open(std::string_view stored, const std::string& what) const {
  if (!crypto::secret_box::is_sealed(stored)) return std::string(stored);
  if (!box_)
    return error{errc::unavailable, what + " is encrypted and AIBUD_SECRET_KEY is not set"};
  auto clear = box_->open(stored);
  if (!clear) return error{errc::unavailable, what + " cannot be decrypted with AIBUD_SECRET_KEY"};
  return clear;
}

namespace {

status open_all(const std::vector<storage::instance_secrets>& rows, const sealer& s) {
  for (const auto& row : rows) {
    auto api_key = s.open(row.api_key, "instance " + row.name + ": api_key");
    if (!api_key) return api_key.err();
    auto secret = s.open(row.webhook_secret, "instance " + row.name + ": webhook_secret");
    if (!secret) return secret.err();
  }
  return ok_status();
}

}  // namespace

result<int> seal_clear_secrets(SQLite::Database& db, const sealer& s) {
  storage::instances_repo instances(db);
  auto rows = instances.all_secrets();
  if (!rows) return rows.err();
  if (auto opened = open_all(*rows, s); !opened) return opened.err();
  if (!s.encrypting()) return 0;
  return storage::reseal_instance_secrets(
      db, [&](std::string_view clear) { return s.seal(clear); }, &crypto::secret_box::is_sealed);
}

status verify_instance_secrets(SQLite::Database& db, const sealer& s) {
  storage::instances_repo instances(db);
  auto rows = instances.all_secrets();
  if (!rows) return rows.err();
  return open_all(*rows, s);
}

}  // namespace aibud::secrets
