// The supervision tree on a real CAF scheduler: children are ordinary actors, crashes are
// real exceptions and exits, and the tests wait only through wait_until and receive timeouts.
#include "runtime/supervisor.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <vector>

#include <doctest/doctest.h>
#include <caf/all.hpp>

#include "runtime/actor_system.hpp"
#include "runtime/actor_system_internal.hpp"
#include "tests/support/process.hpp"

using namespace aibud;
using namespace aibud::runtime;
using actors::supervision_error;
using aibud::testing::wait_until;
using std::chrono::milliseconds;

namespace {

// A child that answers ping with pong, crashes (throws) on delete, and ends normally on
// close. With `in_job`, its crashes are reported as crashes inside a job, the way a contact
// actor's exception handler reports a crash while it runs a job.
caf::behavior worker(caf::event_based_actor* self, bool in_job) {
  self->set_exception_handler([in_job](std::exception_ptr&) -> caf::error {
    if (in_job) return actors::make_error(supervision_error::crashed_in_job);
    return caf::exit_reason::unhandled_exception;
  });
  return {
      [](caf::ping_atom) { return caf::pong_atom::value; },
      [](caf::delete_atom) { throw std::runtime_error("worker crashed"); },
      [self](caf::close_atom) { self->quit(); },
  };
}

// Takes an argument on purpose: spawning a function with none makes CAF 0.17.6's
// init_fun_factory dereference an empty shared_ptr<tuple<>> (UBSan reports it).
caf::behavior crash_at_start(caf::event_based_actor* self, caf::error reason) {
  self->quit(std::move(reason));
  return {};
}

// A factory that records when it ran and, for the first `crashes` calls, starts an actor
// that crashes at once.
struct counting_factory {
  struct shared {
    std::mutex mutex;
    std::vector<steady_clock::time_point> calls;
  };
  std::shared_ptr<shared> log = std::make_shared<shared>();
  std::size_t crashes = 0;
  bool in_job = false;

  child_factory factory() const {
    return [log = log, crashes = crashes, in_job = in_job](caf::local_actor* sup) {
      std::size_t n;
      {
        std::lock_guard<std::mutex> lock{log->mutex};
        log->calls.push_back(steady_clock::now());
        n = log->calls.size();
      }
      if (n <= crashes) return sup->spawn(crash_at_start, caf::error{caf::sec::runtime_error});
      return sup->spawn(worker, in_job);
    };
  }
  std::size_t count() const {
    std::lock_guard<std::mutex> lock{log->mutex};
    return log->calls.size();
  }
  std::vector<steady_clock::time_point> times() const {
    std::lock_guard<std::mutex> lock{log->mutex};
    return log->calls;
  }
};

child_spec spec(std::string name, const counting_factory& f,
                restart_policy restart = restart_policy::permanent) {
  child_spec s;
  s.name = std::move(name);
  s.kind = "worker";
  s.start = f.factory();
  s.restart = restart;
  return s;
}

supervision_limits fast_limits(std::size_t max_restarts = 5) {
  supervision_limits l;
  l.backoff.base = milliseconds{2};
  l.backoff.max = milliseconds{50};
  l.intensity.max_restarts = max_restarts;
  l.intensity.window = milliseconds{10000};
  return l;
}

// The actor system and a scoped actor to talk from; the scoped actor goes first.
struct fixture {
  runtime::system rt;
  caf::scoped_actor self{caf_system(rt)};
  std::vector<caf::actor> standalone;  // supervisors outside the root, killed at the end

  ~fixture() {
    for (auto& a : standalone) self->send_exit(a, caf::exit_reason::kill);
  }

  supervisor_actor spawn(supervisor_options o) {
    auto sup = spawn_supervisor(caf_system(rt), std::move(o));
    standalone.push_back(caf::actor_cast<caf::actor>(sup));
    return sup;
  }

  caf::actor current(const supervisor_actor& sup, const std::string& name) {
    auto a = find_child(self, sup, name);
    return a ? a.value() : caf::actor{};
  }

  // Waits until `name` runs as an incarnation other than `old`.
  caf::actor await_new(const supervisor_actor& sup, const std::string& name,
                       const caf::actor& old) {
    caf::actor now;
    wait_until([&] {
      now = current(sup, name);
      return now && now != old;
    });
    return now;
  }

  bool pings(const caf::actor& a) {
    bool pong = false;
    self->request(a, std::chrono::seconds(5), caf::ping_atom::value)
        .receive([&](caf::pong_atom) { pong = true; }, [](caf::error&) {});
    return pong;
  }

  const tree_node* child_node(const tree_node& n, const std::string& name) {
    for (auto& c : n.children)
      if (c.name == name) return &c;
    return nullptr;
  }

  std::int64_t restarts(const supervisor_actor& sup, const std::string& name) {
    auto t = tree(self, sup);
    REQUIRE(t.ok());
    auto* c = child_node(*t, name);
    return c ? c->restarts : -1;
  }

  // The exit reason of `a`, once it ended.
  caf::error await_down(const caf::actor& a) {
    self->monitor(a);
    caf::error reason = caf::sec::request_timeout;
    self->receive([&](caf::down_msg& m) { reason = m.reason; },
                  caf::after(std::chrono::seconds(20)) >> [] {});
    return reason;
  }
};

}  // namespace

TEST_CASE("a crashed child is restarted as a new actor and keeps serving") {
  fixture f;
  counting_factory a;
  supervisor_options o;
  o.limits = fast_limits();
  o.children = {spec("a", a)};
  auto sup = f.spawn(o);
  auto first = f.current(sup, "a");
  REQUIRE(first);
  CHECK(f.restarts(sup, "a") == 0);

  f.self->send(first, caf::delete_atom::value);
  auto second = f.await_new(sup, "a", first);
  REQUIRE(second);
  CHECK(second.address() != first.address());
  CHECK(f.restarts(sup, "a") == 1);
  CHECK(f.pings(second));
}

TEST_CASE("a crash restarts only that child, not its siblings") {
  fixture f;
  counting_factory a, b;
  supervisor_options o;
  o.limits = fast_limits();
  o.children = {spec("a", a), spec("b", b)};
  auto sup = f.spawn(o);
  auto a1 = f.current(sup, "a");
  auto b1 = f.current(sup, "b");
  REQUIRE(a1);
  REQUIRE(b1);

  f.self->send(a1, caf::delete_atom::value);
  REQUIRE(f.await_new(sup, "a", a1));
  CHECK(f.current(sup, "b") == b1);
  CHECK(b.count() == 1);
  CHECK(f.restarts(sup, "b") == 0);
  CHECK(f.pings(b1));
}

TEST_CASE("restart delays grow with each crash of the same child") {
  fixture f;
  counting_factory flaky;
  flaky.crashes = 4;  // four crashes at start, then it runs
  supervisor_options o;
  o.limits = fast_limits(10);
  o.limits.backoff.base = milliseconds{30};
  o.limits.backoff.max = milliseconds{1000};
  o.limits.backoff.jitter = 0;
  o.children = {spec("flaky", flaky)};
  auto sup = f.spawn(o);

  // The fifth incarnation is the one that stays up.
  REQUIRE(wait_until([&] { return flaky.count() == 5 && f.restarts(sup, "flaky") == 4; }));
  auto t = flaky.times();
  REQUIRE(t.size() == 5);
  std::vector<milliseconds> gaps;
  for (std::size_t i = 1; i < t.size(); ++i)
    gaps.push_back(std::chrono::duration_cast<milliseconds>(t[i] - t[i - 1]));
  // A timer never fires early, so each gap is at least base * 2^i; the order is the claim.
  CHECK(gaps[0] >= milliseconds{30});
  CHECK(gaps[1] >= milliseconds{60});
  CHECK(gaps[2] >= milliseconds{120});
  CHECK(gaps[3] >= milliseconds{240});
  CHECK(gaps[3] > gaps[0]);
  CHECK(gaps[2] > gaps[0]);
  CHECK(f.restarts(sup, "flaky") == 4);
}

TEST_CASE("past the restart limit a supervisor stops its children and exits with restart_limit") {
  fixture f;
  counting_factory loop, sibling;
  loop.crashes = 1000;
  supervisor_options o;
  o.limits = fast_limits(3);
  o.children = {spec("sibling", sibling), spec("loop", loop)};
  auto sup = f.spawn(o);
  auto sib = f.current(sup, "sibling");
  REQUIRE(sib);

  auto reason = f.await_down(caf::actor_cast<caf::actor>(sup));
  CHECK(actors::is(reason, supervision_error::restart_limit));
  CHECK(loop.count() == 4);  // the start and three restarts; the fourth crash gives up
  CHECK(f.await_down(sib) == caf::exit_reason::user_shutdown);
}

TEST_CASE("a supervisor that gives up is restarted by its parent supervisor") {
  fixture f;
  counting_factory flaky;
  flaky.crashes = 3;  // exactly enough for the nested supervisor to give up once
  supervisor_options nested;
  nested.name = "nested";
  nested.limits = fast_limits(2);
  nested.children = {spec("flaky", flaky)};
  supervisor_options parent;
  parent.name = "parent";
  parent.limits = fast_limits(5);
  parent.children = {supervisor_child(nested)};
  auto sup = f.spawn(parent);

  REQUIRE(wait_until([&] {
    auto t = tree(f.self, sup);
    if (!t) return false;
    auto* n = f.child_node(*t, "nested");
    return n && n->restarts == 1 && n->state == "running" && n->children.size() == 1 &&
           n->children[0].state == "running";
  }));
  CHECK(flaky.count() == 4);
}

TEST_CASE("a transient child that ends normally is not restarted") {
  fixture f;
  counting_factory t;
  supervisor_options o;
  o.limits = fast_limits();
  o.children = {spec("t", t, restart_policy::transient)};
  auto sup = f.spawn(o);
  auto first = f.current(sup, "t");
  REQUIRE(first);

  f.self->send(first, caf::close_atom::value);
  CHECK(f.await_down(first) == caf::exit_reason::normal);
  REQUIRE(wait_until([&] {
    auto r = find_child(f.self, sup, "t");
    return !r && r.err().code == errc::not_found;
  }));
  CHECK(t.count() == 1);
}

TEST_CASE("a transient child that crashes is restarted") {
  fixture f;
  counting_factory t;
  supervisor_options o;
  o.limits = fast_limits();
  o.children = {spec("t", t, restart_policy::transient)};
  auto sup = f.spawn(o);
  auto first = f.current(sup, "t");
  REQUIRE(first);

  f.self->send(first, caf::delete_atom::value);
  CHECK(f.await_new(sup, "t", first));
  CHECK(t.count() == 2);
}

TEST_CASE("crashes inside a job are restarted but do not count toward the limit") {
  fixture f;
  counting_factory job;
  job.in_job = true;
  counting_factory plain;
  supervisor_options o;
  o.limits = fast_limits(1);
  o.children = {spec("job", job), spec("plain", plain)};
  auto sup = f.spawn(o);

  auto incarnation = f.current(sup, "job");
  for (int i = 0; i < 4; ++i) {
    f.self->send(incarnation, caf::delete_atom::value);
    incarnation = f.await_new(sup, "job", incarnation);
    REQUIRE(incarnation);
  }
  CHECK(f.restarts(sup, "job") == 4);

  // One counted crash is within the limit of 1; the second one is not.
  auto p = f.current(sup, "plain");
  f.self->send(p, caf::delete_atom::value);
  p = f.await_new(sup, "plain", p);
  REQUIRE(p);
  f.self->send(p, caf::delete_atom::value);
  CHECK(
      actors::is(f.await_down(caf::actor_cast<caf::actor>(sup)), supervision_error::restart_limit));
}

TEST_CASE("children are added, looked up and stopped at run time") {
  fixture f;
  counting_factory x;
  supervisor_options o;
  o.limits = fast_limits();
  auto sup = f.spawn(o);

  auto added = add_child(f.self, sup, spec("x", x));
  REQUIRE(added.ok());
  CHECK(f.current(sup, "x") == added.value());
  CHECK(f.pings(added.value()));

  auto again = add_child(f.self, sup, spec("x", x));
  REQUIRE_FALSE(again.ok());
  CHECK(again.err().code == errc::conflict);

  CHECK(stop_child(f.self, sup, "x").ok());
  CHECK(f.await_down(added.value()) == caf::exit_reason::user_shutdown);
  auto gone = find_child(f.self, sup, "x");
  REQUIRE_FALSE(gone.ok());
  CHECK(gone.err().code == errc::not_found);
  auto stop_again = stop_child(f.self, sup, "x");
  REQUIRE_FALSE(stop_again.ok());
  CHECK(stop_again.err().code == errc::not_found);
  CHECK(x.count() == 1);  // stopping is not a crash: no restart

  counting_factory none;
  child_spec broken = spec("broken", none);
  broken.start = [](caf::local_actor*) { return caf::actor{}; };
  auto failed = add_child(f.self, sup, broken);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.err().code == errc::internal);
  CHECK(find_child(f.self, sup, "broken").err().code == errc::not_found);
}

TEST_CASE("the tree snapshot lists children recursively with kind, state and restarts") {
  fixture f;
  counting_factory w, tenant;
  auto root = root_supervisor(f.rt);
  REQUIRE(add_child(f.self, root, spec("storage_writer", w)).ok());
  supervisor_options tenants;
  tenants.name = "tenants";
  tenants.limits = fast_limits();
  auto tenants_actor = add_child(f.self, root, supervisor_child(tenants));
  REQUIRE(tenants_actor.ok());
  auto tenants_sup = caf::actor_cast<supervisor_actor>(tenants_actor.value());
  child_spec t1 = spec("tenant:1", tenant);
  t1.kind = "tenant";
  REQUIRE(add_child(f.self, tenants_sup, t1).ok());
  auto first = f.current(tenants_sup, "tenant:1");
  f.self->send(first, caf::delete_atom::value);
  REQUIRE(f.await_new(tenants_sup, "tenant:1", first));

  auto json = f.rt.tree();
  REQUIRE(json.ok());
  const nlohmann::json expected = {{"name", "root"},
                                   {"kind", "supervisor"},
                                   {"state", "running"},
                                   {"restarts", 0},
                                   {"children",
                                    {{{"name", "storage_writer"},
                                      {"kind", "worker"},
                                      {"state", "running"},
                                      {"restarts", 0},
                                      {"children", nlohmann::json::array()}},
                                     {{"name", "tenants"},
                                      {"kind", "supervisor"},
                                      {"state", "running"},
                                      {"restarts", 0},
                                      {"children",
                                       {{{"name", "tenant:1"},
                                         {"kind", "tenant"},
                                         {"state", "running"},
                                         {"restarts", 1},
                                         {"children", nlohmann::json::array()}}}}}}}};
  CHECK(json.value() == expected);
}

TEST_CASE("shutdown stops every actor of the tree") {
  std::atomic<int> ended{0};
  {
    runtime::system rt;
    counting_factory w;
    // CAF 0.17.6 counts every scoped actor, hidden or not, as running: shutdown() would wait
    // for this one, so it ends first.
    {
      caf::scoped_actor self{caf_system(rt)};
      supervisor_options nested;
      nested.name = "nested";
      nested.children = {spec("deep", w)};
      REQUIRE(add_child(self, root_supervisor(rt), supervisor_child(nested)).ok());
      REQUIRE(add_child(self, root_supervisor(rt), spec("top", w)).ok());
      for (auto name : {"nested", "top"}) {
        auto a = find_child(self, root_supervisor(rt), name);
        REQUIRE(a.ok());
        a.value()->attach_functor([&ended] { ++ended; });
      }
      auto nested_sup = caf::actor_cast<supervisor_actor>(
          find_child(self, root_supervisor(rt), "nested").value());
      auto deep = find_child(self, nested_sup, "deep");
      REQUIRE(deep.ok());
      deep.value()->attach_functor([&ended] { ++ended; });
    }
    CHECK(ended == 0);
    rt.shutdown();
    CHECK(ended == 3);
    CHECK_FALSE(rt.root_failure().has_value());
    CHECK_FALSE(rt.tree().ok());
  }
  CHECK(ended == 3);
}

TEST_CASE("a root supervisor that gives up is reported by the system") {
  system_options options;
  options.root_limits = fast_limits(1);
  runtime::system rt{options};
  {
    caf::scoped_actor self{caf_system(rt)};
    counting_factory loop;
    loop.crashes = 1000;
    REQUIRE(add_child(self, root_supervisor(rt), spec("loop", loop)).ok());
  }
  REQUIRE(rt.await_root_exit(std::chrono::seconds(20)));
  auto failure = rt.root_failure();
  REQUIRE(failure.has_value());
  CHECK(failure->code == errc::unavailable);
  CHECK(failure->message.find("restart_limit") != std::string::npos);
}

TEST_CASE("the system runs the configured number of scheduler threads") {
  system_options options;
  options.threads = 3;
  runtime::system rt{options};
  CHECK(caf_system(rt).scheduler().num_workers() == 3);
}
