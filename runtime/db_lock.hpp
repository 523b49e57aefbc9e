// The exclusive lock a server holds on `<db>.lock` (ARCHITECTURE §2): while it is held, CLI
// commands that change actor-owned state go through the server's admin API.
#pragma once

#include <memory>
#include <string>

#include "base/error.hpp"

namespace aibud::runtime {

class db_lock {
 public:
  // Takes the lock without waiting. Errors: unavailable when another process holds it.
  static result<std::unique_ptr<db_lock>> acquire(const std::string& db_path);
  // Whether some process holds the lock now (without taking it for long).
  static bool held_elsewhere(const std::string& db_path);
  ~db_lock();
  db_lock(const db_lock&) = delete;
  db_lock& operator=(const db_lock&) = delete;

 private:
  explicit db_lock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace aibud::runtime
