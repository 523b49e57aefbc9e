#include "tests/admin/admin_fixture.hpp"

#include <SQLiteCpp/Database.h>

#include <stdexcept>

#include "base/crypto.hpp"
#include "runtime/admin_api.hpp"
#include "storage/audit_repo.hpp"
#include "storage/contacts_repo.hpp"
#include "storage/database.hpp"
#include "storage/failed_jobs_repo.hpp"
#include "storage/instances_repo.hpp"
#include "storage/jobs_repo.hpp"
#include "storage/tenants_repo.hpp"
#include "storage/tokens_repo.hpp"

namespace aibud::testing {
namespace {

template <class T>
T need(result<T> r) {
  if (!r) throw std::runtime_error(r.err().message);
  return std::move(r).value();
}

storage::db_options options_of(const std::string& path) {
  storage::db_options o;
  o.path = path;
  o.sync = "NORMAL";
  return o;
}

}  // namespace

admin_fixture::admin_fixture(std::size_t reader_queue) {
  seed();
  storage::writer_options w;
  w.db = options_of(db_path());
  writer_ = need(storage::writer::start(w));
  storage::reader_options r;
  r.db = options_of(db_path());
  r.queue_capacity = reader_queue;
  reader_ = need(storage::reader::start(r));
  control_ = std::make_unique<runtime::storage_control>(*writer_);
  runtime::add_admin_routes(routes_, *reader_, *control_,
                            {"https://bot.example", std::chrono::hours(12)});
  http::server_options s;
  s.port = 0;
  s.threads = 2;
  server_ = std::make_unique<http::server>(s, routes_.as_handler());
  if (auto started = server_->start(); !started) throw std::runtime_error(started.err().message);
}

admin_fixture::~admin_fixture() {
  server_->stop();
  reader_->stop();
  writer_->stop();
}

void admin_fixture::seed() {
  auto db = need(storage::open_ready(options_of(db_path())));
  storage::tenants_repo tenants(*db);
  acme = need(tenants.create("acme", "standard", 100, 1, "en")).id;
  globex = need(tenants.create("globex", "standard", 50, 1, "en")).id;
  storage::instances_repo instances(*db);
  shop = need(instances.create("shop", acme, "sandbox", "", "", "")).id;
  other = need(instances.create("other", globex, "sandbox", "", "", "")).id;

  storage::contacts_repo contacts(*db);
  auto c = need(contacts.create(shop, "5511999990001@s.whatsapp.net", "Ana"));
  c.status = "qualified";
  need(contacts.save(c));
  shop_contact = c.id;
  need(storage::contact_aliases_repo(*db).add(shop, "123456@lid", c.id));
  need(contacts.create(other, "5511888880002@s.whatsapp.net", "Bo"));

  storage::jobs_repo jobs(*db);
  auto add_job = [&](int64_t instance, const std::string& key, int n) {
    storage::new_job j;
    j.instance_id = instance;
    j.wa_message_id = "m" + std::to_string(instance) + "-" + std::to_string(n);
    j.event = "messages.upsert";
    j.contact_key = key;
    j.payload = R"({"event":"messages.upsert"})";
    return need(jobs.insert(j));
  };
  for (int n = 0; n < 5; ++n) shop_jobs.push_back(add_job(shop, "5511999990001@s.whatsapp.net", n));
  for (int n = 0; n < 2; ++n)
    other_jobs.push_back(add_job(other, "5511888880002@s.whatsapp.net", n));
  storage::failed_jobs_repo dlq(*db);
  shop_dead = need(dlq.record(shop_jobs[0], "ai: 500 upstream"));
  other_dead = need(dlq.record(other_jobs[0], "evolution: 400"));

  storage::tokens_repo tokens(*db);
  auto token = [&](const std::string& role, std::optional<int64_t> tenant, std::string& text) {
    text = crypto::random_base64url(24);
    return need(tokens.create(crypto::sha256_hex(text), role, tenant)).id;
  };
  owner_id = token("owner", std::nullopt, owner);
  admin_id = token("admin", std::nullopt, admin);
  token("viewer", std::nullopt, viewer);
  token("viewer", acme, acme_viewer);
  acme_admin_id = token("admin", acme, acme_admin);
  need(tokens.revoke(token("owner", std::nullopt, revoked)));
}

api_reply admin_fixture::call(const std::string& method, const std::string& target,
                              const std::string& token, const std::string& body) {
  http_connection connection("127.0.0.1", server_->port());
  http_headers headers;
  if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
  if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
  auto r = connection.request(method, target, body, headers);
  api_reply out;
  out.status = r.status;
  out.retry_after = r.header("Retry-After");
  out.body = nlohmann::json::parse(r.body, nullptr, false);
  return out;
}

std::vector<storage::audit_entry> admin_fixture::audit() {
  auto db = need(storage::open_ready(options_of(db_path())));
  auto entries = need(storage::audit_repo(*db).list(1000));
  return {entries.rbegin(), entries.rend()};
}

}  // namespace aibud::testing
