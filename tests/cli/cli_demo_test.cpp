// `aibud demo` end to end: the real binary runs its server in process, its scripted leads post
// real webhooks, and the transcript it prints is checked against the database it leaves.
#include <doctest/doctest.h>

#include <sstream>

#include "tests/cli/cli_support.hpp"

using aibud::testing::cli_env;
using aibud::testing::occurrences;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The index of the first line at or after `from` containing `needle`, or -1.
int find_line(const std::vector<std::string>& lines, const std::string& needle, int from = 0) {
  for (int i = from; i < static_cast<int>(lines.size()); ++i)
    if (lines[static_cast<std::size_t>(i)].find(needle) != std::string::npos) return i;
  return -1;
}

std::string sql(const cli_env& env, const std::string& query) {
  auto r = aibud::testing::run({"/usr/bin/sqlite3", "-readonly", env.db_path(), query});
  REQUIRE(r.exit_code == 0);
  while (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
  return r.out;
}

}  // namespace

TEST_CASE("aibud demo runs the scripted conversation to a handoff and spends every credit") {
  cli_env env;
  // The demo uses a temporary database unless --db names one (never the configured one).
  auto r = env.run({"--db", env.db_path(), "demo"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  auto lines = lines_of(r.out);

  // The main lead's lines appear in the script's order, each followed by aibud's answer.
  int at = find_line(lines, "Conversation with Ana Souza");
  REQUIRE(at >= 0);
  for (const char* said :
       {"> Hi, good morning!", "> I want to sell my apartment", "> How much is it worth?",
        "> [photo] Living room", "> Thanks! Can I talk to a person, please?"}) {
    int next = find_line(lines, said, at + 1);
    CHECK_MESSAGE(next > at, said);
    if (next > at) at = next;
  }
  CHECK(find_line(lines, "aibud", at + 1) == at + 1);  // the handoff notice
  CHECK(find_line(lines, "Ana Souza            handed_off") >= 0);

  // Other leads wrote until the credits ran out; the last got the grace message, uncharged.
  CHECK(r.out.find("Credits: 20 used, 0 left of 20 this period") != std::string::npos);
  CHECK(r.out.find("Dead letter queue: empty") != std::string::npos);
  CHECK(sql(env, "SELECT count(*) FROM jobs WHERE status = 'out_of_credits'") == "1");
  CHECK(sql(env, "SELECT count(*) FROM jobs WHERE status IN ('pending','running','waiting')") ==
        "0");

  // What the transcript says was charged is what the ledger committed.
  CHECK(sql(env, "SELECT coalesce(sum(amount), 0) FROM credit_ledger WHERE kind = 'commit'") ==
        "20");
  CHECK(sql(env, "SELECT count(*) FROM interactions WHERE direction = 'out'") ==
        std::to_string(occurrences(r.out, "  aibud ")));
}
