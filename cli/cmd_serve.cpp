// aibud serve [--listen HOST:PORT]: webhooks, admin API, dashboard and actors.
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/context.hpp"
#include "runtime/logging.hpp"
#include "runtime/serve.hpp"

namespace aibud::cli {

void add_serve_command(CLI::App& app, context& ctx) {
  auto listen = std::make_shared<std::string>();
  auto* serve = app.add_subcommand("serve", "run the server until SIGTERM or SIGINT");
  serve->add_option("--listen", *listen, "HOST:PORT to listen on (default 127.0.0.1:8787)");
  serve->callback([&ctx, listen] {
    if (!listen->empty()) ctx.set_flag("listen", *listen);
    runtime::setup_logging(ctx.cfg());
    auto done = runtime::serve(ctx.cfg());
    if (!done) fail(done.err());
  });
}

}  // namespace aibud::cli
