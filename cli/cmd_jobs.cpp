// aibud jobs list: the durable inbox, read from the database (readers never disturb a
// running server: WAL).
#include <SQLiteCpp/Database.h>
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/context.hpp"
#include "cli/output.hpp"
#include "runtime/inspect.hpp"
#include "runtime/views.hpp"
#include "storage/instances_repo.hpp"
#include "storage/reader.hpp"

namespace aibud::cli {
namespace {

const std::vector<std::string> columns = {"id",       "instance",   "contact",   "status",
                                          "attempts", "updated_at", "last_error"};

struct list_args {
  std::string status;
  std::string instance;
  int limit = 1000;
  int64_t after = 0;
};

void list(context& ctx, const list_args& args) {
  storage::read_context reads(ctx.db());
  runtime::inspect::jobs_query q;
  if (!args.status.empty()) q.status = args.status;
  if (!args.instance.empty())
    q.instance_id = must(reads.instances().find_by_name(args.instance)).id;
  q.limit = args.limit;
  q.after = args.after;
  std::vector<json> records;
  for (const auto& j : must(runtime::inspect::jobs(reads, q)).items)
    records.push_back(views::job(j));
  print_listing(ctx.json(), records, columns);
}

}  // namespace

void add_jobs_commands(CLI::App& app, context& ctx) {
  auto* jobs = app.add_subcommand("jobs", "the durable inbox");
  jobs->require_subcommand(1);
  auto args = std::make_shared<list_args>();
  auto* list_cmd = jobs->add_subcommand("list", "jobs by id, oldest first");
  list_cmd->add_option("--status", args->status,
                       "pending, running, waiting, done, skipped, merged, out_of_credits or "
                       "failed");
  list_cmd->add_option("--instance", args->instance, "only this instance's");
  list_cmd->add_option("--limit", args->limit, "at most this many (1-1000)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  list_cmd->add_option("--after", args->after, "only ids above this one (the next page)")
      ->check(CLI::NonNegativeNumber);
  list_cmd->callback([&ctx, args] { list(ctx, *args); });
}

}  // namespace aibud::cli
