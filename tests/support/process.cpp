#include "tests/support/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "tests/support/temp_dir.hpp"

extern char** environ;

namespace aibud::testing {
namespace {

std::vector<std::string> child_environment(const run_options& options) {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string entry(*e);
    auto eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& name : options.unset_env) env.erase(name);
  for (const auto& [k, v] : options.env) env[k] = v;
  std::vector<std::string> out;
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Between fork and exec only async-signal-safe calls are allowed, so everything is
// prepared before fork.
pid_t spawn(const std::vector<std::string>& argv, const run_options& options, int in_fd, int out_fd,
            int err_fd) {
  std::vector<std::string> args = argv;
  std::vector<std::string> env = child_environment(options);
  auto c_args = c_strings(args);
  auto c_env = c_strings(env);
  const char* cwd = options.cwd.empty() ? nullptr : options.cwd.c_str();
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    dup2(in_fd, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    if (cwd && chdir(cwd) != 0) _exit(127);
    execve(c_args[0], c_args.data(), c_env.data());
    _exit(127);
  }
  return pid;
}

}  // namespace

void poll_pause() {
  std::this_thread::sleep_for(std::chrono::milliseconds(5));  // poll interval of wait_until
}

run_result run(const std::vector<std::string>& argv, const run_options& options) {
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) || pipe2(out_pipe, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC))
    throw std::runtime_error("pipe failed");
  pid_t pid = spawn(argv, options, in_pipe[0], out_pipe[1], err_pipe[1]);
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);

  run_result result;
  std::size_t written = 0;
  int in_fd = in_pipe[1];
  if (options.stdin_data.empty()) {
    close(in_fd);
    in_fd = -1;
  }
  auto deadline = std::chrono::steady_clock::now() + options.timeout;
  int open_outputs = 2;
  bool killed = false;
  while (open_outputs > 0) {
    pollfd fds[3] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}, {in_fd, POLLOUT, 0}};
    int n = in_fd >= 0 ? 3 : 2;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 && !killed) {
      ::kill(pid, SIGKILL);
      killed = true;
    }
    ::poll(fds, n, 100);
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[65536];
      ssize_t got = read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        (i == 0 ? result.out : result.err).append(buf, static_cast<std::size_t>(got));
      } else {
        close(fds[i].fd);
        (i == 0 ? out_pipe[0] : err_pipe[0]) = -1;
        --open_outputs;
      }
    }
    if (in_fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t put =
          write(in_fd, options.stdin_data.data() + written, options.stdin_data.size() - written);
      if (put > 0) written += static_cast<std::size_t>(put);
      if (put <= 0 || written == options.stdin_data.size()) {
        close(in_fd);
        in_fd = -1;
      }
    }
  }
  if (in_fd >= 0) close(in_fd);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

run_result aibud(const std::vector<std::string>& args, const run_options& options) {
  std::vector<std::string> argv{AIBUD_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, options);
}

child::child(const std::vector<std::string>& argv, const run_options& options) {
  char name[] = "/tmp/aibud-child-XXXXXX";
  int log_fd = mkstemp(name);
  if (log_fd < 0) throw std::runtime_error("mkstemp failed");
  log_path_ = name;
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  pid_ = spawn(argv, options, null_fd, log_fd, log_fd);
  close(null_fd);
  close(log_fd);
}

child::~child() {
  if (!reaped_) {
    ::kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
  }
  unlink(log_path_.c_str());
}

void child::kill(int sig) {
  ::kill(pid_, sig);
}

bool child::running() {
  if (reaped_) return false;
  if (waitpid(pid_, &status_, WNOHANG) == pid_) reaped_ = true;
  return !reaped_;
}

int child::wait(std::chrono::milliseconds timeout) {
  if (!wait_until([&] { return !running(); }, timeout)) {
    ::kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
    reaped_ = true;
    return -SIGKILL;
  }
  if (WIFSIGNALED(status_)) return -WTERMSIG(status_);
  return WEXITSTATUS(status_);
}

std::string child::output() const {
  return read_file(log_path_);
}

}  // namespace aibud::testing
