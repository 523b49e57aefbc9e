// Read-only connections for the admin API (ARCHITECTURE §4): a small pool of threads, each
// with its own read-only connection, runs read functions off the HTTP threads. The queue is
// bounded: a full queue refuses the read at once (the API answers 503 with Retry-After).
//
// A read runs on a reader thread with that thread's `read_context`; its completion callback
// runs there too, right after it, so the caller posts nothing heavy in it and never blocks.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

#include "base/error.hpp"
#include "storage/database.hpp"

namespace SQLite {
class Database;
}

namespace aibud::storage {

class audit_repo;
class contact_aliases_repo;
class contacts_repo;
class failed_jobs_repo;
class instances_repo;
class jobs_repo;
class tenants_repo;
class tokens_repo;
class usage_repo;

// What a read sees: one connection and repositories on it, prepared once (on first use).
// Usable on any connection, so the CLI builds one on its own database to share read code,
// and the storage writer's write_context is one. Only the SELECT methods of these
// repositories may be called on a read-only connection.
class read_context {
 public:
  explicit read_context(SQLite::Database& db);
  ~read_context();
  read_context(const read_context&) = delete;
  read_context& operator=(const read_context&) = delete;

  SQLite::Database& db() { return db_; }
  audit_repo& audit();
  contact_aliases_repo& aliases();
  contacts_repo& contacts();
  failed_jobs_repo& failed_jobs();
  instances_repo& instances();
  jobs_repo& jobs();
  tenants_repo& tenants();
  tokens_repo& tokens();
  usage_repo& usage();

 private:
  struct repos;
  SQLite::Database& db_;
  std::unique_ptr<repos> repos_;
};

using read_fn = std::function<void(read_context&)>;

struct reader_options {
  db_options db;  // path and busy timeout; opened read-only whatever `db.read_only` says
  unsigned threads = 2;
  std::size_t queue_capacity = 256;  // try_submit fails past this many waiting reads
};

class reader {
 public:
  // Opens one read-only connection per thread and starts the threads. The database must
  // exist at the current schema. Errors: those of open_database.
  static result<std::unique_ptr<reader>> start(const reader_options& options);
  ~reader();  // stop()
  reader(const reader&) = delete;
  reader& operator=(const reader&) = delete;

  // Queues a read. False, without queueing, when the queue is full or the reader is
  // stopping. An exception escaping `read` is swallowed (wrap reads with `submit`).
  bool try_submit(read_fn read);

  // `work` computes a value on a reader thread; `done` receives it (or the error `work`
  // threw, as internal) on the same thread. False when the read was refused.
  template <class T, class Work, class Done>
  bool submit(Work work, Done done) {
    return try_submit([work = std::move(work), done = std::move(done)](read_context& r) mutable {
      result<T> value = run_guarded<T>(work, r);
      done(std::move(value));
    });
  }

  // Stops taking reads, runs every queued one and joins the threads. Idempotent.
  void stop();

  struct impl;

 private:
  template <class T, class Work>
  static result<T> run_guarded(Work& work, read_context& r) {
    try {
      return work(r);
    } catch (const std::exception& e) {
      return make_error(errc::internal, std::string("read: ") + e.what());
    }
  }

  explicit reader(std::unique_ptr<impl> impl);
  std::unique_ptr<impl> impl_;
};

}  // namespace aibud::storage
