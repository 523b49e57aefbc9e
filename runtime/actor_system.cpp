#include "runtime/actor_system.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>

#include <caf/all.hpp>

#include "base/log.hpp"
#include "runtime/actor_system_internal.hpp"

namespace aibud::runtime {

struct system::impl {
  // Set from the root's exit functor (a CAF thread), read by callers.
  mutable std::mutex mutex;
  std::condition_variable root_exited_cv;
  bool root_exited = false;
  bool shutting_down = false;
  std::optional<error> failure;

  // The config outlives the system: caf::actor_system keeps a reference to it.
  caf::actor_system_config config;
  std::unique_ptr<caf::actor_system> actors;
  supervisor_actor root;
  bool stopped = false;
};

namespace {

void configure(caf::actor_system_config& cfg, const system_options& options) {
  cfg.set("scheduler.max-threads",
          static_cast<std::size_t>(std::max<std::int64_t>(1, options.threads)));
  // One queue that idle workers block on. CAF's default work stealing polls for work, sleeping
  // 50 us between polls for a while after each idle moment: on a small VPS those wake-ups
  // take the cores the storage writer and the HTTP threads need (bench/e2e: 7-12 % less CPU
  // per message).
  cfg.set("scheduler.policy", caf::atom("sharing"));
  // Our own JSON log lines are the only log; Debian's build is quiet anyway.
  cfg.set("logger.verbosity", caf::atom("quiet"));
  cfg.set("logger.file-verbosity", caf::atom("quiet"));
  cfg.set("logger.console-verbosity", caf::atom("quiet"));
  // CAF 0.17.6's add_error_category<T>(category) does not compile (its lambda does not match
  // error_renderer): pass the renderer itself.
  cfg.add_error_category(
      actors::supervision_category, [](std::uint8_t code, caf::atom_value, const caf::message&) {
        return "aibud_sup: " + actors::to_string(static_cast<actors::supervision_error>(code));
      });
}

}  // namespace

system::system(system_options options) : impl_(std::make_unique<impl>()) {
  configure(impl_->config, options);
  impl_->actors = std::make_unique<caf::actor_system>(impl_->config);
  supervisor_options root;
  root.name = "root";
  root.limits = options.root_limits;
  impl_->root = spawn_supervisor(*impl_->actors, std::move(root));
  auto* state = impl_.get();
  auto* actors = impl_->actors.get();
  // Runs on the root's exit, before await_all_actors_done() can return, so `state` and
  // `actors` are alive.
  caf::actor_cast<caf::abstract_actor*>(impl_->root)
      ->attach_functor([state, actors](const caf::error& reason) {
        std::lock_guard<std::mutex> lock{state->mutex};
        state->root_exited = true;
        if (!state->shutting_down) {
          auto text = reason ? actors->render(reason) : std::string{"normal"};
          log::error("root supervisor stopped", {{"reason", text}});
          state->failure = make_error(errc::unavailable, "root supervisor stopped: " + text);
        }
        state->root_exited_cv.notify_all();
      });
}

system::~system() {
  shutdown();
}

void system::shutdown() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  {
    std::lock_guard<std::mutex> lock{impl_->mutex};
    impl_->shutting_down = true;
  }
  caf::anon_send_exit(impl_->root, caf::exit_reason::user_shutdown);
  impl_->root = nullptr;
  impl_->actors->await_all_actors_done();
  impl_->actors.reset();
}

bool system::await_root_exit(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock{impl_->mutex};
  return impl_->root_exited_cv.wait_for(lock, timeout, [this] { return impl_->root_exited; });
}

std::optional<error> system::root_failure() const {
  std::lock_guard<std::mutex> lock{impl_->mutex};
  return impl_->failure;
}

result<nlohmann::json> system::tree(std::chrono::milliseconds timeout) {
  if (impl_->stopped) return make_error(errc::unavailable, "actor system stopped");
  caf::scoped_actor self{*impl_->actors};
  auto node = runtime::tree(self, impl_->root, timeout);
  if (!node) return node.err();
  return to_json(*node);
}

caf::actor_system& caf_system(system& s) {
  return *s.internals().actors;
}

supervisor_actor root_supervisor(system& s) {
  return s.internals().root;
}

nlohmann::json to_json(const tree_node& node) {
  auto children = nlohmann::json::array();
  for (const auto& child : node.children) children.push_back(to_json(child));
  return {{"name", node.name},
          {"kind", node.kind},
          {"state", node.state},
          {"restarts", node.restarts},
          {"children", std::move(children)}};
}

}  // namespace aibud::runtime
