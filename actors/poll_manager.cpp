#include "actors/poll_manager.hpp"

#include <cctype>

namespace aibud::actors {
namespace {

using json = nlohmann::json;

const std::vector<poll_definition>& definitions() {
  static const std::vector<poll_definition> table = {
      {"property_type",
       {{"apartment", "bedrooms"},
        {"house", "bedrooms"},
        {"land", "timeline"},
        {"commercial", "timeline"}}},
      {"bedrooms",
       {{"one", "timeline"},
        {"two", "timeline"},
        {"three", "timeline"},
        {"four_plus", "timeline"}}},
      {"timeline", {{"now", ""}, {"months_1_3", ""}, {"months_3_6", ""}, {"researching", ""}}},
  };
  return table;
}

// Lower-case ASCII letters and digits separated by single spaces, Portuguese accents folded
// ("Até 3 Meses!" → "ate 3 meses"): what a lead types rarely matches a label byte for byte.
std::string fold(std::string_view text) {
  std::string out;
  auto put = [&out](char c) {
    if (c != ' ')
      out += c;
    else if (!out.empty() && out.back() != ' ')
      out += ' ';
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80) {
      put(std::isalnum(byte) ? static_cast<char>(std::tolower(byte)) : ' ');
      continue;
    }
    if (byte != 0xC3 || i + 1 == text.size()) {
      put(' ');
      continue;
    }
    // UTF-8 Latin-1 letters: C3 80..BF; bit 0x20 is the case.
    const auto low = static_cast<unsigned char>(text[++i]) & 0xDF;
    char plain = ' ';
    if (low >= 0x80 && low <= 0x85) plain = 'a';
    if (low == 0x87) plain = 'c';
    if (low >= 0x88 && low <= 0x8B) plain = 'e';
    if (low >= 0x8C && low <= 0x8F) plain = 'i';
    if (low == 0x91) plain = 'n';
    if (low >= 0x92 && low <= 0x96) plain = 'o';
    if (low >= 0x99 && low <= 0x9C) plain = 'u';
    put(plain);
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

agent_step stale_reply(const lead_context& ctx, const poll_vote& vote, const std::string& reason) {
  agent_step step;
  step.what = agent_step::kind::act;
  step.reason = reason;
  step.plan.agent = "poll";
  const std::string reply = fixed_text(text_id::stale_poll, ctx.language);
  step.plan.sends.push_back(outbound::send_text(reply));
  step.plan.change.history_in = vote.selected_options.front();
  step.plan.change.history_out = reply;
  return step;
}

}  // namespace

const poll_definition* find_poll(std::string_view id) {
  for (const auto& d : definitions())
    if (d.id == id) return &d;
  return nullptr;
}

std::string serialize(const open_poll& p) {
  json j = {{"poll", p.poll},
            {"flow", p.flow},
            {"language", p.language},
            {"question", p.question},
            {"labels", p.labels},
            {"keys", p.keys},
            {"message_id", p.message_id},
            {"sent_at", p.sent_at},
            {"answers", p.answers}};
  return j.dump();
}

result<open_poll> parse_open_poll(const std::string& json_text) {
  json j = json::parse(json_text, nullptr, false);
  if (!j.is_object()) return make_error(errc::invalid_argument, "open poll: not a JSON object");
  try {
    open_poll p;
    p.poll = j.at("poll").get<std::string>();
    p.flow = j.value("flow", "");
    p.language = j.value("language", "en");
    p.question = j.value("question", "");
    p.labels = j.at("labels").get<std::vector<std::string>>();
    p.keys = j.at("keys").get<std::vector<std::string>>();
    p.message_id = j.value("message_id", "");
    p.sent_at = j.value("sent_at", int64_t{0});
    p.answers = j.value("answers", std::map<std::string, std::string>{});
    if (p.labels.size() != p.keys.size())
      return make_error(errc::invalid_argument, "open poll: labels and keys differ in length");
    return p;
  } catch (const json::exception& e) {
    return make_error(errc::invalid_argument, std::string("open poll: ") + e.what());
  }
}

std::string with_message_id(const std::string& json_text, const std::string& message_id) {
  auto p = parse_open_poll(json_text);
  if (!p) return json_text;
  p->message_id = message_id;
  return serialize(*p);
}

std::string describe_poll(const std::string& question, const std::vector<std::string>& labels) {
  std::string out = question + " [";
  for (std::size_t i = 0; i < labels.size(); ++i) out += (i ? " / " : "") + labels[i];
  return out + "]";
}

agent_plan poll_plan(const lead_context& ctx, const std::string& poll_id, const std::string& flow,
                     std::map<std::string, std::string> answers) {
  const poll_definition& def = *find_poll(poll_id);
  open_poll p;
  p.poll = def.id;
  p.flow = flow;
  p.language = std::string(to_string(ctx.language));
  p.question = poll_text(def.id, ctx.language);
  for (const auto& o : def.options) {
    p.keys.push_back(o.key);
    p.labels.push_back(poll_text(def.id + "." + o.key, ctx.language));
  }
  p.sent_at = ctx.now_ms;
  p.answers = std::move(answers);

  agent_plan plan;
  plan.agent = "poll";
  plan.sends.push_back(outbound::send_poll(p.question, p.labels, 1));
  plan.change.poll = contact_change::poll_update::set;
  plan.change.open_poll = serialize(p);
  plan.change.history_out = describe_poll(p.question, p.labels);
  plan.cost = ctx.costs.poll;
  return plan;
}

std::optional<std::size_t> match_option(const open_poll& p, std::string_view text) {
  const std::string said = fold(text);
  if (said.empty()) return std::nullopt;
  for (std::size_t i = 0; i < p.labels.size(); ++i)
    if (fold(p.labels[i]) == said) return i;
  const bool digits_only = said.find_first_not_of("0123456789") == std::string::npos;
  if (digits_only && said.size() <= 2) {
    const std::size_t n = std::stoul(said);
    if (n >= 1 && n <= p.labels.size()) return n - 1;
  }
  return std::nullopt;
}

agent_step route_vote(const lead_context& ctx, const poll_vote& vote) {
  if (vote.selected_options.empty()) {
    // Retracted, or Evolution could not decrypt it (reference §3.1): nothing to answer.
    agent_step step;
    step.reason = "empty_vote";
    return step;
  }
  if (ctx.open_poll.empty()) return stale_reply(ctx, vote, "no_open_poll");
  auto p = parse_open_poll(ctx.open_poll);
  if (!p) return stale_reply(ctx, vote, "no_open_poll");
  if (!p->message_id.empty() && vote.poll_id != p->message_id)
    return stale_reply(ctx, vote, "stale_poll");
  for (const auto& option : vote.selected_options)
    for (std::size_t i = 0; i < p->labels.size(); ++i)
      if (p->labels[i] == option) {
        agent_step step;
        step.what = agent_step::kind::act;
        step.plan = answer_poll(ctx, *p, i, option);
        step.max_cost = step.plan.cost;
        return step;
      }
  return stale_reply(ctx, vote, "unknown_option");
}

agent_plan answer_poll(const lead_context& ctx, const open_poll& p, std::size_t index,
                       const std::string& said) {
  auto answers = p.answers;
  answers[p.poll] = p.keys[index];
  std::string next;
  if (const poll_definition* def = find_poll(p.poll))
    for (const auto& o : def->options)
      if (o.key == p.keys[index]) next = o.next;

  if (!next.empty() && find_poll(next)) {
    agent_plan plan = poll_plan(ctx, next, p.flow, std::move(answers));
    plan.change.history_in = said;
    return plan;
  }
  agent_plan plan;
  plan.agent = "poll";
  plan.intent = p.flow;
  const bool sells = p.flow == "sell";
  const std::string reply =
      fixed_text(sells ? text_id::qualified_sell : text_id::qualified_search, ctx.language);
  plan.sends.push_back(outbound::send_text(reply));
  plan.change.poll = contact_change::poll_update::clear;
  lead_status status = next_status(ctx.status, sells ? lead_intent::valuation : lead_intent::buy);
  if (status != ctx.status) plan.change.status = std::string(to_string(status));
  plan.change.history_in = said;
  plan.change.history_out = reply;
  plan.audits.push_back({"lead.qualified",
                         "contact:" + std::to_string(ctx.contact_id),
                         {{"flow", p.flow}, {"answers", answers}}});
  plan.cost = ctx.costs.text_reply;
  return plan;
}

}  // namespace aibud::actors
