#include "runtime/db_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace aibud::runtime {

result<std::unique_ptr<db_lock>> db_lock::acquire(const std::string& db_path) {
  std::string path = db_path + ".lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return error{errc::unavailable, "cannot open " + path};
  // flock is released by the kernel when the process dies, SIGKILL included.
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return error{errc::unavailable, "another aibud serve holds " + db_path};
  }
  return std::unique_ptr<db_lock>(new db_lock(fd));
}

bool db_lock::held_elsewhere(const std::string& db_path) {
  std::string path = db_path + ".lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0;
  if (!held) ::flock(fd, LOCK_UN);
  ::close(fd);
  return held;
}

db_lock::~db_lock() {
  ::flock(fd_, LOCK_UN);
  ::close(fd_);
}

}  // namespace aibud::runtime
