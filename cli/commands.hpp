// Each file cmd_<name>.cpp adds one subcommand tree to the application.
#pragma once

namespace CLI {
class App;
}

namespace aibud::cli {

class context;

void add_migrate_commands(CLI::App& app, context& ctx);
void add_tenant_commands(CLI::App& app, context& ctx);
void add_instance_commands(CLI::App& app, context& ctx);
void add_token_commands(CLI::App& app, context& ctx);
void add_demo_command(CLI::App& app, context& ctx);
void add_serve_command(CLI::App& app, context& ctx);
void add_jobs_commands(CLI::App& app, context& ctx);
void add_dlq_commands(CLI::App& app, context& ctx);
void add_contact_commands(CLI::App& app, context& ctx);
void add_actors_command(CLI::App& app, context& ctx);

}  // namespace aibud::cli
