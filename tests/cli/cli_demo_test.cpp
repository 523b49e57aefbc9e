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

TEST_CASE(
    "aibud demo runs the scripted lead to one valuation and a handoff, then uses up the credits") {
  cli_env env;
  // The demo uses a temporary database unless --db names one (never the configured one).
  auto r = env.run({"--db", env.db_path(), "demo"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  auto lines = lines_of(r.out);

  // The main lead's lines appear in the script's order, each answered before the next.
  int at = find_line(lines, "Conversation with Ana Souza");
  REQUIRE(at >= 0);
  for (const char* said :
       {"> Hi, good morning!", "> I want to sell my apartment", "< [poll] What kind of property",
        "> [vote] Apartment", "< [poll] How many bedrooms?", "> 3 bedrooms",
        "< [poll] When are you planning", "> [vote] In 1 to 3 months", "> How much is it worth?",
        "> [photo] Living room", "> [photo] Kitchen", "> [photo] Main bedroom",
        "< Thanks for the 3 photos. Estimated property value", "> Thanks! Can I talk to a person",
        "< Sure, one of our brokers"}) {
    int next = find_line(lines, said, at + 1);
    CHECK_MESSAGE(next > at, said);
    if (next > at) at = next;
  }
  // Three photos in one burst are one valuation, charged once.
  CHECK(occurrences(r.out, "Estimated property value") == 1);
  CHECK(occurrences(r.out, "(5 credits)") == 1);
  CHECK(find_line(lines, "Ana Souza            handed_off") >= 0);
  CHECK(sql(env, "SELECT count(*) FROM audit_log WHERE action = 'contact.handoff'") == "1");

  // Other leads wrote until the credits ran out; the last got the grace message, uncharged.
  CHECK(occurrences(r.out, "We can't answer here right now") == 1);
  CHECK(sql(env, "SELECT count(*) FROM jobs WHERE status = 'out_of_credits'") == "1");
  CHECK(sql(env, "SELECT count(*) FROM jobs WHERE status IN ('pending','running','waiting')") ==
        "0");
  CHECK(r.out.find("Dead letter queue: empty") != std::string::npos);

  // The credits the summary prints are the ledger's, and the transcript shows every send.
  std::string used =
      sql(env, "SELECT coalesce(sum(amount), 0) FROM credit_ledger WHERE kind = 'commit'");
  std::string left =
      sql(env, "SELECT credits_limit + granted - used - reserved FROM subscription_usage");
  CHECK(std::stoi(used) + std::stoi(left) == 20);
  CHECK(r.out.find("Credits: " + used + " used, " + left + " left of 20 this period") !=
        std::string::npos);
  CHECK(sql(env, "SELECT count(*) FROM interactions WHERE direction = 'out'") ==
        std::to_string(occurrences(r.out, "  aibud ")));
}
