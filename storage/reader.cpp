#include "storage/reader.hpp"

#include <SQLiteCpp/Database.h>

#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "base/thread_name.hpp"
#include "storage/audit_repo.hpp"
#include "storage/contacts_repo.hpp"
#include "storage/failed_jobs_repo.hpp"
#include "storage/instances_repo.hpp"
#include "storage/jobs_repo.hpp"
#include "storage/sqlite_internal.hpp"
#include "storage/tenants_repo.hpp"
#include "storage/tokens_repo.hpp"
#include "storage/usage_repo.hpp"
#include "storage/work_queue.hpp"

namespace aibud::storage {

// ---- read_context --------------------------------------------------------------------

struct read_context::repos {
  std::unique_ptr<audit_repo> audit;
  std::unique_ptr<contact_aliases_repo> aliases;
  std::unique_ptr<contacts_repo> contacts;
  std::unique_ptr<failed_jobs_repo> failed_jobs;
  std::unique_ptr<instances_repo> instances;
  std::unique_ptr<jobs_repo> jobs;
  std::unique_ptr<tenants_repo> tenants;
  std::unique_ptr<tokens_repo> tokens;
  std::unique_ptr<usage_repo> usage;
};

read_context::read_context(SQLite::Database& db) : db_(db), repos_(std::make_unique<repos>()) {}
read_context::~read_context() = default;

audit_repo& read_context::audit() {
  return detail::lazy_repo(repos_->audit, db_);
}
contact_aliases_repo& read_context::aliases() {
  return detail::lazy_repo(repos_->aliases, db_);
}
contacts_repo& read_context::contacts() {
  return detail::lazy_repo(repos_->contacts, db_);
}
failed_jobs_repo& read_context::failed_jobs() {
  return detail::lazy_repo(repos_->failed_jobs, db_);
}
instances_repo& read_context::instances() {
  return detail::lazy_repo(repos_->instances, db_);
}
jobs_repo& read_context::jobs() {
  return detail::lazy_repo(repos_->jobs, db_);
}
tenants_repo& read_context::tenants() {
  return detail::lazy_repo(repos_->tenants, db_);
}
tokens_repo& read_context::tokens() {
  return detail::lazy_repo(repos_->tokens, db_);
}
usage_repo& read_context::usage() {
  return detail::lazy_repo(repos_->usage, db_);
}

// ---- reader --------------------------------------------------------------------------

struct reader::impl {
  explicit impl(const reader_options& given) : options(given), queue(given.queue_capacity) {
    options.db.read_only = true;
  }

  // Constant after construction.
  reader_options options;
  std::vector<std::unique_ptr<SQLite::Database>> connections;

  detail::work_queue<read_fn> queue;
  std::vector<std::thread> threads;
  std::once_flag stopped;

  void run(SQLite::Database& db);
};

void reader::impl::run(SQLite::Database& db) {
  read_context context(db);
  std::vector<read_fn> next;
  // One read at a time, so an idle thread takes the next one rather than waiting behind it.
  while (queue.take(next, 1)) {
    // A throwing read must not take the thread, and every later read, down with it.
    try {
      next.front()(context);
    } catch (...) {
    }
  }
}

result<std::unique_ptr<reader>> reader::start(const reader_options& options) {
  auto state = std::make_unique<impl>(options);
  unsigned count = options.threads ? options.threads : 1;
  for (unsigned i = 0; i < count; ++i) {
    auto db = open_database(state->options.db);
    if (!db) return db.err();
    state->connections.push_back(std::move(*db));
  }
  impl* raw = state.get();
  for (auto& db : raw->connections) {
    SQLite::Database* connection = db.get();
    raw->threads.emplace_back([raw, connection] {
      name_this_thread("aibud-reader");
      raw->run(*connection);
    });
  }
  return std::unique_ptr<reader>(new reader(std::move(state)));
}

reader::reader(std::unique_ptr<impl> state) : impl_(std::move(state)) {}

reader::~reader() {
  stop();
}

bool reader::try_submit(read_fn read) {
  return impl_->queue.try_push(std::move(read));
}

void reader::stop() {
  std::call_once(impl_->stopped, [this] {
    impl_->queue.close();
    for (auto& t : impl_->threads) t.join();
  });
}

}  // namespace aibud::storage
