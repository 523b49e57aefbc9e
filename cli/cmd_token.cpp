// aibud token create|list|revoke: admin API tokens. A token is printed once and stored only
// as its SHA-256.
#include <iostream>

#include <CLI/CLI.hpp>

#include "base/crypto.hpp"
#include "cli/commands.hpp"
#include "cli/context.hpp"
#include "cli/output.hpp"
#include "runtime/views.hpp"
#include "storage/tenants_repo.hpp"
#include "storage/tokens_repo.hpp"

namespace aibud::cli {
namespace {

const std::vector<std::string> columns = {"id", "role", "tenant_id", "created_at", "revoked_at"};

void create(context& ctx, const std::string& role, const std::string& tenant) {
  auto& db = ctx.db();
  std::optional<int64_t> tenant_id;
  if (!tenant.empty()) tenant_id = must(storage::tenants_repo(db).find(tenant)).id;
  // 256 bits from the CSPRNG; the prefix lets secret scanners recognise a leaked token.
  std::string token = "aibud_" + crypto::random_base64url(32);
  storage::api_token created;
  in_transaction(db, [&] {
    created = must(storage::tokens_repo(db).create(crypto::sha256_hex(token), role, tenant_id));
    audit(db, "token.create", std::to_string(created.id), tenant_id, json{{"role", role}}.dump());
  });
  json out = views::token(created);
  out["token"] = token;
  print_record(ctx.json(), out);
}

void list(context& ctx) {
  std::vector<json> records;
  for (const auto& t : must(storage::tokens_repo(ctx.db()).list()))
    records.push_back(views::token(t));
  print_listing(ctx.json(), records, columns);
}

void revoke(context& ctx, int64_t id) {
  auto& db = ctx.db();
  storage::tokens_repo tokens(db);
  auto t = must(tokens.get(id));
  in_transaction(db, [&] {
    must(tokens.revoke(id));
    audit(db, "token.revoke", std::to_string(id), t.tenant_id);
  });
  print_record(ctx.json(), views::token(must(tokens.get(id))));
}

}  // namespace

void add_token_commands(CLI::App& app, context& ctx) {
  auto* token = app.add_subcommand("token", "admin API tokens");
  token->require_subcommand(1);

  auto role = std::make_shared<std::string>();
  auto tenant = std::make_shared<std::string>();
  auto* create_cmd = token->add_subcommand("create", "a new token, printed once");
  create_cmd->add_option("--role", *role, "owner, admin or viewer")
      ->required()
      ->check(CLI::IsMember({"owner", "admin", "viewer"}));
  create_cmd->add_option("--tenant", *tenant, "limit the token to one tenant (id or name)");
  create_cmd->callback([&ctx, role, tenant] { create(ctx, *role, *tenant); });

  token->add_subcommand("list", "every token (never their values)")->callback([&ctx] {
    list(ctx);
  });

  auto id = std::make_shared<int64_t>(0);
  auto* revoke_cmd = token->add_subcommand("revoke", "revoke a token");
  revoke_cmd->add_option("ID", *id, "token id")->required()->check(CLI::PositiveNumber);
  revoke_cmd->callback([&ctx, id] { revoke(ctx, *id); });
}

}  // namespace aibud::cli
