#include "actors/job_journal.hpp"

namespace aibud::actors {
namespace {

using json = nlohmann::json;

template <class T>
T field(const json& j, const char* name, T fallback) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return fallback;
  return it->get<T>();
}

json to_json(const context_step& c) {
  json j = {{"decision", c.decision},
            {"reason", c.reason},
            {"contact_id", c.contact_id},
            {"tenant_id", c.tenant_id},
            {"period_start", c.period_start},
            {"cost", c.cost},
            {"kind", c.kind},
            {"text", c.text},
            {"jid", c.jid},
            {"agent_step", c.agent_step},
            {"members", c.members}};
  // Only journals written before the lead agents carry their request; newer ones rebuild it
  // from agent_step (lead_agent.hpp request_for), so no row stores a prompt and a history.
  if (!c.ai_inputs.is_null() && !c.ai_inputs.empty()) j["ai_inputs"] = c.ai_inputs;
  return j;
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
  c.agent_step = j.value("agent_step", json());
  c.members = j.value("members", std::vector<int64_t>{});
  return c;
}

json to_json(const reserve_step& r) {
  json j = {{"amount", r.amount}, {"insufficient", r.insufficient}, {"grace", r.grace}};
  if (r.generation != 1) j["generation"] = r.generation;
  if (r.released) j["released"] = true;
  return j;
}

reserve_step reserve_of(const json& j) {
  reserve_step r{field<int64_t>(j, "amount", 0), field<bool>(j, "insufficient", false),
                 field<bool>(j, "grace", false)};
  r.generation = field<int>(j, "generation", 1);
  r.released = field<bool>(j, "released", false);
  return r;
}

json to_json(const ai_step& a) {
  json j = {{"text", a.text},   {"intent", a.intent},       {"status", a.status},
            {"model", a.model}, {"tokens_in", a.tokens_in}, {"tokens_out", a.tokens_out}};
  if (!a.plan.is_null()) j["plan"] = a.plan;
  return j;
}

ai_step ai_of(const json& j) {
  ai_step a{field<std::string>(j, "text", ""),   field<std::string>(j, "intent", ""),
            field<std::string>(j, "status", ""), field<std::string>(j, "model", ""),
            field<int64_t>(j, "tokens_in", 0),   field<int64_t>(j, "tokens_out", 0)};
  a.plan = j.value("plan", json());
  return a;
}

json to_json(const act_step& a) {
  json intent = {{"hash", a.hash}, {"at", a.at}, {"text", a.text}};
  if (a.kind != "text") {
    intent["kind"] = a.kind;
    intent["options"] = a.options;
    intent["selectable_count"] = a.selectable_count;
  }
  if (a.typing_ms > 0) intent["typing_ms"] = a.typing_ms;
  json j = {{"intent", intent}};
  if (a.result) j["result"] = {{"key_id", *a.result}};
  return j;
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

// Written by hand around the steps' own dumps, as nlohmann would write the whole object (keys
// in order, no spaces), so that a kept step's text is pasted rather than built and dumped again.
std::string serialize(const job_journal& journal, journal_text& kept) {
  std::string out = "{";
  auto key = [&out](const char* name) {
    if (out.size() > 1) out += ',';
    out += '"';
    out += name;
    out += "\":";
  };
  if (journal.act) {
    key("act");
    out += to_json(*journal.act).dump();
  }
  if (journal.ai) {
    if (kept.ai.empty()) kept.ai = to_json(*journal.ai).dump();
    key("ai");
    out += kept.ai;
  }
  if (journal.charge) {
    key("charge");
    out += "true";
  }
  if (journal.context) {
    if (kept.context.empty()) kept.context = to_json(*journal.context).dump();
    key("context");
    out += kept.context;
  }
  if (!journal.more_acts.empty()) {
    json acts = json::array();
    for (const auto& a : journal.more_acts) acts.push_back(to_json(a));
    key("more_acts");
    out += acts.dump();
  }
  if (journal.record) {
    key("record");
    out += "true";
  }
  if (journal.reserve) {
    key("reserve");
    out += to_json(*journal.reserve).dump();
  }
  out += '}';
  return out;
}

}  // namespace aibud::actors
