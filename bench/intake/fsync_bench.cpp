// bench_fsync: what one durable commit costs on this disk (ARCHITECTURE §9). Appends 4 KiB
// and syncs, in a loop, on a scratch file in the database's directory: p50/p99 of
// fdatasync (what SQLite calls on Linux) and of fsync. The intake target is stated
// against the fsync p99.
//
//   bench_fsync --dir DIR [--iterations 300]
//
// Prints one human line and one JSON line ({"bench":"fsync",...}); exit 1 when the file
// cannot be written.
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <iostream>

#include "bench/intake/bench_util.hpp"

namespace aibud::bench {
namespace {

// Latencies in microseconds of `iterations` × (append 4 KiB, sync); empty on failure.
std::vector<double> sync_loop(const std::string& path, int iterations, int (*sync)(int)) {
  std::vector<double> out;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return out;
  char block[4096];
  std::memset(block, 'x', sizeof block);
  for (int i = 0; i < iterations; ++i) {
    auto t0 = steady::now();
    if (::write(fd, block, sizeof block) != static_cast<ssize_t>(sizeof block) || sync(fd) != 0) {
      out.clear();
      break;
    }
    out.push_back(std::chrono::duration<double, std::micro>(steady::now() - t0).count());
  }
  ::close(fd);
  ::unlink(path.c_str());
  return out;
}

int run_main(int argc, char** argv) {
  options opt(argc, argv);
  std::string dir = opt.get("dir");
  int iterations = static_cast<int>(opt.number("iterations", 300));
  if (dir.empty() || iterations <= 0) {
    std::cerr << "error: usage: bench_fsync --dir DIR [--iterations N]\n";
    return 2;
  }
  std::string path = dir + "/fsync-bench.scratch";
  auto datasync = sync_loop(path, iterations, ::fdatasync);
  auto full = sync_loop(path, iterations, ::fsync);
  if (datasync.empty() || full.empty()) {
    std::cerr << "error: unavailable: cannot write and sync " << path << "\n";
    return 1;
  }
  double d50 = percentile(datasync, 0.5) / 1000, d99 = percentile(datasync, 0.99) / 1000;
  double f50 = percentile(full, 0.5) / 1000, f99 = percentile(full, 0.99) / 1000;
  std::printf(
      "%-16s n=%d  fdatasync p50 %6.2f ms  p99 %6.2f ms  fsync p50 %6.2f ms  p99 %6.2f ms\n",
      "fsync 4KiB", iterations, d50, d99, f50, f99);
  json_line()
      .text("bench", "fsync")
      .integer("iterations", iterations)
      .num("fdatasync_p50_ms", d50)
      .num("fdatasync_p99_ms", d99)
      .num("fsync_p50_ms", f50)
      .num("fsync_p99_ms", f99)
      .print();
  return 0;
}

}  // namespace
}  // namespace aibud::bench

int main(int argc, char** argv) {
  return aibud::bench::run_main(argc, argv);
}
