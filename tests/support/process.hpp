// Runs a program as a real child process: the CLI tests and the crash tests use it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace aibud::testing {

struct run_result {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string out;
  std::string err;
};

struct run_options {
  std::map<std::string, std::string> env;  // added to (or replacing) the inherited environment
  std::vector<std::string> unset_env;      // removed from the inherited environment
  std::string stdin_data;
  std::string cwd;
  std::chrono::milliseconds timeout{60000};
};

// Runs to completion (killed with SIGKILL past the timeout) and captures its output.
run_result run(const std::vector<std::string>& argv, const run_options& options = {});

// Runs the aibud binary under test.
run_result aibud(const std::vector<std::string>& args, const run_options& options = {});

// A child running in the background (a server), killed on destruction.
class child {
 public:
  child(const std::vector<std::string>& argv, const run_options& options = {});
  ~child();
  child(const child&) = delete;
  child& operator=(const child&) = delete;

  pid_t pid() const { return pid_; }
  void kill(int sig);
  // Waits for exit; returns the exit code, or -signal when killed by one.
  int wait(std::chrono::milliseconds timeout = std::chrono::milliseconds(30000));
  bool running();
  // Everything the child wrote to stderr/stdout so far (both go to one log file).
  std::string output() const;

 private:
  pid_t pid_ = -1;
  int status_ = 0;
  bool reaped_ = false;
  std::string log_path_;
};

// A short pause between polls of a condition (never used as synchronisation on its own).
void poll_pause();

// Polls `condition` until it holds or `timeout` passes; the only way tests wait.
template <class Condition>
bool wait_until(Condition condition,
                std::chrono::milliseconds timeout = std::chrono::milliseconds(20000)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    poll_pause();
  }
  return condition();
}

}  // namespace aibud::testing
