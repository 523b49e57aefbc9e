#include "storage/writer.hpp"

#include <sqlite3.h>

#include <SQLiteCpp/Database.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <iterator>
#include <mutex>
#include <thread>
#include <vector>

#include "base/thread_name.hpp"
#include "storage/credit_ledger_repo.hpp"
#include "storage/interactions_repo.hpp"
#include "storage/sent_messages_repo.hpp"
#include "storage/sqlite_internal.hpp"
#include "storage/work_queue.hpp"

namespace aibud::storage {

// ---- write_context -------------------------------------------------------------------

struct write_context::write_repos {
  std::unique_ptr<credit_ledger_repo> ledger;
  std::unique_ptr<interactions_repo> interactions;
  std::unique_ptr<sent_messages_repo> sent_messages;
};

write_context::write_context(SQLite::Database& db)
    : read_context(db), write_repos_(std::make_unique<write_repos>()) {}
write_context::~write_context() = default;

credit_ledger_repo& write_context::ledger() {
  return detail::lazy_repo(write_repos_->ledger, db());
}
interactions_repo& write_context::interactions() {
  return detail::lazy_repo(write_repos_->interactions, db());
}
sent_messages_repo& write_context::sent_messages() {
  return detail::lazy_repo(write_repos_->sent_messages, db());
}

// ---- writer --------------------------------------------------------------------------

namespace {

// The writer runs these for every batch and every write: prepared once, as parsing them each
// time cost the writer thread more than running them.
struct batch_statements {
  explicit batch_statements(sqlite3* db)
      : begin(db, "BEGIN IMMEDIATE"),
        commit(db, "COMMIT"),
        rollback(db, "ROLLBACK"),
        write(db, "write") {}
  detail::prepared begin, commit, rollback;
  detail::savepoint_statements write;  // one write's savepoint, inside the batch
};

}  // namespace

struct writer::impl {
  struct pending {
    write_fn write;
    done_fn done;
    lane in = lane::normal;
  };
  // A batch whose transaction ended, waiting for its callbacks.
  struct finished {
    std::vector<pending> writes;
    std::vector<status> results;
  };

  explicit impl(const writer_options& given) : options(given), queue(given.queue_capacity) {
    options.max_batch = std::max<std::size_t>(options.max_batch, 1);
  }

  // Constant after construction.
  writer_options options;
  std::unique_ptr<SQLite::Database> write_db;
  std::unique_ptr<SQLite::Database> checkpoint_db;
  std::unique_ptr<batch_statements> statements;  // finalized before write_db closes

  detail::work_queue<pending> queue;

  // Protected by checkpoint_mutex.
  std::mutex checkpoint_mutex;
  std::condition_variable wake_checkpointer;
  std::condition_variable checkpoint_passed;
  bool checkpoint_wanted = false;
  bool checkpointer_stopping = false;
  uint64_t passes_requested = 0;  // catch-up passes the writer asked for
  uint64_t passes_done = 0;       // of those, how many a finished pass covered

  std::atomic<uint64_t> writes{0};
  std::atomic<uint64_t> failed{0};
  std::atomic<uint64_t> transactions{0};
  std::atomic<uint64_t> rejected{0};
  std::atomic<uint64_t> checkpoints{0};

  // Protected by finished_mutex: batches handed from the writer to the callbacks' thread,
  // and emptied vectors handed back for the writer to reuse.
  std::mutex finished_mutex;
  std::condition_variable finished_ready;  // to the callbacks' thread
  std::condition_variable finished_taken;  // to the writer, when it waits for room
  std::deque<finished> finished_batches;
  std::vector<finished> spare_batches;
  std::size_t finished_writes = 0;  // writes in finished_batches
  bool writer_done = false;         // the writer thread has handed over its last batch

  // Owned by the writer thread (the WAL hook runs on it, inside COMMIT).
  std::unique_ptr<write_context> context;
  int wal_pages = 0;    // the WAL's size after the last commit
  int nudged_at = 0;    // wal_pages when the checkpointer was last nudged
  int catch_up_at = 0;  // wal_pages from which the next batch waits for a catch-up pass

  std::thread writer_thread;
  std::thread callback_thread;
  std::thread checkpoint_thread;
  std::once_flag stopped;

  void run_writer();
  void run_callbacks();
  void run_checkpointer();
  void commit_batch(finished& batch);
  void hand_over(finished& batch);
  status run_one(const write_fn& write);
  void nudge_checkpointer();
  void catch_up_checkpoint();
  int restart_pages() const { return 4 * options.checkpoint_wal_pages; }
  int nudge_step() const { return std::max(1, options.checkpoint_wal_pages / 4); }
};

namespace {

// Called by SQLite after each commit on the write connection with the WAL's size in pages.
// Past checkpoint_wal_pages the checkpointer is nudged once per nudge_step() of growth, not
// after every commit: each pass syncs the WAL and the database file, and passes back to back
// would double the syncs the commits themselves need.
int on_wal_commit(void* arg, sqlite3*, const char*, int pages) {
  auto* self = static_cast<writer::impl*>(arg);
  self->wal_pages = pages;
  if (pages < self->nudged_at) self->nudged_at = 0;  // the WAL restarted
  if (pages < self->restart_pages()) self->catch_up_at = self->restart_pages();
  if (pages >= self->options.checkpoint_wal_pages &&
      pages - self->nudged_at >= self->nudge_step()) {
    self->nudged_at = pages;
    self->nudge_checkpointer();
  }
  return SQLITE_OK;
}

}  // namespace

void writer::impl::nudge_checkpointer() {
  {
    std::lock_guard<std::mutex> lock(checkpoint_mutex);
    checkpoint_wanted = true;
  }
  wake_checkpointer.notify_one();
}

// SQLite restarts the WAL from its start only when a write transaction begins with every frame
// already checkpointed. Under sustained load the checkpointer never catches up with a writer
// that keeps appending, so the WAL would grow without bound (hundreds of MB a minute) and the
// checkpointer would run back to back. Past restart_pages() the writer therefore waits, once,
// for a pass that starts after its last commit: that pass only copies what the previous
// passes left, and the next BEGIN then restarts the WAL. If a reader's snapshot kept the pass
// from finishing, the next wait comes only after another restart_pages() of growth.
void writer::impl::catch_up_checkpoint() {
  std::unique_lock<std::mutex> lock(checkpoint_mutex);
  uint64_t mine = ++passes_requested;
  checkpoint_wanted = true;
  wake_checkpointer.notify_one();
  checkpoint_passed.wait(lock, [&] { return passes_done >= mine; });
}

status writer::impl::run_one(const write_fn& write) {
  return detail::guarded("write", [&]() -> status {
    // Released when the write succeeded, otherwise rolled back alone (its neighbours in the
    // batch stay).
    detail::prepared_savepoint sp(statements->write);
    status s = write(*context);
    if (s) sp.release();
    return s;
  });
}

void writer::impl::commit_batch(finished& batch) {
  std::vector<status>& results = batch.results;
  results.clear();
  status outcome = detail::guarded("begin", [&]() -> status {
    statements->begin.run();
    return ok_status();
  });
  if (outcome) {
    for (pending& p : batch.writes) {
      results.push_back(run_one(p.write));
      // Some errors (disk full, I/O) make SQLite roll the whole transaction back: the
      // writes before this one are lost too, and none of the batch may be reported done.
      if (sqlite3_get_autocommit(write_db->getHandle()) != 0) {
        outcome =
            make_error(errc::unavailable,
                       "batch rolled back: " + (results.back() ? std::string("transaction ended")
                                                               : results.back().err().message));
        break;
      }
    }
  }
  if (outcome) {
    outcome = detail::guarded("commit", [&]() -> status {
      statements->commit.run();
      return ok_status();
    });
    if (!outcome) statements->rollback.try_run();  // SQLite may have rolled back already
  }
  if (!outcome) results.assign(batch.writes.size(), outcome);
  ++transactions;
  writes += batch.writes.size();
  for (const status& r : results)
    if (!r) ++failed;
}

// The callbacks run on a thread of their own, one batch after another in commit order, so the
// writer's thread goes straight on to the next transaction: callbacks post to other threads
// (a wake-up each) and free what the writes captured, memory other threads allocated, whose
// allocator locks the writer would otherwise wait on. At most queue_capacity writes wait here
// (or one batch, if larger): a batch that would go past that waits, as submitters wait on a
// full queue.
void writer::impl::hand_over(finished& batch) {
  std::unique_lock<std::mutex> lock(finished_mutex);
  finished_taken.wait(lock, [&] {
    return finished_writes == 0 || finished_writes + batch.writes.size() <= options.queue_capacity;
  });
  finished_writes += batch.writes.size();
  finished_batches.push_back(std::move(batch));
  if (spare_batches.empty()) {
    batch = finished{};
  } else {
    batch = std::move(spare_batches.back());
    spare_batches.pop_back();
  }
  lock.unlock();
  finished_ready.notify_one();
}

void writer::impl::run_writer() {
  context = std::make_unique<write_context>(*write_db);
  finished batch;
  finished normal;  // the normal lane's writes of a round that also has acknowledgements
  // Everything that queued up while the last batch committed goes into this round.
  while (queue.take(batch.writes, options.max_batch)) {
    if (wal_pages >= catch_up_at) {
      catch_up_checkpoint();
      catch_up_at = wal_pages + restart_pages();
    }
    auto is_ack = [](const pending& p) { return p.in == lane::ack; };
    auto acks_end = batch.writes.end();
    // Most rounds hold one kind only: nothing to move then.
    const auto acks = std::count_if(batch.writes.begin(), batch.writes.end(), is_ack);
    if (acks > 0 && acks < static_cast<std::ptrdiff_t>(batch.writes.size()))
      acks_end = std::stable_partition(batch.writes.begin(), batch.writes.end(), is_ack);
    if (acks_end != batch.writes.end()) {  // the acknowledgements first, on their own
      normal.writes.assign(std::make_move_iterator(acks_end),
                           std::make_move_iterator(batch.writes.end()));
      batch.writes.erase(acks_end, batch.writes.end());
      commit_batch(batch);
      hand_over(batch);
      std::swap(batch, normal);
    }
    commit_batch(batch);
    hand_over(batch);
  }
  context.reset();
  {
    std::lock_guard<std::mutex> lock(finished_mutex);
    writer_done = true;
  }
  finished_ready.notify_one();
}

void writer::impl::run_callbacks() {
  std::deque<finished> taken;
  std::unique_lock<std::mutex> lock(finished_mutex);
  for (;;) {
    finished_ready.wait(lock, [&] { return writer_done || !finished_batches.empty(); });
    if (finished_batches.empty()) break;  // the writer is done and everything ran
    taken.swap(finished_batches);
    lock.unlock();
    std::size_t ran = 0;
    for (finished& batch : taken) {
      for (std::size_t i = 0; i < batch.writes.size(); ++i) {
        if (!batch.writes[i].done) continue;
        // A throwing callback must not take the later callbacks down with it.
        try {
          batch.writes[i].done(batch.results[i]);
        } catch (...) {
        }
      }
      ran += batch.writes.size();
      batch.writes.clear();  // what the writes and callbacks captured is freed here
      batch.results.clear();
    }
    lock.lock();
    finished_writes -= ran;
    for (finished& batch : taken) spare_batches.push_back(std::move(batch));
    taken.clear();
    finished_taken.notify_one();
  }
}

void writer::impl::run_checkpointer() {
  std::unique_lock<std::mutex> lock(checkpoint_mutex);
  for (;;) {
    wake_checkpointer.wait_for(lock, options.checkpoint_interval,
                               [&] { return checkpoint_wanted || checkpointer_stopping; });
    bool last = checkpointer_stopping;
    checkpoint_wanted = false;
    uint64_t covers = passes_requested;  // asked for before this pass starts
    lock.unlock();
    // PASSIVE never waits for readers or the writer: it copies what it can.
    int rc = sqlite3_wal_checkpoint_v2(checkpoint_db->getHandle(), nullptr,
                                       SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    if (rc == SQLITE_OK) ++checkpoints;
    lock.lock();
    passes_done = covers;
    checkpoint_passed.notify_all();
    if (last) break;
  }
}

result<std::unique_ptr<writer>> writer::start(const writer_options& options) {
  db_options db = options.db;
  db.read_only = false;
  auto write_db = open_database(db);
  if (!write_db) return write_db.err();
  auto checkpoint_db = open_database(db);
  if (!checkpoint_db) return checkpoint_db.err();
  auto state = std::make_unique<impl>(options);
  state->write_db = std::move(*write_db);
  state->checkpoint_db = std::move(*checkpoint_db);
  status configured = detail::guarded("writer setup", [&]() -> status {
    state->write_db->exec("PRAGMA wal_autocheckpoint=0");
    state->statements = std::make_unique<batch_statements>(state->write_db->getHandle());
    return ok_status();
  });
  if (!configured) return configured.err();
  // Replaces SQLite's automatic checkpoint hook (already off) with a nudge.
  sqlite3_wal_hook(state->write_db->getHandle(), &on_wal_commit, state.get());
  impl* raw = state.get();
  raw->catch_up_at = raw->restart_pages();
  raw->writer_thread = std::thread([raw] {
    name_this_thread("aibud-writer");
    raw->run_writer();
  });
  raw->callback_thread = std::thread([raw] {
    name_this_thread("aibud-written");
    raw->run_callbacks();
  });
  raw->checkpoint_thread = std::thread([raw] {
    name_this_thread("aibud-checkpt");
    raw->run_checkpointer();
  });
  return std::unique_ptr<writer>(new writer(std::move(state)));
}

writer::writer(std::unique_ptr<impl> state) : impl_(std::move(state)) {}

writer::~writer() {
  stop();
}

bool writer::try_submit(write_fn write, done_fn done, lane in) {
  if (impl_->queue.try_push({std::move(write), std::move(done), in})) return true;
  ++impl_->rejected;
  return false;
}

void writer::stop() {
  std::call_once(impl_->stopped, [this] {
    impl_->queue.close();
    impl_->writer_thread.join();
    impl_->callback_thread.join();
    {
      std::lock_guard<std::mutex> lock(impl_->checkpoint_mutex);
      impl_->checkpointer_stopping = true;
    }
    impl_->wake_checkpointer.notify_one();
    impl_->checkpoint_thread.join();
  });
}

writer_stats writer::stats() const {
  writer_stats s;
  s.writes = impl_->writes.load();
  s.failed = impl_->failed.load();
  s.transactions = impl_->transactions.load();
  s.rejected = impl_->rejected.load();
  s.checkpoints = impl_->checkpoints.load();
  return s;
}

}  // namespace aibud::storage
