// The admin API in-process over real loopback HTTP: a seeded database in a temp dir, the
// storage writer and reader, storage_control, the router with the admin routes, a server on
// an ephemeral port, and tokens of every role.
//
// Seed: tenants acme and globex; instances shop (acme) and other (globex); in shop a
// contact 5511999990001@s.whatsapp.net (status qualified, alias 123456@lid) and in other
// 5511888880002@s.whatsapp.net; five jobs on shop and two on other; dead letters for the
// first job of each instance.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "adapters/http/router.hpp"
#include "adapters/http/server.hpp"
#include "runtime/storage_control.hpp"
#include "storage/reader.hpp"
#include "storage/records.hpp"
#include "storage/writer.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/temp_dir.hpp"

namespace aibud::testing {

struct api_reply {
  int status = 0;
  nlohmann::json body;
  std::string retry_after;
};

class admin_fixture {
 public:
  // `reader_queue` 0 makes every read refused (the 503 path).
  explicit admin_fixture(std::size_t reader_queue = 64);
  ~admin_fixture();

  // One request with `Authorization: Bearer <token>` (none when token is empty).
  api_reply call(const std::string& method, const std::string& target, const std::string& token,
                 const std::string& body = "");

  // Audit entries, oldest first, read on a fresh connection.
  std::vector<storage::audit_entry> audit();
  // A fresh connection for checks on what the API committed.
  std::string db_path() const { return dir_.file("aibud.db"); }

  std::string owner, admin, viewer, acme_viewer, acme_admin, revoked;
  int64_t owner_id = 0, admin_id = 0, acme_admin_id = 0;
  int64_t acme = 0, globex = 0;
  int64_t shop = 0, other = 0;
  std::vector<int64_t> shop_jobs, other_jobs;
  int64_t shop_dead = 0, other_dead = 0;
  int64_t shop_contact = 0;

 private:
  void seed();

  temp_dir dir_;
  std::unique_ptr<storage::writer> writer_;
  std::unique_ptr<storage::reader> reader_;
  std::unique_ptr<runtime::storage_control> control_;
  http::router routes_;
  std::unique_ptr<http::server> server_;
};

}  // namespace aibud::testing
