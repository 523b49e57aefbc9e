// aibud dlq list|show|replay|purge: the dead letter queue. Listing reads the database; replay
// and purge change state the server owns, so they go through its admin API while it runs.
#include <iostream>

#include <SQLiteCpp/Database.h>
#include <CLI/CLI.hpp>

#include "cli/api_client.hpp"
#include "cli/commands.hpp"
#include "cli/context.hpp"
#include "cli/output.hpp"
#include "runtime/inspect.hpp"
#include "runtime/mutations.hpp"
#include "runtime/views.hpp"
#include "storage/failed_jobs_repo.hpp"
#include "storage/reader.hpp"
#include "storage/writer.hpp"

namespace aibud::cli {
namespace {

const std::vector<std::string> columns = {"id",    "job_id",   "instance", "contact",
                                          "error", "attempts", "failed_at"};

struct target_args {
  int64_t id = 0;
  bool all = false;
};

runtime::dlq_target target_of(const target_args& args, const std::string& verb) {
  if (args.all == (args.id != 0)) fail(errc::usage, "dlq " + verb + ": give an ID or --all");
  runtime::dlq_target target;
  if (!args.all) target.id = args.id;
  return target;
}

void list(context& ctx) {
  storage::read_context reads(ctx.db());
  std::vector<json> records;
  for (const auto& d : must(runtime::inspect::dead_letters(reads, std::nullopt)))
    records.push_back(views::dead_letter(d));
  print_listing(ctx.json(), records, columns);
}

void show(context& ctx, int64_t id) {
  storage::read_context reads(ctx.db());
  print_record(ctx.json(), views::dead_letter_detail(must(reads.failed_jobs().get(id))));
}

void replay(context& ctx, const target_args& args) {
  auto target = target_of(args, "replay");
  json out;
  if (auto api = server_for(ctx)) {
    std::string path = target.id ? "/api/v1/dlq/" + std::to_string(*target.id) + "/replay"
                                 : std::string("/api/v1/dlq/replay");
    out = must_call(*api, "POST", path);
  } else {
    auto& db = ctx.db();
    std::vector<int64_t> jobs;
    in_transaction(db, [&] {
      storage::write_context w(db);
      jobs = must(runtime::mutations::replay(w, target, "cli"));
    });
    out = json{{"replayed", jobs.size()}, {"jobs", jobs}};
  }
  if (ctx.json())
    print_json(out);
  else
    std::cout << "replayed " << out["replayed"].get<int64_t>() << " dead letter(s)\n";
}

void purge(context& ctx, const target_args& args) {
  auto target = target_of(args, "purge");
  json out;
  if (auto api = server_for(ctx)) {
    std::string path =
        target.id ? "/api/v1/dlq/" + std::to_string(*target.id) : std::string("/api/v1/dlq");
    out = must_call(*api, "DELETE", path);
  } else {
    auto& db = ctx.db();
    int count = 0;
    in_transaction(db, [&] {
      storage::write_context w(db);
      count = must(runtime::mutations::purge(w, target, "cli"));
    });
    out = json{{"purged", count}};
  }
  if (ctx.json())
    print_json(out);
  else
    std::cout << "purged " << out["purged"].get<int64_t>() << " dead letter(s)\n";
}

void add_target(CLI::App* cmd, target_args& args) {
  cmd->add_option("ID", args.id, "dead letter id")->check(CLI::PositiveNumber);
  cmd->add_flag("--all", args.all, "every dead letter");
}

}  // namespace

void add_dlq_commands(CLI::App& app, context& ctx) {
  auto* dlq = app.add_subcommand("dlq", "the dead letter queue");
  dlq->require_subcommand(1);
  dlq->add_subcommand("list", "every dead letter")->callback([&ctx] { list(ctx); });

  auto show_id = std::make_shared<int64_t>(0);
  auto* show_cmd = dlq->add_subcommand("show", "one dead letter with its event and steps");
  show_cmd->add_option("ID", *show_id, "dead letter id")->required();
  show_cmd->callback([&ctx, show_id] { show(ctx, *show_id); });

  auto r = std::make_shared<target_args>();
  auto* replay_cmd = dlq->add_subcommand("replay", "put dead letters back in the inbox");
  add_target(replay_cmd, *r);
  replay_cmd->callback([&ctx, r] { replay(ctx, *r); });

  auto p = std::make_shared<target_args>();
  auto* purge_cmd = dlq->add_subcommand("purge", "remove dead letters");
  add_target(purge_cmd, *p);
  purge_cmd->callback([&ctx, p] { purge(ctx, *p); });
}

}  // namespace aibud::cli
