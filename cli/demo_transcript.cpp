#include "cli/demo_transcript.hpp"

#include <iomanip>
#include <sstream>

#include <nlohmann/json.hpp>

namespace aibud::cli::demo {
namespace {

constexpr int name_width = 20;

// Continuation lines of a multi-line text line up under its first line.
std::string indented(const std::string& text) {
  std::string out;
  for (char c : text) {
    out += c;
    if (c == '\n') out += std::string(name_width + 5, ' ');
  }
  return out;
}

// A poll's content is {"name": question, "options": [...]}; anything else prints as is.
std::string poll_text(const std::string& content) {
  auto poll = nlohmann::json::parse(content, nullptr, false);
  if (poll.is_discarded() || !poll.is_object()) return "[poll] " + content;
  std::string text = "[poll] " + poll.value("name", std::string("?"));
  int n = 0;
  for (const auto& option : poll.value("options", nlohmann::json::array()))
    text += "\n  " + std::to_string(++n) + ") " +
            (option.is_string() ? option.get<std::string>() : option.dump());
  return text;
}

std::string body_of(const storage::interaction& i) {
  if (i.kind == "poll") return poll_text(i.content);
  if (i.kind == "poll_vote") return "[vote] " + i.content;
  if (i.kind == "image") return "[photo] " + i.content;
  if (i.kind == "text") return i.content;
  return "[" + i.kind + "] " + i.content;
}

}  // namespace

void print_interaction(std::ostream& out, const storage::interaction& i,
                       const std::map<int64_t, std::string>& contact_names) {
  bool inbound = i.direction == "in";
  std::string who = "aibud";
  if (inbound) {
    auto name = i.contact_id ? contact_names.find(*i.contact_id) : contact_names.end();
    who = name != contact_names.end() ? name->second : "lead";
  }
  out << "  " << std::left << std::setw(name_width) << who << (inbound ? " > " : " < ")
      << indented(body_of(i));
  if (!inbound && i.credits > 0)
    out << "   (" << i.credits << (i.credits == 1 ? " credit" : " credits") << ")";
  out << "\n";
}

void print_summary(std::ostream& out, const std::vector<storage::contact>& contacts,
                   const storage::usage& usage, const std::vector<storage::dead_letter>& dlq) {
  out << "\nContacts\n";
  for (const auto& c : contacts)
    out << "  " << std::left << std::setw(name_width) << (c.name.empty() ? c.jid : c.name) << " "
        << c.status << (c.paused_until ? " (paused)" : "") << "\n";
  out << "\nCredits: " << usage.used << " used, " << usage.left() << " left of "
      << usage.credits_limit + usage.granted << " this period";
  if (usage.grace_notices > 0) out << "; " << usage.grace_notices << " grace messages sent";
  out << "\n\nDead letter queue: ";
  if (dlq.empty()) {
    out << "empty\n";
    return;
  }
  out << dlq.size() << "\n";
  for (const auto& d : dlq)
    out << "  job " << d.job_id << " after " << d.attempts << " attempts: " << d.error << "\n";
}

}  // namespace aibud::cli::demo
