// The `aibud` binary: global options, the subcommands, and the one place where a failure
// becomes `error: <code>: <message>` on stderr and an exit code (ARCHITECTURE §8).
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/context.hpp"

namespace {

std::string one_line(std::string text) {
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

int report(const aibud::error& err) {
  std::cerr << "error: " << aibud::to_string(err.code) << ": " << one_line(err.message) << "\n";
  return aibud::exit_code(err.code);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace aibud::cli;
  global_options options;
  context ctx(options);

  CLI::App app{"aibud: a self-hosted runtime for WhatsApp AI agents"};
  app.name("aibud");
  // Subcommands inherit fallthrough, so the global options below work after them too.
  app.fallthrough();
  app.require_subcommand(1);
  app.add_option("--config", options.config_path, "configuration file (JSON)");
  app.add_option("--db", options.db, "database file");
  app.add_option("--server", options.server, "URL of a running server");
  app.add_flag("--json", options.json, "machine-readable output");

  add_migrate_commands(app, ctx);
  add_tenant_commands(app, ctx);
  add_instance_commands(app, ctx);
  add_token_commands(app, ctx);
  add_demo_command(app, ctx);
  add_serve_command(app, ctx);
  add_jobs_commands(app, ctx);
  add_dlq_commands(app, ctx);
  add_contact_commands(app, ctx);
  add_actors_command(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::CallForAllHelp&) {
    std::cout << app.help("", CLI::AppFormatMode::All);
    return 0;
  } catch (const CLI::ParseError& e) {
    return report({aibud::errc::usage, e.what()});
  } catch (const failure& f) {
    return report(f.err);
  } catch (const std::exception& e) {
    return report({aibud::errc::internal, e.what()});
  }
  return 0;
}
