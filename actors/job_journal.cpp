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
  return {{"decision", c.decision},
          {"reason", c.reason},
          {"contact_id", c.contact_id},
          {"tenant_id", c.tenant_id},
          {"period_start", c.period_start},
          {"cost", c.cost},
          {"kind", c.kind},
          {"text", c.text},
          {"jid", c.jid},
          {"ai_inputs", c.ai_inputs}};
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
  return c;
}

json to_json(const reserve_step& r) {
  return {{"amount", r.amount}, {"insufficient", r.insufficient}, {"grace", r.grace}};
}

reserve_step reserve_of(const json& j) {
  return {field<int64_t>(j, "amount", 0), field<bool>(j, "insufficient", false),
          field<bool>(j, "grace", false)};
}

json to_json(const ai_step& a) {
  return {{"text", a.text},   {"intent", a.intent},       {"status", a.status},
          {"model", a.model}, {"tokens_in", a.tokens_in}, {"tokens_out", a.tokens_out}};
}

ai_step ai_of(const json& j) {
  return {field<std::string>(j, "text", ""),   field<std::string>(j, "intent", ""),
          field<std::string>(j, "status", ""), field<std::string>(j, "model", ""),
          field<int64_t>(j, "tokens_in", 0),   field<int64_t>(j, "tokens_out", 0)};
}

json to_json(const act_step& a) {
  json j = {{"intent", {{"hash", a.hash}, {"at", a.at}, {"text", a.text}}}};
  if (a.result) j["result"] = {{"key_id", *a.result}};
  return j;
}

act_step act_of(const json& j) {
  act_step a;
  const json intent = j.value("intent", json::object());
  a.hash = field<std::string>(intent, "hash", "");
  a.at = field<int64_t>(intent, "at", 0);
  a.text = field<std::string>(intent, "text", "");
  if (auto r = j.find("result"); r != j.end() && r->is_object())
    a.result = field<std::string>(*r, "key_id", "");
  return a;
}

}  // namespace

std::string job_journal::next_step() const {
  if (!context) return "context";
  if (context->decision != "reply") return record ? "" : "record";
  if (!reserve) return "reserve";
  if (reserve->insufficient && !reserve->grace) return record ? "" : "record";
  if (!reserve->insufficient && !ai) return "ai";
  if (!act || !act->result) return "act";
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
    out.record = field<bool>(j, "record", false);
    out.charge = field<bool>(j, "charge", false);
    return out;
  } catch (const json::exception& e) {
    return make_error(errc::invalid_argument, std::string("job steps: ") + e.what());
  }
}

std::string serialize(const job_journal& journal) {
  json j = json::object();
  if (journal.context) j["context"] = to_json(*journal.context);
  if (journal.reserve) j["reserve"] = to_json(*journal.reserve);
  if (journal.ai) j["ai"] = to_json(*journal.ai);
  if (journal.act) j["act"] = to_json(*journal.act);
  if (journal.record) j["record"] = true;
  if (journal.charge) j["charge"] = true;
  return j.dump();
}

}  // namespace aibud::actors
