// aibud instance connect NAME [--evolution-key-env VAR] [--timeout DUR] [--pairing-phone N]
//
//   find NAME ──► GET / (version) ──► connectionState ──404──► create (global key) ─┐
//                                          │ exists                 store its key  │
//                                          ▼                                        ▼
//                                    webhook/set ◄──────────────────────────────────┘
//                                          ▼
//            ┌──► connect (QR / pairing code, shown when it changes) ──open──► exit 0
//            └─── connectionState every second ─────────────── --timeout ──► exit 5
//
// Every state seen is recorded on the instance row (`instance show`). Keys come only from the
// environment or the database and never appear in output or errors.
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <future>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>

#include "adapters/evolution/rest_client.hpp"
#include "adapters/http/client.hpp"
#include "cli/context.hpp"
#include "cli/instance_connect.hpp"
#include "cli/output.hpp"
#include "cli/qr_terminal.hpp"
#include "runtime/config.hpp"
#include "runtime/secrets.hpp"
#include "runtime/views.hpp"
#include "storage/instances_repo.hpp"

namespace aibud::cli {
namespace {

using std::chrono::milliseconds;
using clock = std::chrono::steady_clock;
namespace evo = evolution;

constexpr milliseconds poll_interval{1000};
// Evolution rotates the QR about every 20 s; asking twice as often never shows a stale one.
constexpr milliseconds qr_refresh{10000};

struct connect_args {
  std::string name;
  std::string key_env;
  std::string timeout = "120s";
  std::string pairing_phone;
};

// Calls one evolution_client method and waits for its answer (each call has its own timeout).
template <class T>
evo::call_result<T> await(const std::function<void(evo::callback<T>)>& start) {
  auto promise = std::make_shared<std::promise<evo::call_result<T>>>();
  auto answer = promise->get_future();
  start([promise](evo::call_result<T> r) { promise->set_value(std::move(r)); });
  return answer.get();
}

// The one connection attempt: what it talks to and which key it uses.
struct session {
  std::string name;
  std::string url;         // Evolution's base URL, for messages
  std::string key_source;  // "the key in $VAR" or "the instance's stored key", for messages
  evo::evolution_client* client = nullptr;
};

[[noreturn]] void fail_call(const session& s, const evo::outcome& o, const std::string& what) {
  const std::string where = "Evolution at " + s.url;
  if (o.failure == evo::failure_kind::conflict) fail(errc::conflict, where + ": " + o.message);
  switch (o.kind) {
    case evo::outcome_kind::unauthorized:
      fail(errc::invalid_argument, where + " refused " + s.key_source + " (HTTP " +
                                       std::to_string(o.http_status) + ") on " + what);
    case evo::outcome_kind::retryable:
      if (o.http_status == 0) fail(errc::unavailable, where + " is unreachable: " + o.message);
      break;
    default:
      break;
  }
  fail(errc::unavailable, where + " answered HTTP " + std::to_string(o.http_status) + " on " +
                              what + ": " + o.message);
}

std::string global_key_from(const std::string& variable) {
  if (variable.empty()) return {};
  const char* value = std::getenv(variable.c_str());
  std::string key = value ? value : "";
  auto first = key.find_first_not_of(" \t\r\n");
  auto last = key.find_last_not_of(" \t\r\n");
  key = first == std::string::npos ? "" : key.substr(first, last - first + 1);
  if (key.empty())
    fail(errc::usage, "--evolution-key-env: variable " + variable +
                          " is not set (it must hold Evolution's global API key)");
  return key;
}

// The digits of a phone number in international format ("+55 11 90000-0000" is accepted).
std::string phone_digits(const std::string& phone) {
  std::string digits;
  bool readable = true;
  for (char c : phone) {
    if (c >= '0' && c <= '9')
      digits += c;
    else if (c != '+' && c != ' ' && c != '-' && c != '(' && c != ')')
      readable = false;
  }
  if (!phone.empty() && (!readable || digits.size() < 8 || digits.size() > 15))
    fail(errc::invalid_argument,
         "--pairing-phone must be a phone number in international format, e.g. 5511900000000");
  return digits;
}

void record_state(context& ctx, const std::string& name, const std::string& state,
                  const std::optional<std::string>& qr = std::nullopt,
                  const std::optional<std::string>& pairing = std::nullopt) {
  auto& db = ctx.db();
  in_transaction(db,
                 [&] { must(storage::instances_repo(db).update_state(name, state, qr, pairing)); });
}

// Creates the instance on Evolution and keeps the key Evolution gave it, sealed.
void create_on_evolution(context& ctx, const session& s, const storage::instance& inst,
                         const secrets::sealer& sealer) {
  evo::create_instance_request req;
  req.instance_name = s.name;
  // The connection starts once the webhook is registered, so no event goes elsewhere.
  req.qrcode = false;
  auto created = await<evo::created_instance>(
      [&](evo::callback<evo::created_instance> done) { s.client->create_instance(req, done); });
  if (!created.ok()) fail_call(s, created.status, "instance create");
  auto& db = ctx.db();
  in_transaction(db, [&] {
    storage::instances_repo repo(db);
    if (!created.value.token.empty())
      must(repo.set_secrets(inst.id, sealer.seal(created.value.token), inst.webhook_secret));
    must(repo.update_state(s.name, created.value.status.empty() ? "close" : created.value.status));
    audit(db, "instance.provision", s.name, inst.tenant_id,
          nlohmann::json{{"evolution_url", inst.evolution_url}}.dump());
  });
  if (created.value.token.empty())
    warn("Evolution returned no instance key: aibud keeps using the one it had");
}

void show_code(bool as_json, const evo::connect_answer& answer, const std::string& name,
               const std::string& phone) {
  // With --json stdout holds only the final record.
  std::ostream& out = as_json ? std::cerr : std::cout;
  if (!as_json && isatty(STDOUT_FILENO)) out << "\x1b[2J\x1b[H";
  if (!answer.pairing_code.empty()) {
    out << "Pairing code for " << phone << ": " << answer.pairing_code << "\n"
        << "On the phone: WhatsApp > Linked devices > Link a device > Link with phone number "
           "instead.\n";
  }
  std::string picture = qr_blocks(answer.code);
  if (!picture.empty()) {
    out << "Scan with the WhatsApp of " << name << " (Linked devices > Link a device):\n"
        << picture;
  }
  out << std::flush;
}

struct watch {
  std::string state;      // the last state recorded
  std::string last_code;  // the QR last shown
};

// Asks for the current QR; true when the instance turned out to be open.
bool refresh_code(context& ctx, const session& s, const connect_args& args, watch& w) {
  auto answer = await<evo::connect_answer>([&](evo::callback<evo::connect_answer> done) {
    s.client->connect(s.name, args.pairing_phone, done);
  });
  if (!answer.ok()) {
    // A slow or restarting server may answer the next time; a refused key will not.
    if (answer.status.kind == evo::outcome_kind::unauthorized ||
        answer.status.kind == evo::outcome_kind::not_found)
      fail_call(s, answer.status, "instance connect");
    return false;
  }
  const auto& a = answer.value;
  if (a.already) return a.already->state == "open";
  if (a.code.empty() || a.code == w.last_code) return false;
  w.last_code = a.code;
  show_code(ctx.json(), a, s.name, args.pairing_phone);
  w.state = "connecting";
  record_state(ctx, s.name, w.state, a.code,
               a.pairing_code.empty() ? std::nullopt : std::optional<std::string>(a.pairing_code));
  return false;
}

// Polls until the instance is open or the deadline passes; true when open.
bool wait_for_open(context& ctx, const session& s, const connect_args& args, watch& w,
                   milliseconds timeout) {
  const auto deadline = clock::now() + timeout;
  auto next_refresh = clock::now();
  while (true) {
    if (clock::now() >= next_refresh) {
      if (refresh_code(ctx, s, args, w)) return true;
      next_refresh = clock::now() + qr_refresh;
    }
    auto state = await<evo::connection_state>([&](evo::callback<evo::connection_state> done) {
      s.client->connection_state_of(s.name, done);
    });
    if (state.ok()) {
      if (state.value.state == "open") return true;
      if (state.value.state != w.state) {
        w.state = state.value.state;
        record_state(ctx, s.name, w.state);
      }
    } else if (state.status.kind == evo::outcome_kind::unauthorized) {
      fail_call(s, state.status, "connectionState");
    }
    const auto now = clock::now();
    if (now >= deadline) return false;
    std::this_thread::sleep_for(std::min<clock::duration>(poll_interval, deadline - now));
  }
}

// The server's version, from its banner: it tells which webhook authentication the server
// supports. "" when it hides it (a proxy); that server then gets both forms.
std::string server_version(const session& s) {
  auto info = await<evo::server_info>(
      [&](evo::callback<evo::server_info> done) { s.client->server_info_of(done); });
  if (!info.ok() && info.status.http_status == 0) fail_call(s, info.status, "GET /");
  return info.ok() ? info.value.version : "";
}

// The instance's state on Evolution, creating it there first when it is missing.
std::string ensure_exists(context& ctx, const session& s, const storage::instance& inst,
                          const secrets::sealer& sealer, bool have_global_key) {
  auto state = await<evo::connection_state>([&](evo::callback<evo::connection_state> done) {
    s.client->connection_state_of(s.name, done);
  });
  if (state.ok()) return state.value.state;
  if (state.status.kind != evo::outcome_kind::not_found)
    fail_call(s, state.status, "connectionState");
  if (!have_global_key)
    fail(errc::usage, "instance " + s.name + " does not exist on Evolution at " + s.url +
                          ": pass --evolution-key-env VAR, the variable holding Evolution's "
                          "global API key, to create it");
  create_on_evolution(ctx, s, inst, sealer);
  return "close";
}

void register_webhook(const session& s, const std::string& url, const std::string& secret,
                      const std::string& version) {
  auto registered = await<unit>([&](evo::callback<unit> done) {
    s.client->set_webhook(s.name, evo::aibud_webhook_for(url, secret, version), done);
  });
  if (!registered.ok()) fail_call(s, registered.status, "webhook/set");
}

void print_connected(context& ctx, const std::string& name, const std::string& url) {
  auto connected = must(storage::instances_repo(ctx.db()).find_by_name(name));
  if (ctx.json())
    print_json(views::instance(connected, ctx.cfg().public_base_url()));
  else
    std::cout << "instance " << name << " is connected; Evolution posts its events to " << url
              << "\n";
}

void connect(context& ctx, const connect_args& args) {
  const milliseconds timeout = must(config::parse_duration(args.timeout));
  connect_args checked = args;
  checked.pairing_phone = phone_digits(args.pairing_phone);
  const std::string global_key = global_key_from(args.key_env);

  auto sealer = must(secrets::sealer::from_env());
  auto inst = must(storage::instances_repo(ctx.db()).find_by_name(args.name));
  if (inst.kind != "evolution")
    fail(errc::invalid_argument,
         "instance " + inst.name + " is a sandbox: it has no Evolution server to connect");
  const std::string stored_key =
      must(sealer.open(inst.api_key, "instance " + inst.name + ": api_key"));
  const std::string secret =
      must(sealer.open(inst.webhook_secret, "instance " + inst.name + ": webhook_secret"));
  if (ctx.cfg().public_url.empty())
    warn("public_url is not set: Evolution will post to " + ctx.cfg().public_base_url() +
         "; set AIBUD_PUBLIC_URL to an address Evolution can reach");

  evo::endpoint ep;
  ep.base_url = inst.evolution_url;
  ep.api_key = global_key.empty() ? stored_key : global_key;
  http::client transport;
  evo::evolution_client client(transport.as_transport(), ep);
  const session s{
      inst.name, inst.evolution_url,
      global_key.empty() ? "the instance's stored API key" : "the key in $" + args.key_env,
      &client};

  const std::string version = server_version(s);
  watch w;
  w.state = ensure_exists(ctx, s, inst, sealer, !global_key.empty());
  record_state(ctx, s.name, w.state);
  const std::string url = views::webhook_url(ctx.cfg().public_base_url(), s.name);
  register_webhook(s, url, secret, version);

  if (w.state != "open" && !wait_for_open(ctx, s, checked, w, timeout))
    fail(errc::unavailable, "instance " + s.name + " is not connected after " +
                                config::format_duration(timeout) + " (state " + w.state + ")");
  record_state(ctx, s.name, "open");
  print_connected(ctx, s.name, url);
}

}  // namespace

void add_instance_connect_command(CLI::App& instance, context& ctx) {
  auto args = std::make_shared<connect_args>();
  auto* cmd = instance.add_subcommand(
      "connect", "create the instance on Evolution if needed, register the webhook, show the QR");
  cmd->add_option("NAME", args->name, "instance name")->required();
  cmd->add_option("--evolution-key-env", args->key_env,
                  "environment variable holding Evolution's global API key (needed to create "
                  "the instance there)");
  cmd->add_option("--timeout", args->timeout, "how long to wait for the link (default 120s)");
  cmd->add_option("--pairing-phone", args->pairing_phone,
                  "also show a pairing code for this phone number (international format), to link "
                  "without scanning");
  cmd->callback([&ctx, args] { connect(ctx, *args); });
}

}  // namespace aibud::cli
