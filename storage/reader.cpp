#include "storage/reader.hpp"

#include <SQLiteCpp/Database.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "storage/audit_repo.hpp"
#include "storage/contacts_repo.hpp"
#include "storage/failed_jobs_repo.hpp"
#include "storage/instances_repo.hpp"
#include "storage/jobs_repo.hpp"
#include "storage/tenants_repo.hpp"
#include "storage/tokens_repo.hpp"
#include "storage/usage_repo.hpp"

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

namespace {
template <class Repo>
Repo& lazy(std::unique_ptr<Repo>& slot, SQLite::Database& db) {
  if (!slot) slot = std::make_unique<Repo>(db);
  return *slot;
}
}  // namespace

read_context::read_context(SQLite::Database& db) : db_(db), repos_(std::make_unique<repos>()) {}
read_context::~read_context() = default;

audit_repo& read_context::audit() {
  return lazy(repos_->audit, db_);
}
contact_aliases_repo& read_context::aliases() {
  return lazy(repos_->aliases, db_);
}
contacts_repo& read_context::contacts() {
  return lazy(repos_->contacts, db_);
}
failed_jobs_repo& read_context::failed_jobs() {
  return lazy(repos_->failed_jobs, db_);
}
instances_repo& read_context::instances() {
  return lazy(repos_->instances, db_);
}
jobs_repo& read_context::jobs() {
  return lazy(repos_->jobs, db_);
}
tenants_repo& read_context::tenants() {
  return lazy(repos_->tenants, db_);
}
tokens_repo& read_context::tokens() {
  return lazy(repos_->tokens, db_);
}
usage_repo& read_context::usage() {
  return lazy(repos_->usage, db_);
}

// ---- reader --------------------------------------------------------------------------

struct reader::impl {
  // Constant after construction.
  reader_options options;
  std::vector<std::unique_ptr<SQLite::Database>> connections;

  // Protected by mutex.
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<read_fn> queue;
  bool stopping = false;

  std::vector<std::thread> threads;
  std::once_flag stopped;

  void run(SQLite::Database& db);
};

void reader::impl::run(SQLite::Database& db) {
  read_context context(db);
  for (;;) {
    read_fn next;
    {
      std::unique_lock<std::mutex> lock(mutex);
      wake.wait(lock, [&] { return stopping || !queue.empty(); });
      if (queue.empty()) return;  // stopping and drained
      next = std::move(queue.front());
      queue.pop_front();
    }
    // A throwing read must not take the thread, and every later read, down with it.
    try {
      next(context);
    } catch (...) {
    }
  }
}

result<std::unique_ptr<reader>> reader::start(const reader_options& options) {
  auto state = std::make_unique<impl>();
  state->options = options;
  state->options.db.read_only = true;
  unsigned count = options.threads ? options.threads : 1;
  for (unsigned i = 0; i < count; ++i) {
    auto db = open_database(state->options.db);
    if (!db) return db.err();
    state->connections.push_back(std::move(*db));
  }
  impl* raw = state.get();
  for (auto& db : raw->connections) {
    SQLite::Database* connection = db.get();
    raw->threads.emplace_back([raw, connection] { raw->run(*connection); });
  }
  return std::unique_ptr<reader>(new reader(std::move(state)));
}

reader::reader(std::unique_ptr<impl> state) : impl_(std::move(state)) {}

reader::~reader() {
  stop();
}

bool reader::try_submit(read_fn read) {
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (impl_->stopping || impl_->queue.size() >= impl_->options.queue_capacity) return false;
    impl_->queue.push_back(std::move(read));
  }
  impl_->wake.notify_one();
  return true;
}

void reader::stop() {
  std::call_once(impl_->stopped, [this] {
    {
      std::lock_guard<std::mutex> lock(impl_->mutex);
      impl_->stopping = true;
    }
    impl_->wake.notify_all();
    for (auto& t : impl_->threads) t.join();
  });
}

}  // namespace aibud::storage
