// aibud actors: the live actor tree of a running server, from its admin API.
#include <CLI/CLI.hpp>

#include "cli/api_client.hpp"
#include "cli/commands.hpp"
#include "cli/context.hpp"
#include "cli/output.hpp"

namespace aibud::cli {

void add_actors_command(CLI::App& app, context& ctx) {
  app.add_subcommand("actors", "the live actor tree of a running server")->callback([&ctx] {
    json tree = must_call(require_server(ctx), "GET", "/api/v1/actors");
    std::vector<json> records(tree.begin(), tree.end());
    print_listing(ctx.json(), records,
                  {"path", "kind", "state", "mailbox", "job", "restarts", "last_activity"});
  });
}

}  // namespace aibud::cli
