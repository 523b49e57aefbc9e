// Runs the real `aibud` binary against a database in a per-test directory.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace aibud::testing {

// A sandbox for CLI runs: its own database path and a clean AIBUD_* environment.
class cli_env {
 public:
  cli_env();

  const temp_dir& dir() const { return dir_; }
  std::string db_path() const { return dir_.file("aibud.db"); }

  // Runs `aibud args...` with AIBUD_DB set to this sandbox's database.
  run_result run(const std::vector<std::string>& args, run_options options = {}) const;
  // Runs and requires exit 0, returning stdout parsed as JSON (args should include --json).
  nlohmann::json run_json(const std::vector<std::string>& args, run_options options = {}) const;

  // The bytes of the database and of its -wal/-shm files, concatenated.
  std::string database_bytes() const;

  std::string secret_key;  // AIBUD_SECRET_KEY for every run when non-empty

 private:
  temp_dir dir_;
};

// The number of lines in `text` (a final line without "\n" counts).
int line_count(const std::string& text);
// How many times `needle` occurs in `haystack`.
int occurrences(const std::string& haystack, const std::string& needle);

}  // namespace aibud::testing
