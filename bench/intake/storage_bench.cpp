// bench_intake_storage: the storage alone (ARCHITECTURE §9). The same job rows intake
// stores (the sample messages.upsert, parsed as the webhook handler parses it, one unique
// message id per row) inserted through storage::writer and jobs_repo::insert, each in its
// savepoint as intake does, in 1-row and in 64-row transactions (the writer's max_batch with
// its queue kept full), at synchronous FULL and NORMAL. Each combination gets a fresh
// database in --dir; the writer's checkpointer runs as in the server.
//
//   bench_intake_storage --dir DIR --body FILE [--duration 3] [--sync FULL,NORMAL]
//                        [--batches 1,64]
//
// Prints one human line and one JSON line ({"bench":"intake_storage",...}) per combination.
#include <atomic>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <SQLiteCpp/Database.h>
#include <nlohmann/json.hpp>

#include "adapters/evolution/webhook_parser.hpp"
#include "bench/intake/bench_util.hpp"
#include "storage/database.hpp"
#include "storage/instances_repo.hpp"
#include "storage/jobs_repo.hpp"
#include "storage/tenants_repo.hpp"
#include "storage/writer.hpp"

namespace aibud::bench {
namespace {

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

// A job row as runtime/intake.cpp builds it from the parsed sample.
result<storage::new_job> sample_job(const std::string& body, int64_t instance_id) {
  auto parsed = evolution::parse_webhook(body, "");
  if (!parsed) return parsed.err();
  const evolution::message* m = parsed->as_message();
  if (!m) return make_error(errc::invalid_argument, "the sample is not a message");
  storage::new_job job;
  job.instance_id = instance_id;
  job.wa_message_id = m->key.id;
  job.event = parsed->name;
  job.contact_key = m->contact.canonical();
  job.sender_jids = nlohmann::json(m->contact.jids).dump();
  job.payload = parsed->stored_payload;
  if (m->timestamp) job.message_ts = *m->timestamp * 1000;
  return job;
}

// A fresh database at the current schema with one tenant and one instance; its id.
result<int64_t> prepare(const storage::db_options& db) {
  std::remove(db.path.c_str());
  std::remove((db.path + "-wal").c_str());
  std::remove((db.path + "-shm").c_str());
  auto conn = storage::open_ready(db);
  if (!conn) return conn.err();
  auto tenant = storage::tenants_repo(**conn).create("bench", "free", 0, 1, "en");
  if (!tenant) return tenant.err();
  auto instance =
      storage::instances_repo(**conn).create("main", tenant->id, "sandbox", "", "", "secret");
  if (!instance) return instance.err();
  return instance->id;
}

struct outcome {
  uint64_t rows = 0;  // committed before the window closed
  uint64_t failed = 0;
  uint64_t transactions = 0;
  uint64_t writes = 0;
  uint64_t checkpoints = 0;
};

result<outcome> measure(const storage::db_options& db, const storage::new_job& row,
                        std::size_t batch, double seconds) {
  storage::writer_options options;
  options.db = db;
  options.max_batch = batch;
  options.queue_capacity = std::max<std::size_t>(1024, 4 * batch);
  auto w = storage::writer::start(options);
  if (!w) return w.err();

  auto shared_row = std::make_shared<const storage::new_job>(row);
  std::atomic<uint64_t> committed{0}, failed{0};
  std::atomic<bool> open_window{true};
  uint64_t counter = 0;
  auto t0 = steady::now();
  auto end =
      t0 + std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(seconds));
  while (steady::now() < end) {
    std::string id = "STORE" + std::to_string(++counter);
    bool queued = (*w)->try_submit(
        [shared_row, id](storage::write_context& ctx) -> status {
          storage::new_job job = *shared_row;
          job.wa_message_id = id;
          auto inserted = ctx.jobs().insert(job);
          if (!inserted) return inserted.err();
          return ok_status();
        },
        [&](const status& s) {
          if (!s)
            ++failed;
          else if (open_window.load(std::memory_order_relaxed))
            ++committed;
        });
    // A full queue is the point (every transaction takes max_batch rows): wait a little.
    if (!queued) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  open_window = false;
  outcome out;
  out.rows = committed.load();
  (*w)->stop();
  auto stats = (*w)->stats();
  out.failed = failed.load();
  out.transactions = stats.transactions;
  out.writes = stats.writes;
  out.checkpoints = stats.checkpoints;
  return out;
}

int run_main(int argc, char** argv) {
  options opt(argc, argv);
  std::string dir = opt.get("dir");
  std::string body_path = opt.get("body");
  double seconds = opt.number("duration", 3);
  auto syncs = split(opt.get("sync", "FULL,NORMAL"));
  auto batches = split(opt.get("batches", "1,64"));
  if (dir.empty() || body_path.empty() || seconds <= 0) {
    std::cerr << "error: usage: bench_intake_storage --dir DIR --body FILE [--duration S]\n";
    return 2;
  }
  std::ifstream file(body_path);
  std::stringstream body;
  body << file.rdbuf();
  if (!file) {
    std::cerr << "error: not_found: cannot read " << body_path << "\n";
    return 1;
  }

  for (const auto& sync : syncs) {
    for (const auto& batch_text : batches) {
      auto batch = static_cast<std::size_t>(std::stoul(batch_text));
      storage::db_options db;
      db.path = dir + "/storage-bench.db";
      db.sync = sync;
      auto instance_id = prepare(db);
      if (!instance_id) {
        std::cerr << "error: " << instance_id.err().message << "\n";
        return 1;
      }
      auto row = sample_job(body.str(), *instance_id);
      if (!row) {
        std::cerr << "error: " << row.err().message << "\n";
        return 1;
      }
      auto out = measure(db, *row, batch, seconds);
      if (!out) {
        std::cerr << "error: " << out.err().message << "\n";
        return 1;
      }
      double rate = static_cast<double>(out->rows) / seconds;
      double per_commit = out->transactions ? double(out->writes) / double(out->transactions) : 0;
      std::printf(
          "%-16s sync=%-6s rows/txn=%-3zu %9.0f rows/s  %8.0f txn/s  (avg %.1f rows/txn, "
          "%llu checkpoints, %llu failed)\n",
          "storage", sync.c_str(), batch, rate, rate / std::max(per_commit, 1.0), per_commit,
          static_cast<unsigned long long>(out->checkpoints),
          static_cast<unsigned long long>(out->failed));
      json_line()
          .text("bench", "intake_storage")
          .text("sync", sync)
          .integer("rows_per_transaction", static_cast<int64_t>(batch))
          .num("seconds", seconds, 1)
          .integer("rows", static_cast<int64_t>(out->rows))
          .num("rows_per_s", rate, 1)
          .num("avg_rows_per_transaction", per_commit, 2)
          .integer("checkpoints", static_cast<int64_t>(out->checkpoints))
          .integer("failed", static_cast<int64_t>(out->failed))
          .print();
      std::fflush(stdout);
    }
  }
  std::remove((dir + "/storage-bench.db").c_str());
  std::remove((dir + "/storage-bench.db-wal").c_str());
  std::remove((dir + "/storage-bench.db-shm").c_str());
  return 0;
}

}  // namespace
}  // namespace aibud::bench

int main(int argc, char** argv) {
  return aibud::bench::run_main(argc, argv);
}
