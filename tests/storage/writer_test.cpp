#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "storage/audit_repo.hpp"
#include "storage/database.hpp"
#include "storage/tenants_repo.hpp"
#include "storage/writer.hpp"
#include "tests/storage/storage_fixture.hpp"
#include "tests/support/process.hpp"

using namespace aibud;
using aibud::testing::storage_fixture;
using aibud::testing::wait_until;

namespace {

storage::writer_options options_for(const std::string& path) {
  storage::writer_options options;
  options.db.path = path;
  options.db.sync = "NORMAL";
  return options;
}

std::unique_ptr<storage::writer> start_writer(const storage::writer_options& options) {
  auto w = storage::writer::start(options);
  REQUIRE_MESSAGE(w.ok(), (w.ok() ? "" : w.err().message));
  return std::move(*w);
}

// A write that holds the writer thread until released, so that what is submitted meanwhile
// is known to be queued together.
struct gate {
  std::promise<void> open;
  std::shared_future<void> opened = open.get_future().share();
  std::atomic<bool> entered{false};
  std::atomic<bool> released{false};

  // Also on destruction, so a failed check cannot leave the writer blocked in stop().
  ~gate() { release(); }
  void release() {
    if (!released.exchange(true)) open.set_value();
  }

  storage::write_fn write() {
    return [this](storage::write_context&) {
      entered = true;
      opened.wait();
      return ok_status();
    };
  }
};

int64_t count_rows(SQLite::Database& db, const char* table) {
  return db.execAndGet(std::string("SELECT count(*) FROM ") + table).getInt64();
}

}  // namespace

TEST_CASE("concurrent writes are committed and visible to another connection when called back") {
  storage_fixture f;
  auto writer = start_writer(options_for(f.path()));
  storage::db_options reader_options;
  reader_options.path = f.path();
  reader_options.read_only = true;
  auto reader = storage::open_ready(reader_options);
  REQUIRE(reader.ok());
  // Used only inside callbacks, which all run on one thread one after another.
  SQLite::Statement visible(**reader, "SELECT count(*) FROM audit_log WHERE id = ?");

  constexpr int threads = 8;
  constexpr int per_thread = 100;
  std::atomic<int> called{0};
  std::atomic<int> seen{0};
  std::atomic<int> submitted{0};
  std::vector<std::thread> submitters;
  for (int t = 0; t < threads; ++t) {
    submitters.emplace_back([&, t] {
      for (int n = 0; n < per_thread; ++n) {
        auto id = std::make_shared<int64_t>(0);
        bool accepted = writer->try_submit(
            [id, t, n](storage::write_context& ctx) -> status {
              auto appended = ctx.audit().append("test", "write", std::to_string(t * 1000 + n));
              if (!appended) return appended.err();
              *id = *appended;
              return ok_status();
            },
            [&, id](const status& s) {
              ++called;
              if (!s) return;
              visible.reset();
              visible.bind(1, *id);
              if (visible.executeStep() && visible.getColumn(0).getInt64() == 1) ++seen;
            });
        if (accepted) ++submitted;
      }
    });
  }
  for (auto& t : submitters) t.join();
  REQUIRE(wait_until([&] { return called.load() == submitted.load(); }));
  writer->stop();
  CHECK(submitted.load() == threads * per_thread);
  CHECK(seen.load() == threads * per_thread);
  CHECK(count_rows(f.db(), "audit_log") == threads * per_thread);
  auto stats = writer->stats();
  CHECK(stats.writes == threads * per_thread);
  CHECK(stats.failed == 0);
}

TEST_CASE("writes queued behind a running batch are committed together") {
  storage_fixture f;
  auto writer = start_writer(options_for(f.path()));
  gate g;
  REQUIRE(writer->try_submit(g.write()));
  REQUIRE(wait_until([&] { return g.entered.load(); }));
  std::atomic<int> done{0};
  for (int n = 0; n < 50; ++n) {
    REQUIRE(writer->try_submit(
        [n](storage::write_context& ctx) -> status {
          auto a = ctx.audit().append("test", "batched", std::to_string(n));
          if (!a) return a.err();
          return ok_status();
        },
        [&](const status& s) {
          if (s) ++done;
        }));
  }
  g.release();
  writer->stop();
  CHECK(done.load() == 50);
  CHECK(count_rows(f.db(), "audit_log") == 50);
  // The gate's transaction and one for the fifty queued behind it.
  CHECK(writer->stats().transactions == 2);
}

TEST_CASE("acknowledgements queued with other writes commit first, in a transaction of their own") {
  // Declared before the writer, whose stop() runs the callbacks that use them.
  std::mutex order_mutex;
  std::vector<std::string> order;
  storage_fixture f;
  auto writer = start_writer(options_for(f.path()));
  gate g;
  REQUIRE(writer->try_submit(g.write()));
  REQUIRE(wait_until([&] { return g.entered.load(); }));
  auto submit = [&](const std::string& name, storage::lane in) {
    return writer->try_submit(
        [name](storage::write_context& ctx) -> status {
          auto a = ctx.audit().append("test", "lane", name);
          if (!a) return a.err();
          return ok_status();
        },
        [&, name](const status& s) {
          std::lock_guard<std::mutex> lock(order_mutex);
          order.push_back(s ? name : "failed " + name);
        },
        in);
  };
  REQUIRE(submit("job 1", storage::lane::normal));
  REQUIRE(submit("ack 1", storage::lane::ack));
  REQUIRE(submit("job 2", storage::lane::normal));
  REQUIRE(submit("ack 2", storage::lane::ack));
  g.release();
  writer->stop();
  CHECK(order == std::vector<std::string>{"ack 1", "ack 2", "job 1", "job 2"});
  // The gate's, the acknowledgements', the rest.
  CHECK(writer->stats().transactions == 3);
  // Each lane in its order in the table too.
  SQLite::Statement rows(f.db(), "SELECT target FROM audit_log ORDER BY id");
  std::vector<std::string> stored;
  while (rows.executeStep()) stored.push_back(rows.getColumn(0).getString());
  CHECK(stored == std::vector<std::string>{"ack 1", "ack 2", "job 1", "job 2"});
}

TEST_CASE("a slow callback holds up later callbacks, in commit order, but not later commits") {
  // Declared before the writer, whose stop() runs the blocked callback that uses them.
  std::promise<void> unblock;
  std::shared_future<void> unblocked = unblock.get_future().share();
  std::atomic<bool> blocking{false};
  std::mutex order_mutex;
  std::vector<int> order;
  std::atomic<int> failed{0};
  storage_fixture f;
  auto options = options_for(f.path());
  options.queue_capacity = 8;
  options.max_batch = 1;  // one write per batch, so the count below is exact
  auto writer = start_writer(options);
  // Destroyed before the writer: a failed check still lets the callback, and so stop(), end.
  struct release_on_exit {
    std::promise<void>& p;
    bool done = false;
    ~release_on_exit() {
      if (!done) p.set_value();
    }
  } release{unblock};
  auto append = [](int n) {
    return [n](storage::write_context& ctx) -> status {
      auto a = ctx.audit().append("test", "ordered", std::to_string(n));
      if (!a) return a.err();
      return ok_status();
    };
  };
  auto record = [&](int n) {
    return [&, n](const status& s) {
      if (!s) ++failed;
      std::lock_guard<std::mutex> lock(order_mutex);
      order.push_back(n);
    };
  };
  REQUIRE(writer->try_submit(append(0), [&, unblocked](const status& s) {
    if (!s) ++failed;
    blocking = true;
    unblocked.wait();
    std::lock_guard<std::mutex> lock(order_mutex);
    order.push_back(0);
  }));
  REQUIRE(wait_until([&] { return blocking.load(); }));
  // The writer commits on while the first callback blocks.
  for (int n = 1; n <= 3; ++n) {
    REQUIRE(writer->try_submit(append(n), record(n)));
    REQUIRE(wait_until([&] { return count_rows(f.db(), "audit_log") == n + 1; }));
  }
  // Past queue_capacity writes waiting for their callbacks the writer commits one more batch
  // and waits with it; the queue then fills and refuses: at most 8 + 1 + 8 writes.
  const int capacity = static_cast<int>(options.queue_capacity);
  int accepted = 3;
  auto refused = [&] {
    if (writer->try_submit(append(accepted + 1), record(accepted + 1))) ++accepted;
    return writer->stats().rejected > 0;
  };
  REQUIRE(wait_until(refused));
  CHECK(accepted + 1 <= 2 * capacity + 1);
  CHECK(accepted + 1 > capacity + 1);
  REQUIRE(wait_until([&] { return count_rows(f.db(), "audit_log") == capacity + 1; }));
  {
    std::lock_guard<std::mutex> lock(order_mutex);
    CHECK(order.empty());
  }
  release.done = true;
  unblock.set_value();
  writer->stop();
  std::vector<int> expected;
  for (int n = 0; n <= accepted; ++n) expected.push_back(n);
  CHECK(order == expected);
  CHECK(failed.load() == 0);
  CHECK(count_rows(f.db(), "audit_log") == accepted + 1);
}

TEST_CASE("a failing write rolls back alone and its neighbours commit") {
  storage_fixture f;
  {
    storage::tenants_repo tenants(f.db());
    REQUIRE(tenants.create("taken", "standard", 0, 1, "en").ok());
  }
  auto writer = start_writer(options_for(f.path()));
  gate g;
  REQUIRE(writer->try_submit(g.write()));
  REQUIRE(wait_until([&] { return g.entered.load(); }));
  std::vector<status> results(3, ok_status());
  std::mutex results_mutex;
  auto record = [&](int i) {
    return [&, i](const status& s) {
      std::lock_guard<std::mutex> lock(results_mutex);
      results[i] = s;
    };
  };
  auto create = [](std::string first, std::string second) {
    return [first, second](storage::write_context& ctx) -> status {
      auto a = ctx.tenants().create(first, "standard", 0, 1, "en");
      if (!a) return a.err();
      auto b = ctx.tenants().create(second, "standard", 0, 1, "en");
      if (!b) return b.err();
      return ok_status();
    };
  };
  REQUIRE(writer->try_submit(create("a1", "a2"), record(0)));
  // Its first insert succeeds, its second conflicts: the first must be undone too.
  REQUIRE(writer->try_submit(create("b1", "taken"), record(1)));
  REQUIRE(writer->try_submit(create("c1", "c2"), record(2)));
  g.release();
  writer->stop();
  CHECK(results[0].ok());
  REQUIRE_FALSE(results[1].ok());
  CHECK(results[1].err().code == errc::conflict);
  CHECK(results[2].ok());
  storage::tenants_repo tenants(f.db());
  CHECK(tenants.find("a2").ok());
  CHECK(tenants.find("c2").ok());
  CHECK(tenants.find("b1").err().code == errc::not_found);
  CHECK(writer->stats().failed == 1);
}

TEST_CASE("a full queue rejects writes instead of growing") {
  storage_fixture f;
  auto options = options_for(f.path());
  options.queue_capacity = 4;
  auto writer = start_writer(options);
  gate g;
  REQUIRE(writer->try_submit(g.write()));
  REQUIRE(wait_until([&] { return g.entered.load(); }));
  std::atomic<int> done{0};
  auto count = [&](const status&) { ++done; };
  auto noop = [](storage::write_context&) { return ok_status(); };
  for (int n = 0; n < 4; ++n) CHECK(writer->try_submit(noop, count));
  CHECK_FALSE(writer->try_submit(noop, count));
  CHECK(writer->stats().rejected == 1);
  g.release();
  writer->stop();
  CHECK(done.load() == 4);
  CHECK_FALSE(writer->try_submit(noop, count));
}

TEST_CASE("stopping commits every queued write before returning") {
  storage_fixture f;
  auto writer = start_writer(options_for(f.path()));
  std::atomic<int> done{0};
  for (int n = 0; n < 300; ++n) {
    REQUIRE(writer->try_submit(
        [n](storage::write_context& ctx) -> status {
          auto a = ctx.audit().append("test", "drain", std::to_string(n));
          if (!a) return a.err();
          return ok_status();
        },
        [&](const status& s) {
          if (s) ++done;
        }));
  }
  writer->stop();
  CHECK(done.load() == 300);
  CHECK(count_rows(f.db(), "audit_log") == 300);
}

TEST_CASE("the WAL is checkpointed off the commit path once it grows") {
  storage_fixture f;
  auto options = options_for(f.path());
  options.checkpoint_wal_pages = 1;
  options.checkpoint_interval = std::chrono::milliseconds(60000);
  auto writer = start_writer(options);
  std::atomic<int> done{0};
  REQUIRE(writer->try_submit(
      [](storage::write_context& ctx) -> status {
        auto a = ctx.audit().append("test", "grow", "x");
        if (!a) return a.err();
        return ok_status();
      },
      [&](const status&) { ++done; }));
  // With a one-minute interval only the WAL-size nudge can run a checkpoint in time.
  CHECK(wait_until([&] { return writer->stats().checkpoints > 0; }));
  writer->stop();
  CHECK(done.load() == 1);
}
