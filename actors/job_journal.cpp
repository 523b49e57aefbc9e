#include "actors/job_journal.hpp"

#include "base/json_text.hpp"

namespace aibud::actors {
namespace {

using json = nlohmann::json;

template <class T>
T field(const json& j, const char* name, T fallback) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return fallback;
  return it->get<T>();
}

// A member kept as JSON text (written as dump() writes it); "" when absent or null.
std::string raw_member(const json& j, const char* name) {
  auto it = j.find(name);
  return it == j.end() || it->is_null() ? std::string() : json_text::dump(*it);
}

// The steps are written as text directly (base/json_text.hpp), members in the order dump()
// orders keys, so that a journal reads the same as one nlohmann wrote.
void write(std::string& out, const context_step& c) {
  json_text::object o(out);
  o.raw("agent_step", c.agent_step.empty() ? std::string_view("null") : c.agent_step);
  // Only journals written before the lead agents carry their request; newer ones rebuild it
  // from agent_step (lead_agent.hpp request_for), so no row stores a prompt and a history.
  if (!c.ai_inputs.is_null() && !c.ai_inputs.empty()) o.value("ai_inputs", c.ai_inputs);
  o.number("contact_id", c.contact_id)
      .number("cost", c.cost)
      .string("decision", c.decision)
      .string("jid", c.jid)
      .string("kind", c.kind);
  json_text::append_array(o.member("members"), c.members,
                          [](std::string& out, int64_t id) { out += std::to_string(id); });
  o.number("period_start", c.period_start)
      .string("reason", c.reason)
      .number("tenant_id", c.tenant_id)
      .string("text", c.text);
  o.close();
}

context_step context_of(const json& j) {
  context_step c;
  c.decision = field<std::string>(j, "decision", "");
  c.reason = field<std::string>(j, "reason", "");
  c.contact_id = field<int64_t>(j, "contact_id", 0);
  c.tenant_id = field<int64_t>(j, "tenant_id", 0);
  c.period_start = field<int64_t>(j, "period_start", 0);
  c.cost = field<int64_t>(j, "cost", 0);
  c.kind = field<std::string>(j, "kind", "");
  c.text = field<std::string>(j, "text", "");
  c.jid = field<std::string>(j, "jid", "");
  c.ai_inputs = j.value("ai_inputs", json::object());
  c.agent_step = raw_member(j, "agent_step");
  c.members = j.value("members", std::vector<int64_t>{});
  return c;
}

void write(std::string& out, const reserve_step& r) {
  json_text::object o(out);
  o.number("amount", r.amount);
  if (r.generation != 1) o.number("generation", r.generation);
  o.boolean("grace", r.grace).boolean("insufficient", r.insufficient);
  if (r.released) o.boolean("released", true);
  o.close();
}

reserve_step reserve_of(const json& j) {
  reserve_step r{field<int64_t>(j, "amount", 0), field<bool>(j, "insufficient", false),
                 field<bool>(j, "grace", false)};
  r.generation = field<int>(j, "generation", 1);
  r.released = field<bool>(j, "released", false);
  return r;
}

void write(std::string& out, const ai_step& a) {
  json_text::object o(out);
  o.string("intent", a.intent).string("model", a.model);
  if (!a.plan.empty()) o.raw("plan", a.plan);
  o.string("status", a.status)
      .string("text", a.text)
      .number("tokens_in", a.tokens_in)
      .number("tokens_out", a.tokens_out);
  o.close();
}

ai_step ai_of(const json& j) {
  ai_step a{field<std::string>(j, "text", ""),   field<std::string>(j, "intent", ""),
            field<std::string>(j, "status", ""), field<std::string>(j, "model", ""),
            field<int64_t>(j, "tokens_in", 0),   field<int64_t>(j, "tokens_out", 0)};
  a.plan = raw_member(j, "plan");
  return a;
}

void write(std::string& out, const act_step& a) {
  json_text::object o(out);
  {
    json_text::object intent(o.member("intent"));
    intent.number("at", a.at).string("hash", a.hash);
    if (a.kind != "text") {
      intent.string("kind", a.kind);
      json_text::append_array(intent.member("options"), a.options,
                              [](std::string& out, const std::string& option) {
                                json_text::append_string(out, option);
                              });
      intent.number("selectable_count", a.selectable_count);
    }
    intent.string("text", a.text);
    if (a.typing_ms > 0) intent.number("typing_ms", a.typing_ms);
    intent.close();
  }
  if (a.result) {
    json_text::object result(o.member("result"));
    result.string("key_id", *a.result);
    result.close();
  }
  o.close();
}

act_step act_of(const json& j) {
  act_step a;
  const json intent = j.value("intent", json::object());
  a.hash = field<std::string>(intent, "hash", "");
  a.at = field<int64_t>(intent, "at", 0);
  a.text = field<std::string>(intent, "text", "");
  a.kind = field<std::string>(intent, "kind", "text");
  a.options = intent.value("options", std::vector<std::string>{});
  a.selectable_count = field<int>(intent, "selectable_count", 1);
  a.typing_ms = field<int64_t>(intent, "typing_ms", 0);
  if (auto r = j.find("result"); r != j.end() && r->is_object())
    a.result = field<std::string>(*r, "key_id", "");
  return a;
}

}  // namespace

std::string reserve_step::ledger_step() const {
  return generation <= 1 ? "reserve" : "reserve." + std::to_string(generation);
}

std::vector<act_step*> job_journal::sends() {
  std::vector<act_step*> out;
  if (act) out.push_back(&*act);
  for (auto& a : more_acts) out.push_back(&a);
  return out;
}

std::string job_journal::next_step() const {
  if (!context) return "context";
  if (context->decision != "reply") return record ? "" : "record";
  if (!reserve || (reserve->released && !charge)) return "reserve";
  if (reserve->insufficient && !reserve->grace) return record ? "" : "record";
  if (!reserve->insufficient && !ai) return "ai";
  if (!act || !act->result) return "act";
  for (const auto& a : more_acts)
    if (!a.result) return "act";
  if (!record) return "record";
  if (!charge && !reserve->insufficient) return "charge";
  return "";
}

result<job_journal> parse_journal(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return make_error(errc::invalid_argument, "job steps: not a JSON object");
  try {
    job_journal out;
    if (auto it = j.find("context"); it != j.end() && it->is_object())
      out.context = context_of(*it);
    if (auto it = j.find("reserve"); it != j.end() && it->is_object())
      out.reserve = reserve_of(*it);
    if (auto it = j.find("ai"); it != j.end() && it->is_object()) out.ai = ai_of(*it);
    if (auto it = j.find("act"); it != j.end() && it->is_object()) out.act = act_of(*it);
    if (auto it = j.find("more_acts"); it != j.end() && it->is_array())
      for (const auto& a : *it) out.more_acts.push_back(act_of(a));
    out.record = field<bool>(j, "record", false);
    out.charge = field<bool>(j, "charge", false);
    return out;
  } catch (const json::exception& e) {
    return make_error(errc::invalid_argument, std::string("job steps: ") + e.what());
  }
}

std::string serialize(const job_journal& journal) {
  journal_text none;
  return serialize(journal, none);
}

// Each kept step's text is pasted rather than written again.
std::string serialize(const job_journal& journal, journal_text& kept) {
  std::string out;
  out.reserve(kept.context.size() + kept.ai.size() + 512);
  json_text::object o(out);
  if (journal.act) write(o.member("act"), *journal.act);
  if (journal.ai) {
    if (kept.ai.empty()) write(kept.ai, *journal.ai);
    o.raw("ai", kept.ai);
  }
  if (journal.charge) o.boolean("charge", true);
  if (journal.context) {
    if (kept.context.empty()) write(kept.context, *journal.context);
    o.raw("context", kept.context);
  }
  if (!journal.more_acts.empty())
    json_text::append_array(o.member("more_acts"), journal.more_acts,
                            [](std::string& out, const act_step& a) { write(out, a); });
  if (journal.record) o.boolean("record", true);
  if (journal.reserve) write(o.member("reserve"), *journal.reserve);
  o.close();
  return out;
}

}  // namespace aibud::actors
