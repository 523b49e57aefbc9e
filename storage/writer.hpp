// The storage writer: the one thread that owns the single write connection (ARCHITECTURE
// §2, §4). Writes are queued (bounded) and every write waiting when the thread comes round
// is committed in one IMMEDIATE transaction (two when webhooks' writes wait too: see `lane`):
// a group commit, so N concurrent webhooks cost one fsync rather than N. Each write runs
// inside its own SAVEPOINT, so one failing write rolls back alone and its neighbours still
// commit.
//
// A write's completion callback runs only after COMMIT returned (the write is durable) or once
// the batch failed, on the writer's callback thread: one thread, batch after batch in commit
// order, so that the writer goes on with the next transaction meanwhile. The caller posts it
// to its own executor and must not block or throw in it. WAL checkpoints run off the commit
// path: automatic checkpoints are off on the write connection and a second thread with its
// own connection checkpoints PASSIVE periodically and whenever the WAL grows past a threshold.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "base/error.hpp"
#include "storage/database.hpp"
#include "storage/reader.hpp"

namespace aibud::storage {

class credit_ledger_repo;
class interactions_repo;
class sent_messages_repo;

// What a write sees: the write connection, inside the batch transaction, with the
// repositories of a read (so read code serves writes too) and those only writes use, each
// prepared once (created on first use). Only valid during the write.
class write_context : public read_context {
 public:
  explicit write_context(SQLite::Database& db);
  ~write_context();

  credit_ledger_repo& ledger();
  interactions_repo& interactions();
  sent_messages_repo& sent_messages();

 private:
  struct write_repos;
  std::unique_ptr<write_repos> write_repos_;
};

// A write returns its own status; an error (or an exception) rolls back its savepoint only.
// To hand a value to its callback (an inserted id), capture shared state in both.
using write_fn = std::function<status(write_context&)>;
// Receives the write's status, or the batch's error when BEGIN or COMMIT failed.
using done_fn = std::function<void(const status&)>;

struct writer_options {
  db_options db;                      // path, sync and busy timeout of both connections
  std::size_t queue_capacity = 4096;  // try_submit fails past this many waiting writes
  std::size_t max_batch = 512;        // writes per transaction at most
  std::chrono::milliseconds checkpoint_interval{1000};
  int checkpoint_wal_pages = 4096;  // a commit leaving more WAL pages nudges the checkpointer
};

// Which transaction of a round a write joins. The writes waiting when the writer comes round
// commit together, except that those a caller is waiting on to answer a request (a webhook's
// acknowledgement) commit first, in a transaction of their own: the webhook's answer does not
// wait for the job writes queued with it. Each lane keeps its order.
enum class lane { normal, ack };

struct writer_stats {
  uint64_t writes = 0;        // writes run (committed or rolled back)
  uint64_t failed = 0;        // writes whose status was an error
  uint64_t transactions = 0;  // batches committed or attempted
  uint64_t rejected = 0;      // try_submit calls refused
  uint64_t checkpoints = 0;   // PASSIVE checkpoints run
};

class writer {
 public:
  // Opens the write and checkpoint connections (the schema must already be current:
  // ensure_schema first) and starts both threads. Errors: those of open_database.
  static result<std::unique_ptr<writer>> start(const writer_options& options);
  ~writer();  // stop()
  writer(const writer&) = delete;
  writer& operator=(const writer&) = delete;

  // Queues a write. False, without queueing, when the queue is full (answer 503
  // overloaded) or the writer is stopping. Thread-safe.
  bool try_submit(write_fn write, done_fn done = nullptr, lane in = lane::normal);

  // Stops taking writes, commits everything queued, runs a last checkpoint and joins the
  // threads. Idempotent; every accepted write's callback has run when it returns.
  void stop();

  writer_stats stats() const;

  struct impl;

 private:
  explicit writer(std::unique_ptr<impl> impl);
  std::unique_ptr<impl> impl_;
};

}  // namespace aibud::storage
