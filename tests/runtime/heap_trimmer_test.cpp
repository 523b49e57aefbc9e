#include "runtime/heap_trimmer.hpp"

#include <unistd.h>

#include <cstring>
#include <fstream>
#include <memory>
#include <vector>

#include <doctest/doctest.h>

#include "tests/support/process.hpp"

using namespace aibud::runtime;
using aibud::testing::wait_until;
using std::chrono::hours;
using std::chrono::milliseconds;

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool glibc_heap = false;  // ASan's allocator ignores mallopt and malloc_trim
#else
constexpr bool glibc_heap = true;
#endif

std::size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

// Allocates and touches `bytes` in blocks below the mmap threshold, then frees them all.
void churn(std::size_t bytes) {
  std::vector<std::unique_ptr<char[]>> blocks;
  for (std::size_t done = 0; done < bytes; done += 16 * 1024) {
    blocks.emplace_back(new char[16 * 1024]);
    std::memset(blocks.back().get(), 1, 16 * 1024);
  }
}

constexpr std::size_t mib = 1024 * 1024;

}  // namespace

TEST_CASE("a heap trimmer keeps freed memory between its trims and gives it back at each") {
  const std::size_t before = resident_bytes();
  {
    heap_trimmer idle(hours(1), 1024 * mib);
    churn(64 * mib);
    // Freed, but kept for reuse: no trim has run.
    if (glibc_heap) CHECK(resident_bytes() > before + 48 * mib);
    CHECK(idle.trims() == 0);
  }
  heap_trimmer busy(milliseconds(10), 1024 * mib);
  REQUIRE(wait_until([&] { return busy.trims() >= 2; }));
  if (glibc_heap) CHECK(resident_bytes() < before + 16 * mib);
}
