// aibud instance create|list|show|delete: WhatsApp numbers behind Evolution API, and sandboxes
// whose sends are recorded instead of sent.
#include <cctype>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "base/crypto.hpp"
#include "cli/api_client.hpp"
#include "cli/commands.hpp"
#include "cli/context.hpp"
#include "cli/instance_connect.hpp"
#include "cli/output.hpp"
#include "runtime/config.hpp"
#include "runtime/secrets.hpp"
#include "runtime/views.hpp"
#include "storage/instances_repo.hpp"
#include "storage/tenants_repo.hpp"

namespace aibud::cli {
namespace {

const std::vector<std::string> columns = {"id",   "name",  "tenant_id",
                                          "kind", "state", "evolution_url"};

struct create_args {
  std::string name;
  std::string tenant;
  std::string evolution_url;
  std::string key_env;
  bool sandbox = false;
};

// Instance names travel in webhook URLs and Evolution paths: keep them URL-safe.
void check_name(const std::string& name) {
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  bool ok = !name.empty() && name.size() <= 64 && alnum(name[0]);
  for (char c : name) ok = ok && (alnum(c) || c == '_' || c == '.' || c == '-');
  if (!ok)
    fail(errc::invalid_argument,
         "instance name must be 1-64 characters of letters, digits, '_', '.', '-', "
         "starting with a letter or digit");
}

// http(s)://host[/path], with a host and no blank anywhere.
void check_url(const std::string& url) {
  std::string_view rest = url;
  bool ok = false;
  for (std::string_view scheme : {"http://", "https://"})
    if (rest.substr(0, scheme.size()) == scheme) {
      rest.remove_prefix(scheme.size());
      ok = true;
      break;
    }
  ok = ok && !rest.empty() && rest.front() != '/';
  for (char c : rest) ok = ok && !std::isspace(static_cast<unsigned char>(c));
  if (!ok) fail(errc::invalid_argument, "--evolution-url must be an http:// or https:// URL");
}

// The Evolution API key never comes from argv: from the named variable, else from stdin.
std::string read_api_key(const create_args& args) {
  std::string key;
  if (!args.key_env.empty()) {
    const char* value = std::getenv(args.key_env.c_str());
    if (!value || !*value)
      fail(errc::invalid_argument, "--evolution-key-env: variable " + args.key_env + " is not set");
    key = value;
  } else {
    key.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  auto first = key.find_first_not_of(" \t\r\n");
  auto last = key.find_last_not_of(" \t\r\n");
  key = first == std::string::npos ? "" : key.substr(first, last - first + 1);
  if (key.empty())
    fail(errc::invalid_argument,
         "the Evolution API key is empty: pass --evolution-key-env VAR or pipe it on stdin");
  return key;
}

void create(context& ctx, const create_args& args) {
  check_name(args.name);
  if (args.sandbox && (!args.evolution_url.empty() || !args.key_env.empty()))
    fail(errc::usage, "--sandbox excludes --evolution-url and --evolution-key-env");
  if (!args.sandbox && args.evolution_url.empty())
    fail(errc::usage,
         "give --evolution-url URL (with --evolution-key-env VAR or the key on "
         "stdin), or --sandbox");
  if (!args.sandbox) check_url(args.evolution_url);
  std::string api_key = args.sandbox ? "" : read_api_key(args);

  auto sealer = must(secrets::sealer::from_env());
  auto& db = ctx.db();
  auto t = must(storage::tenants_repo(db).find(args.tenant));
  std::string webhook_secret = crypto::random_base64url(32);
  storage::instance created;
  in_transaction(db, [&] {
    created = must(storage::instances_repo(db).create(
        args.name, t.id, args.sandbox ? "sandbox" : "evolution", args.evolution_url,
        sealer.seal(api_key), sealer.seal(webhook_secret)));
    audit(db, "instance.create", created.name, t.id, json{{"kind", created.kind}}.dump());
  });

  // The secret is printed here once; only its sealed form is kept.
  json out = views::instance(created, ctx.cfg().public_base_url());
  out["webhook_secret"] = webhook_secret;
  print_record(ctx.json(), out);
  if (!sealer.encrypting())
    warn("AIBUD_SECRET_KEY is not set: the webhook secret and API key are stored unencrypted");
}

void list(context& ctx, const std::string& tenant) {
  auto& db = ctx.db();
  std::optional<int64_t> tenant_id;
  if (!tenant.empty()) tenant_id = must(storage::tenants_repo(db).find(tenant)).id;
  std::vector<json> records;
  for (const auto& i : must(storage::instances_repo(db).list(tenant_id)))
    records.push_back(views::instance(i, ctx.cfg().public_base_url()));
  print_listing(ctx.json(), records, columns);
}

void remove_directly(context& ctx, const std::string& name) {
  auto& db = ctx.db();
  storage::instances_repo instances(db);
  auto i = must(instances.find_by_name(name));
  in_transaction(db, [&] {
    must(instances.remove(name));
    audit(db, "instance.delete", name, i.tenant_id);
  });
}

void show(context& ctx, const std::string& name) {
  auto i = must(storage::instances_repo(ctx.db()).find_by_name(name));
  print_record(ctx.json(), views::instance(i, ctx.cfg().public_base_url()));
}

void remove(context& ctx, const std::string& name) {
  if (auto api = server_for(ctx)) {
    must_call(*api, "DELETE", "/api/v1/instances/" + path_segment(name));
  } else {
    remove_directly(ctx, name);
  }
  if (ctx.json())
    print_json({{"deleted", name}});
  else
    std::cout << "deleted instance " << name << "\n";
}

}  // namespace

void add_instance_commands(CLI::App& app, context& ctx) {
  auto* instance = app.add_subcommand("instance", "WhatsApp instances");
  instance->require_subcommand(1);

  auto c = std::make_shared<create_args>();
  auto* create_cmd = instance->add_subcommand("create", "a WhatsApp number or a sandbox");
  create_cmd->add_option("NAME", c->name, "unique name, used in the webhook URL")->required();
  create_cmd->add_option("--tenant", c->tenant, "tenant id or name")->required();
  create_cmd->add_option("--evolution-url", c->evolution_url, "Evolution API base URL");
  create_cmd->add_option("--evolution-key-env", c->key_env,
                         "environment variable holding the instance's Evolution API key "
                         "(else read from stdin)");
  create_cmd->add_flag("--sandbox", c->sandbox, "record sends instead of sending them");
  create_cmd->callback([&ctx, c] { create(ctx, *c); });

  auto list_tenant = std::make_shared<std::string>();
  auto* list_cmd = instance->add_subcommand("list", "every instance");
  list_cmd->add_option("--tenant", *list_tenant, "only this tenant's");
  list_cmd->callback([&ctx, list_tenant] { list(ctx, *list_tenant); });

  auto show_name = std::make_shared<std::string>();
  auto* show_cmd = instance->add_subcommand("show", "one instance");
  show_cmd->add_option("NAME", *show_name, "instance name")->required();
  show_cmd->callback([&ctx, show_name] { show(ctx, *show_name); });

  add_instance_connect_command(*instance, ctx);

  auto delete_name = std::make_shared<std::string>();
  auto* delete_cmd = instance->add_subcommand("delete", "remove an instance and its jobs");
  delete_cmd->add_option("NAME", *delete_name, "instance name")->required();
  delete_cmd->callback([&ctx, delete_name] { remove(ctx, *delete_name); });
}

}  // namespace aibud::cli
