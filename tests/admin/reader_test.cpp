#include <doctest/doctest.h>

#include <SQLiteCpp/Database.h>

#include <atomic>
#include <thread>

#include "storage/database.hpp"
#include "storage/reader.hpp"
#include "storage/tenants_repo.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace aibud;

namespace {

storage::db_options at(const std::string& path) {
  storage::db_options o;
  o.path = path;
  return o;
}

}  // namespace

TEST_CASE("a read runs on a reader thread and hands its value to its callback") {
  testing::temp_dir dir;
  {
    auto db = storage::open_ready(at(dir.file("a.db")));
    REQUIRE(storage::tenants_repo(**db).create("acme", "standard", 5, 1, "en"));
  }
  storage::reader_options options;
  options.db = at(dir.file("a.db"));
  auto reader = storage::reader::start(options);
  REQUIRE(reader);
  std::atomic<bool> done{false};
  std::string name;
  std::thread::id ran_on;
  bool accepted = (*reader)->submit<storage::tenant>(
      [&](storage::read_context& r) {
        ran_on = std::this_thread::get_id();
        return r.tenants().find("acme");
      },
      [&](result<storage::tenant> t) {
        name = t ? t->name : t.err().message;
        done = true;
      });
  REQUIRE(accepted);
  REQUIRE(testing::wait_until([&] { return done.load(); }));
  CHECK(name == "acme");
  CHECK(ran_on != std::this_thread::get_id());
}

TEST_CASE("a reader connection cannot write") {
  testing::temp_dir dir;
  { REQUIRE(storage::open_ready(at(dir.file("a.db")))); }
  storage::reader_options options;
  options.db = at(dir.file("a.db"));
  auto reader = storage::reader::start(options);
  REQUIRE(reader);
  std::atomic<bool> done{false};
  std::optional<error> failure;
  (*reader)->submit<storage::tenant>(
      [](storage::read_context& r) { return r.tenants().create("acme", "standard", 5, 1, "en"); },
      [&](result<storage::tenant> t) {
        if (!t) failure = t.err();
        done = true;
      });
  REQUIRE(testing::wait_until([&] { return done.load(); }));
  REQUIRE(failure);
  CHECK(failure->code != errc::conflict);
}

TEST_CASE("a stopped reader refuses reads and a full queue refuses at once") {
  testing::temp_dir dir;
  { REQUIRE(storage::open_ready(at(dir.file("a.db")))); }
  storage::reader_options options;
  options.db = at(dir.file("a.db"));
  options.queue_capacity = 0;
  auto full = storage::reader::start(options);
  REQUIRE(full);
  CHECK_FALSE((*full)->try_submit([](storage::read_context&) {}));
  options.queue_capacity = 8;
  auto stopped = storage::reader::start(options);
  REQUIRE(stopped);
  (*stopped)->stop();
  CHECK_FALSE((*stopped)->try_submit([](storage::read_context&) {}));
}
