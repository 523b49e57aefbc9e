// aibud contact list|show|pause|resume: leads and human takeover. A JID may be a phone JID,
// a LID or bare digits. Pause and resume change state the contact's actor owns, so they go
// through the server's admin API while one runs.
#include <iostream>

#include <SQLiteCpp/Database.h>
#include <CLI/CLI.hpp>

#include "base/time.hpp"
#include "cli/api_client.hpp"
#include "cli/commands.hpp"
#include "cli/context.hpp"
#include "cli/output.hpp"
#include "runtime/config.hpp"
#include "runtime/inspect.hpp"
#include "runtime/mutations.hpp"
#include "runtime/views.hpp"
#include "storage/contacts_repo.hpp"
#include "storage/instances_repo.hpp"
#include "storage/reader.hpp"
#include "storage/writer.hpp"

namespace aibud::cli {
namespace {

const std::vector<std::string> columns = {
    "id", "jid", "name", "status", "paused", "paused_until", "last_activity_at"};

struct contact_args {
  std::string jid;
  std::string instance;
  std::string pause_for;  // "" : the configured takeover pause
};

std::string api_path(const contact_args& args, const std::string& action) {
  return "/api/v1/instances/" + path_segment(args.instance) + "/contacts/" +
         path_segment(args.jid) + "/" + action;
}

runtime::contact_ref resolve(storage::read_context& reads, const contact_args& args) {
  auto i = must(reads.instances().find_by_name(args.instance));
  auto c = must(runtime::inspect::find_contact(reads, i.id, args.jid));
  return {i.id, i.name, c.id, c.jid, i.tenant_id};
}

void list(context& ctx, const std::string& instance) {
  storage::read_context reads(ctx.db());
  auto i = must(reads.instances().find_by_name(instance));
  std::vector<json> records;
  for (const auto& c : must(reads.contacts().list(i.id)))
    records.push_back(views::contact(c, i.name));
  print_listing(ctx.json(), records, columns);
}

void show(context& ctx, const contact_args& args) {
  storage::read_context reads(ctx.db());
  auto ref = resolve(reads, args);
  print_record(ctx.json(),
               views::contact(must(reads.contacts().get(ref.contact_id)), ref.instance_name));
}

void pause(context& ctx, const contact_args& args) {
  auto length = args.pause_for.empty() ? ctx.cfg().takeover.pause
                                       : must(config::parse_duration(args.pause_for));
  json out;
  if (auto api = server_for(ctx)) {
    std::optional<json> body;
    if (!args.pause_for.empty()) body = json{{"for", args.pause_for}};
    out = must_call(*api, "POST", api_path(args, "pause"), body);
  } else {
    auto& db = ctx.db();
    storage::read_context reads(db);
    auto ref = resolve(reads, args);
    int64_t until = length.count() == 0 ? storage::paused_forever : time::now_ms() + length.count();
    storage::contact now;
    in_transaction(db, [&] {
      storage::write_context w(db);
      now = must(runtime::mutations::pause_contact(w, ref, until, "cli"));
    });
    out = views::contact(now, ref.instance_name);
  }
  print_record(ctx.json(), out);
}

void resume(context& ctx, const contact_args& args) {
  json out;
  if (auto api = server_for(ctx)) {
    out = must_call(*api, "POST", api_path(args, "resume"));
  } else {
    auto& db = ctx.db();
    storage::read_context reads(db);
    auto ref = resolve(reads, args);
    storage::contact now;
    in_transaction(db, [&] {
      storage::write_context w(db);
      now = must(runtime::mutations::resume_contact(w, ref, "cli"));
    });
    out = views::contact(now, ref.instance_name);
  }
  print_record(ctx.json(), out);
}

CLI::App* with_contact(CLI::App* cmd, contact_args& args) {
  cmd->add_option("JID", args.jid, "phone JID, LID or bare digits")->required();
  cmd->add_option("--instance", args.instance, "instance name")->required();
  return cmd;
}

}  // namespace

void add_contact_commands(CLI::App& app, context& ctx) {
  auto* contact = app.add_subcommand("contact", "leads and human takeover");
  contact->require_subcommand(1);

  auto list_instance = std::make_shared<std::string>();
  auto* list_cmd = contact->add_subcommand("list", "every contact of an instance");
  list_cmd->add_option("--instance", *list_instance, "instance name")->required();
  list_cmd->callback([&ctx, list_instance] { list(ctx, *list_instance); });

  auto s = std::make_shared<contact_args>();
  with_contact(contact->add_subcommand("show", "one contact"), *s)->callback([&ctx, s] {
    show(ctx, *s);
  });

  auto p = std::make_shared<contact_args>();
  auto* pause_cmd =
      with_contact(contact->add_subcommand("pause", "hand a contact over to a human"), *p);
  pause_cmd->add_option("--for", p->pause_for,
                        "90s, 30m, 12h, 7d, ...; 0 pauses until resumed (default: "
                        "takeover.pause)");
  pause_cmd->callback([&ctx, p] { pause(ctx, *p); });

  auto r = std::make_shared<contact_args>();
  with_contact(contact->add_subcommand("resume", "give a contact back to the agents"), *r)
      ->callback([&ctx, r] { resume(ctx, *r); });
}

}  // namespace aibud::cli
