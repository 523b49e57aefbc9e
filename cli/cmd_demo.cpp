// aibud demo: the whole loop offline. At this stage it sets up what the loop needs — a
// database, a tenant and a sandbox instance — and says what is still to come.
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>

#include "base/crypto.hpp"
#include "base/time.hpp"
#include "cli/commands.hpp"
#include "cli/context.hpp"
#include "cli/output.hpp"
#include "runtime/config.hpp"
#include "runtime/views.hpp"
#include "storage/instances_repo.hpp"
#include "storage/tenants_repo.hpp"
#include "storage/usage_repo.hpp"

namespace aibud::cli {
namespace {

std::string temporary_database() {
  std::string dir = (std::filesystem::temp_directory_path() / "aibud-demo-XXXXXX").string();
  if (!mkdtemp(dir.data())) fail(errc::unavailable, "cannot create a temporary directory");
  return dir + "/demo.db";
}

void run_demo(context& ctx) {
  if (ctx.options().db.empty()) ctx.set_flag("db", temporary_database());
  auto& db = ctx.db();
  std::cout << "aibud demo\n\ndatabase: " << ctx.cfg().db << "\n";

  storage::tenants_repo tenants(db);
  auto tenant = must(tenants.create("demo-realty", "demo", 20, 1, "en"));
  auto usage = must(storage::usage_repo(db).current(tenant.id, time::now_ms()));
  std::cout << "tenant:   " << tenant.name << " (" << usage.left() << " credits this period)\n";

  // A sandbox records its sends instead of calling Evolution, so its secret can stay
  // unsealed here: the database is a throwaway.
  auto instance = must(storage::instances_repo(db).create("demo-sandbox", tenant.id, "sandbox", "",
                                                          "", crypto::random_base64url(32)));
  std::cout << "instance: " << instance.name << " (sandbox), webhook "
            << views::webhook_url(ctx.cfg().public_base_url(), instance.name) << "\n\n";

  std::cout << "Still to come: the scripted conversation (greeting, classification, poll, "
               "photos, valuation, handoff), its transcript, credits used and the DLQ.\n";
}

}  // namespace

void add_demo_command(CLI::App& app, context& ctx) {
  app.add_subcommand("demo", "the whole loop offline, on a temporary database")->callback([&ctx] {
    run_demo(ctx);
  });
}

}  // namespace aibud::cli
