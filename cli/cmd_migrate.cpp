// aibud migrate up|down [--to N]|status: the only command that opens a database whose schema
// is not the binary's.
#include <iostream>

#include <CLI/CLI.hpp>

#include "base/crypto.hpp"
#include "base/time.hpp"
#include "cli/commands.hpp"
#include "cli/context.hpp"
#include "cli/output.hpp"
#include "runtime/secrets.hpp"
#include "storage/instances_repo.hpp"
#include "storage/migrations.hpp"

namespace aibud::cli {
namespace {

json status_view(const storage::migration_status_info& info) {
  json applied = json::array();
  for (const auto& m : info.applied)
    applied.push_back(
        {{"version", m.version}, {"name", m.name}, {"applied_at", time::to_iso8601(m.applied_at)}});
  json pending = json::array();
  for (const auto& m : info.pending) pending.push_back({{"version", m.version}, {"name", m.name}});
  return json{{"current", info.current},
              {"latest", info.latest},
              {"applied", applied},
              {"pending", pending}};
}

void print_status(context& ctx) {
  auto info = must(storage::migration_status(ctx.raw_db()));
  if (ctx.json()) {
    print_json(status_view(info));
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& m : info.applied)
    rows.push_back(
        {std::to_string(m.version), m.name, "applied " + time::to_iso8601(m.applied_at)});
  for (const auto& m : info.pending) rows.push_back({std::to_string(m.version), m.name, "pending"});
  print_table({"version", "name", "state"}, rows);
  std::cout << "schema " << info.current << " of " << info.latest << "\n";
}

void up(context& ctx, int to) {
  auto& db = ctx.raw_db();
  int reached = must(storage::migrate_up(db, to));
  int sealed = must(secrets::seal_clear_secrets(db, must(secrets::sealer::from_env())));
  if (ctx.json()) {
    print_json({{"current", reached}, {"latest", storage::latest_version()}, {"sealed", sealed}});
  } else {
    std::cout << "schema " << reached << " of " << storage::latest_version() << "\n";
    if (sealed > 0) std::cout << "encrypted " << sealed << " stored secrets\n";
  }
}

void down(context& ctx, int to) {
  int reached = must(storage::migrate_down(ctx.raw_db(), to));
  if (ctx.json())
    print_json({{"current", reached}, {"latest", storage::latest_version()}});
  else
    std::cout << "schema " << reached << " of " << storage::latest_version() << "\n";
}

}  // namespace

void add_migrate_commands(CLI::App& app, context& ctx) {
  auto* migrate = app.add_subcommand("migrate", "schema versions");
  migrate->require_subcommand(1);

  auto* up_cmd = migrate->add_subcommand("up", "apply pending migrations");
  auto up_to = std::make_shared<int>(-1);
  up_cmd->add_option("--to", *up_to, "target version (default: latest)")
      ->check(CLI::NonNegativeNumber);
  up_cmd->callback([&ctx, up_to] { up(ctx, *up_to); });

  auto* down_cmd = migrate->add_subcommand("down", "undo migrations");
  auto down_to = std::make_shared<int>(-1);
  down_cmd->add_option("--to", *down_to, "target version (default: one step down)")
      ->check(CLI::NonNegativeNumber);
  down_cmd->callback([&ctx, down_to] {
    int to = *down_to;
    if (to < 0) to = std::max(0, must(storage::current_version(ctx.raw_db())) - 1);
    down(ctx, to);
  });

  migrate->add_subcommand("status", "applied and pending migrations")->callback([&ctx] {
    print_status(ctx);
  });
}

}  // namespace aibud::cli
