// aibud tenant create|list|show|update|grant: SaaS customers and their monthly credits.
#include <CLI/CLI.hpp>

#include "adapters/ai/model_router.hpp"
#include "base/time.hpp"
#include "cli/api_client.hpp"
#include "cli/commands.hpp"
#include "cli/context.hpp"
#include "cli/output.hpp"
#include "runtime/views.hpp"
#include "storage/tenants_repo.hpp"
#include "storage/usage_repo.hpp"

namespace aibud::cli {
namespace {

const std::vector<std::string> columns = {"id",           "name",         "plan",      "status",
                                          "credits_used", "credits_left", "period_end"};

json view(SQLite::Database& db, const storage::tenant& t) {
  storage::usage_repo usage(db);
  return views::tenant(t, must(usage.current(t.id, time::now_ms())));
}

struct create_args {
  std::string name;
  std::string plan = "standard";
  int64_t credits = 0;
  int anchor_day = 0;
  std::string language = "en";
};

void create(context& ctx, const create_args& args) {
  auto& db = ctx.db();
  int anchor = args.anchor_day ? args.anchor_day : time::default_anchor_day(time::now_ms());
  storage::tenant t;
  in_transaction(db, [&] {
    t = must(storage::tenants_repo(db).create(args.name, args.plan, args.credits, anchor,
                                              args.language));
    audit(db, "tenant.create", t.name, t.id);
  });
  print_record(ctx.json(), view(db, t));
}

void list(context& ctx) {
  auto& db = ctx.db();
  std::vector<json> records;
  for (const auto& t : must(storage::tenants_repo(db).list())) records.push_back(view(db, t));
  print_listing(ctx.json(), records, columns);
}

void show(context& ctx, const std::string& id) {
  auto& db = ctx.db();
  print_record(ctx.json(), view(db, must(storage::tenants_repo(db).find(id))));
}

struct update_args {
  std::string id;
  std::optional<std::string> plan;
  std::optional<int64_t> credits;
  std::optional<std::string> language;
  ai::model_overrides models;
};

void update(context& ctx, const update_args& args) {
  if (!args.plan && !args.credits && !args.language && args.models.empty())
    fail(errc::usage,
         "tenant update: nothing to change (use --plan, --credits, --language or a --*-model)");
  json changes = json::object();
  if (args.plan) changes["plan"] = *args.plan;
  if (args.credits) changes["credits_limit"] = *args.credits;
  if (args.language) changes["language"] = *args.language;
  if (args.models.fast) changes["fast_model"] = *args.models.fast;
  if (args.models.strong) changes["strong_model"] = *args.models.strong;
  if (args.models.fallback) changes["fallback_model"] = *args.models.fallback;
  if (auto api = server_for(ctx))
    return print_record(
        ctx.json(), must_call(*api, "PATCH", "/api/v1/tenants/" + path_segment(args.id), changes));
  auto& db = ctx.db();
  storage::tenants_repo tenants(db);
  auto t = must(tenants.find(args.id));
  in_transaction(db, [&] {
    std::optional<std::string> settings;
    if (!args.models.empty()) settings = must(ai::with_models(t.settings, args.models));
    must(tenants.update(t.id, {args.plan, std::nullopt, args.language, settings}));
    if (args.credits)
      must(storage::usage_repo(db).set_limit_from_current(t.id, *args.credits, time::now_ms()));
    audit(db, "tenant.update", t.name, t.id, changes.dump());
  });
  print_record(ctx.json(), view(db, must(tenants.get(t.id))));
}

void grant(context& ctx, const std::string& id, int64_t credits) {
  if (auto api = server_for(ctx))
    return print_record(ctx.json(),
                        must_call(*api, "POST", "/api/v1/tenants/" + path_segment(id) + "/grant",
                                  json{{"credits", credits}}));
  auto& db = ctx.db();
  auto t = must(storage::tenants_repo(db).find(id));
  in_transaction(db, [&] {
    must(storage::usage_repo(db).grant(t.id, credits, time::now_ms()));
    audit(db, "tenant.grant", t.name, t.id, json{{"credits", credits}}.dump());
  });
  print_record(ctx.json(), view(db, t));
}

}  // namespace

void add_tenant_commands(CLI::App& app, context& ctx) {
  auto* tenant = app.add_subcommand("tenant", "SaaS customers and their credits");
  tenant->require_subcommand(1);

  auto c = std::make_shared<create_args>();
  auto* create_cmd = tenant->add_subcommand("create", "a new tenant (NAME is unique)");
  create_cmd->add_option("NAME", c->name, "unique name")->required();
  create_cmd->add_option("--plan", c->plan, "plan name")->capture_default_str();
  create_cmd->add_option("--credits", c->credits, "monthly credit limit")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  create_cmd->add_option("--anchor-day", c->anchor_day, "billing day 1-28 (default: today)")
      ->check(CLI::Range(1, 28));
  create_cmd->add_option("--language", c->language, "en or pt-BR")
      ->check(CLI::IsMember({"en", "pt-BR"}))
      ->capture_default_str();
  create_cmd->callback([&ctx, c] { create(ctx, *c); });

  tenant->add_subcommand("list", "every tenant")->callback([&ctx] { list(ctx); });

  auto show_id = std::make_shared<std::string>();
  auto* show_cmd = tenant->add_subcommand("show", "one tenant and its current period");
  show_cmd->add_option("ID", *show_id, "id or name")->required();
  show_cmd->callback([&ctx, show_id] { show(ctx, *show_id); });

  // CLI11 2.1 has no std::optional options: values land in `raw` and count() says which
  // were given.
  auto u = std::make_shared<update_args>();
  auto raw = std::make_shared<update_args>();
  raw->plan = raw->language = "";
  raw->credits = 0;
  auto* update_cmd = tenant->add_subcommand("update", "change plan, monthly credits or language");
  update_cmd->add_option("ID", u->id, "id or name")->required();
  auto* plan = update_cmd->add_option("--plan", *raw->plan, "plan name");
  auto* credits =
      update_cmd
          ->add_option("--credits", *raw->credits, "monthly limit, from the current period on")
          ->check(CLI::NonNegativeNumber);
  auto* language = update_cmd->add_option("--language", *raw->language, "en or pt-BR")
                       ->check(CLI::IsMember({"en", "pt-BR"}));
  // "" gives a model back to the server's default (ai.gemini.*_model).
  raw->models = {std::string(), std::string(), std::string()};
  auto* fast = update_cmd->add_option("--fast-model", *raw->models.fast, "model for short texts");
  auto* strong = update_cmd->add_option("--strong-model", *raw->models.strong,
                                        "model for photos and long conversations");
  auto* fallback = update_cmd->add_option("--fallback-model", *raw->models.fallback,
                                          "model used when the chosen one is gone or failing");
  update_cmd->callback([&ctx, u, raw, plan, credits, language, fast, strong, fallback] {
    if (plan->count()) u->plan = raw->plan;
    if (credits->count()) u->credits = raw->credits;
    if (language->count()) u->language = raw->language;
    if (fast->count()) u->models.fast = raw->models.fast;
    if (strong->count()) u->models.strong = raw->models.strong;
    if (fallback->count()) u->models.fallback = raw->models.fallback;
    update(ctx, *u);
  });

  auto g_id = std::make_shared<std::string>();
  auto g_credits = std::make_shared<int64_t>(0);
  auto* grant_cmd = tenant->add_subcommand("grant", "add credits to the current period only");
  grant_cmd->add_option("ID", *g_id, "id or name")->required();
  grant_cmd->add_option("N", *g_credits, "credits to add")->required()->check(CLI::PositiveNumber);
  grant_cmd->callback([&ctx, g_id, g_credits] { grant(ctx, *g_id, *g_credits); });
}

}  // namespace aibud::cli
