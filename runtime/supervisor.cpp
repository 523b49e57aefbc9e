#include "runtime/supervisor.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <unordered_map>
#include <utility>

#include <caf/all.hpp>

#include "base/log.hpp"

namespace aibud::runtime {

using actors::add_atom;
using actors::get_atom;
using actors::ok_atom;
using actors::restart_atom;
using actors::stop_atom;
using actors::supervision_error;
using actors::tree_atom;

namespace {

// Monitors, not links, watch the children. A link would make a child's crash arrive as an
// exit message, mixed with the shutdown requests of our own supervisor, and would need a
// trapping exit handler to tell them apart; a monitor yields exactly one down message per
// incarnation, carrying its exit reason. The price is that a child does not die with us by
// itself, so every way out of a supervisor (shutdown request, giving up, an exception) goes
// through stop_all() first.
//
// A child's life:
//
//   add / init ──▶ running ──down, restart──▶ restarting ──backoff timer──▶ running
//                     │                            (ticket guards stale timers)
//                     ├── down, no restart (normal transient, temporary) ──▶ removed
//                     ├── stop ──▶ removed (its later down is ignored)
//                     └── down, counted crash over the limit ──▶ supervisor gives up

struct child_entry {
  child_spec spec;
  caf::actor current;        // invalid while a restart is pending
  std::uint64_t order = 0;   // start order; children stop in reverse
  std::uint64_t ticket = 0;  // the pending restart timer this entry waits for
  std::int64_t restarts = 0;
  restart_window recent{milliseconds{0}};  // this child's restarts: its backoff attempt
};

struct supervisor_state {
  supervisor_options options;
  std::map<std::string, child_entry> children;
  std::unordered_map<caf::actor_id, std::string> names;  // running incarnation → child name
  restart_window counted{milliseconds{0}};  // counted crashes of all children: the limit
  std::uint64_t next_order = 0;
  std::uint64_t next_ticket = 0;
  std::mt19937_64 rng{std::random_device{}()};
  bool gave_up = false;  // quit() was called; the behaviour still runs to its end

  static inline const char* name = "aibud.supervisor";
};

using self_ptr = supervisor_actor::stateful_pointer<supervisor_state>;

exit_kind classify(const caf::error& reason) {
  // exit_reason::normal is code 0, which CAF 0.17 treats as "no error".
  if (!reason) return exit_kind::normal;
  if (actors::is(reason, supervision_error::crashed_in_job)) return exit_kind::crash_in_job;
  return exit_kind::crash;
}

std::string describe(self_ptr self, const caf::error& reason) {
  return reason ? self->system().render(reason) : std::string{"normal"};
}

// Runs the child's factory; on success the new incarnation is monitored and registered.
bool spawn_incarnation(self_ptr self, child_entry& c) {
  caf::actor started;
  try {
    started = c.spec.start(self);
  } catch (const std::exception& e) {
    log::warn(
        "child factory threw",
        {{"supervisor", self->state.options.name}, {"child", c.spec.name}, {"error", e.what()}});
  } catch (...) {
    log::warn("child factory threw",
              {{"supervisor", self->state.options.name}, {"child", c.spec.name}});
  }
  if (!started) return false;
  self->monitor(started);
  self->state.names[started.id()] = c.spec.name;
  c.current = std::move(started);
  return true;
}

// Sends every running child an exit, newest first, and forgets them all.
void stop_all(self_ptr self, const caf::error& reason) {
  auto& st = self->state;
  std::vector<child_entry*> running;
  for (auto& [name, c] : st.children)
    if (c.current) running.push_back(&c);
  std::sort(running.begin(), running.end(),
            [](const child_entry* a, const child_entry* b) { return a->order > b->order; });
  for (auto* c : running) self->send_exit(c->current, reason);
  st.children.clear();
  st.names.clear();
}

void give_up(self_ptr self, const std::string& child) {
  auto& st = self->state;
  log::error("supervisor gave up: restart limit reached",
             {{"supervisor", st.options.name},
              {"child", child},
              {"max_restarts", st.options.limits.intensity.max_restarts},
              {"window_ms", st.options.limits.intensity.window.count()}});
  stop_all(self, caf::exit_reason::user_shutdown);
  st.gave_up = true;
  self->quit(actors::make_error(supervision_error::restart_limit));
}

// The child `name` ended (or failed to start) with `kind`: restart it after its backoff,
// forget it, or give up.
void on_child_exit(self_ptr self, const std::string& name, exit_kind kind,
                   const caf::error& reason) {
  auto& st = self->state;
  auto it = st.children.find(name);
  if (it == st.children.end()) return;
  auto& c = it->second;
  c.current = nullptr;
  if (!should_restart(c.spec.restart, kind)) {
    log::debug(
        "child ended",
        {{"supervisor", st.options.name}, {"child", name}, {"reason", describe(self, reason)}});
    st.children.erase(it);
    return;
  }
  const auto now = steady_clock::now();
  if (counts_toward_limit(kind) && st.counted.add(now) > st.options.limits.intensity.max_restarts) {
    give_up(self, name);
    return;
  }
  const auto attempt = c.recent.add(now) - 1;
  std::uniform_real_distribution<double> unit{0.0, 1.0};
  const auto delay = backoff_delay(st.options.limits.backoff, attempt, unit(st.rng));
  c.ticket = ++st.next_ticket;
  log::warn("child crashed; restarting", {{"supervisor", st.options.name},
                                          {"child", name},
                                          {"reason", describe(self, reason)},
                                          {"in_job", kind == exit_kind::crash_in_job},
                                          {"delay_ms", delay.count()}});
  self->delayed_send(self, delay, restart_atom::value, name, c.ticket);
}

void on_down(self_ptr self, const caf::down_msg& msg) {
  auto& st = self->state;
  auto it = st.names.find(msg.source.id());
  if (it == st.names.end()) return;  // a child stopped on purpose, or a stale incarnation
  const auto name = std::move(it->second);
  st.names.erase(it);
  on_child_exit(self, name, classify(msg.reason), msg.reason);
}

void on_restart_timer(self_ptr self, const std::string& name, std::uint64_t ticket) {
  auto& st = self->state;
  auto it = st.children.find(name);
  // Stale when the child was stopped (and maybe re-added) while its timer ran.
  if (it == st.children.end() || it->second.ticket != ticket || it->second.current) return;
  auto& c = it->second;
  if (!spawn_incarnation(self, c)) {
    on_child_exit(self, name, exit_kind::crash,
                  actors::make_error(supervision_error::start_failed));
    return;
  }
  ++c.restarts;
}

// Adds the entry and starts its first incarnation. At start-up a failed start is a crash
// (retried); a run-time add reports it to the caller instead.
caf::result<caf::actor> add(self_ptr self, child_spec spec, bool retry_failed_start) {
  auto& st = self->state;
  if (spec.name.empty() || !spec.start) return actors::make_error(supervision_error::start_failed);
  if (st.children.count(spec.name) != 0)
    return actors::make_error(supervision_error::duplicate_child);
  const auto name = spec.name;
  child_entry entry;
  entry.spec = std::move(spec);
  entry.order = ++st.next_order;
  entry.recent = restart_window{st.options.limits.intensity.window};
  auto& c = st.children.emplace(name, std::move(entry)).first->second;
  if (spawn_incarnation(self, c)) return c.current;
  if (!retry_failed_start) {
    st.children.erase(name);
    return actors::make_error(supervision_error::start_failed);
  }
  on_child_exit(self, name, exit_kind::crash, actors::make_error(supervision_error::start_failed));
  return actors::make_error(supervision_error::start_failed);
}

caf::result<caf::actor> lookup(self_ptr self, const std::string& name) {
  auto it = self->state.children.find(name);
  if (it == self->state.children.end()) return actors::make_error(supervision_error::no_such_child);
  if (!it->second.current) return actors::make_error(supervision_error::child_restarting);
  return it->second.current;
}

caf::result<ok_atom> stop(self_ptr self, const std::string& name) {
  auto& st = self->state;
  auto it = st.children.find(name);
  if (it == st.children.end()) return actors::make_error(supervision_error::no_such_child);
  if (auto& current = it->second.current) {
    st.names.erase(current.id());
    self->demonitor(current);  // its down message would only be dropped
    self->send_exit(current, caf::exit_reason::user_shutdown);
  }
  st.children.erase(it);
  return ok_atom::value;
}

tree_node leaf(const child_entry& c) {
  tree_node n;
  n.name = c.spec.name;
  n.kind = c.spec.kind;
  n.state = c.current ? "running" : "restarting";
  n.restarts = c.restarts;
  return n;
}

// Children that answer `tree` themselves are asked; the reply is assembled once the last
// of them answered or timed out (then that child shows as "unresponsive").
caf::result<tree_node> snapshot(self_ptr self) {
  auto& st = self->state;
  struct pending_tree {
    tree_node node;
    std::size_t waiting = 0;
    caf::typed_response_promise<tree_node> promise;
  };
  auto pending = std::make_shared<pending_tree>();
  pending->node.name = st.options.name;
  pending->node.kind = "supervisor";
  pending->node.state = "running";
  std::vector<std::pair<std::size_t, caf::actor>> asks;
  std::vector<const child_entry*> ordered;
  for (auto& [name, c] : st.children) ordered.push_back(&c);
  std::sort(ordered.begin(), ordered.end(),
            [](const child_entry* a, const child_entry* b) { return a->order < b->order; });
  for (auto* c : ordered) {
    if (c->spec.answers_tree && c->current)
      asks.emplace_back(pending->node.children.size(), c->current);
    pending->node.children.push_back(leaf(*c));
  }
  if (asks.empty()) return pending->node;
  pending->waiting = asks.size();
  pending->promise = self->make_response_promise<tree_node>();
  auto done = [pending] {
    if (--pending->waiting == 0) pending->promise.deliver(std::move(pending->node));
  };
  for (auto& [index, child] : asks) {
    const auto i = index;
    self->request(child, st.options.tree_timeout, tree_atom::value)
        .then(
            [pending, done, i](tree_node& sub) {
              // Name, kind and restarts are the supervisor's to tell; the subtree is the child's.
              pending->node.children[i].children = std::move(sub.children);
              done();
            },
            [pending, done, i](caf::error&) {
              pending->node.children[i].state = "unresponsive";
              done();
            });
  }
  return pending->promise;
}

supervisor_actor::behavior_type supervisor_behavior(self_ptr self, supervisor_options options) {
  auto& st = self->state;
  st.counted = restart_window{options.limits.intensity.window};
  auto initial = std::move(options.children);
  st.options = std::move(options);
  self->set_down_handler([self](caf::down_msg& msg) { on_down(self, msg); });
  // Only our own supervisor (or runtime::system) sends us exits: no links, see above.
  self->set_exit_handler([self](caf::exit_msg& msg) {
    stop_all(self, msg.reason ? msg.reason : caf::error{caf::exit_reason::user_shutdown});
    self->quit(msg.reason);
  });
  self->set_exception_handler([self](std::exception_ptr&) -> caf::error {
    stop_all(self, caf::exit_reason::user_shutdown);
    return caf::exit_reason::unhandled_exception;
  });
  for (auto& spec : initial) {
    if (st.gave_up) break;
    (void)add(self, std::move(spec), true);
  }
  return {
      [self](add_atom, const child_spec& spec) { return add(self, spec, false); },
      [self](get_atom, const std::string& name) { return lookup(self, name); },
      [self](stop_atom, const std::string& name) { return stop(self, name); },
      [self](tree_atom) { return snapshot(self); },
      [self](restart_atom, const std::string& name, std::uint64_t ticket) {
        on_restart_timer(self, name, ticket);
      },
  };
}

template <class T, class... Ts>
result<T> await_reply(caf::scoped_actor& self, const supervisor_actor& sup, milliseconds timeout,
                      Ts&&... xs) {
  std::optional<result<T>> out;
  self->request(sup, timeout, std::forward<Ts>(xs)...)
      .receive([&](T& value) { out.emplace(std::move(value)); },
               [&](caf::error& e) { out.emplace(to_error(e)); });
  if (!out) return make_error(errc::internal, "supervisor sent an unexpected reply");
  return std::move(*out);
}

}  // namespace

supervisor_actor spawn_supervisor(caf::actor_system& sys, supervisor_options options) {
  return sys.spawn(supervisor_behavior, std::move(options));
}

child_spec supervisor_child(supervisor_options options, restart_policy restart) {
  child_spec spec;
  spec.name = options.name;
  spec.kind = "supervisor";
  spec.restart = restart;
  spec.answers_tree = true;
  spec.start = [options = std::move(options)](caf::local_actor* parent) {
    return caf::actor_cast<caf::actor>(parent->spawn(supervisor_behavior, options));
  };
  return spec;
}

error to_error(const caf::error& e) {
  if (e.category() == actors::supervision_category) {
    const auto code = static_cast<supervision_error>(e.code());
    const auto text = actors::to_string(code);
    switch (code) {
      case supervision_error::no_such_child:
        return make_error(errc::not_found, text);
      case supervision_error::duplicate_child:
        return make_error(errc::conflict, text);
      case supervision_error::child_restarting:
        return make_error(errc::unavailable, text);
      default:
        return make_error(errc::internal, text);
    }
  }
  if (e == caf::sec::request_timeout) return make_error(errc::unavailable, "request timed out");
  return make_error(errc::internal, caf::to_string(e));
}

result<caf::actor> add_child(caf::scoped_actor& self, const supervisor_actor& sup, child_spec spec,
                             milliseconds timeout) {
  return await_reply<caf::actor>(self, sup, timeout, add_atom::value, std::move(spec));
}

result<caf::actor> find_child(caf::scoped_actor& self, const supervisor_actor& sup,
                              const std::string& name, milliseconds timeout) {
  return await_reply<caf::actor>(self, sup, timeout, get_atom::value, name);
}

status stop_child(caf::scoped_actor& self, const supervisor_actor& sup, const std::string& name,
                  milliseconds timeout) {
  auto r = await_reply<ok_atom>(self, sup, timeout, stop_atom::value, name);
  if (!r) return r.err();
  return ok_status();
}

result<tree_node> tree(caf::scoped_actor& self, const supervisor_actor& sup, milliseconds timeout) {
  return await_reply<tree_node>(self, sup, timeout, tree_atom::value);
}

}  // namespace aibud::runtime
