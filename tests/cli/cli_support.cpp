#include "tests/cli/cli_support.hpp"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

extern char** environ;

namespace aibud::testing {

cli_env::cli_env() = default;

run_result cli_env::run(const std::vector<std::string>& args, run_options options) const {
  // Whatever AIBUD_* the test runner inherited must not leak into the runs.
  bool db_unset = std::find(options.unset_env.begin(), options.unset_env.end(), "AIBUD_DB") !=
                  options.unset_env.end();
  for (char** e = environ; *e; ++e) {
    std::string entry(*e);
    if (entry.rfind("AIBUD_", 0) == 0)
      options.unset_env.push_back(entry.substr(0, entry.find('=')));
  }
  if (!db_unset && !options.env.count("AIBUD_DB")) options.env["AIBUD_DB"] = db_path();
  if (!secret_key.empty() && !options.env.count("AIBUD_SECRET_KEY"))
    options.env["AIBUD_SECRET_KEY"] = secret_key;
  if (options.cwd.empty()) options.cwd = dir_.path();
  return aibud(args, options);
}

nlohmann::json cli_env::run_json(const std::vector<std::string>& args, run_options options) const {
  auto r = run(args, std::move(options));
  if (r.exit_code != 0)
    throw std::runtime_error("aibud exited " + std::to_string(r.exit_code) + ": " + r.err);
  return nlohmann::json::parse(r.out);
}

std::string cli_env::database_bytes() const {
  return read_file(db_path()) + read_file(db_path() + "-wal") + read_file(db_path() + "-shm");
}

int line_count(const std::string& text) {
  int lines = 0;
  for (char c : text)
    if (c == '\n') ++lines;
  if (!text.empty() && text.back() != '\n') ++lines;
  return lines;
}

int occurrences(const std::string& haystack, const std::string& needle) {
  int count = 0;
  for (auto at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + needle.size()))
    ++count;
  return count;
}

}  // namespace aibud::testing
