#include "actors/agent_plan.hpp"

#include "base/json_text.hpp"

namespace aibud::actors {
namespace {

using json = nlohmann::json;

outbound::kind kind_of(const std::string& name) {
  if (name == "poll") return outbound::kind::poll;
  if (name == "presence") return outbound::kind::presence;
  return outbound::kind::text;
}

std::string poll_update_name(contact_change::poll_update p) {
  switch (p) {
    case contact_change::poll_update::set:
      return "set";
    case contact_change::poll_update::clear:
      return "clear";
    case contact_change::poll_update::keep:
      return "keep";
  }
  return "keep";
}

}  // namespace

lead_context lead_context::of(const storage::contact& c, const std::string& tenant_language,
                              int64_t now_ms) {
  lead_context ctx;
  ctx.contact_id = c.id;
  ctx.status = parse_status(c.status);
  ctx.language = language_of(tenant_language);
  ctx.open_poll = c.open_poll.value_or("");
  ctx.history = c.context;
  ctx.now_ms = now_ms;
  return ctx;
}

outbound outbound::send_text(std::string text) {
  outbound o;
  o.what = kind::text;
  o.text = std::move(text);
  return o;
}

outbound outbound::send_poll(std::string question, std::vector<std::string> options,
                             int selectable_count) {
  outbound o;
  o.what = kind::poll;
  o.text = std::move(question);
  o.options = std::move(options);
  o.selectable_count = selectable_count;
  return o;
}

outbound outbound::send_presence(int64_t delay_ms, std::string presence) {
  outbound o;
  o.what = kind::presence;
  o.text = std::move(presence);
  o.delay_ms = delay_ms;
  return o;
}

bool outbound::operator==(const outbound& o) const {
  return what == o.what && text == o.text && options == o.options &&
         selectable_count == o.selectable_count && delay_ms == o.delay_ms;
}

std::string to_string(outbound::kind k) {
  switch (k) {
    case outbound::kind::text:
      return "text";
    case outbound::kind::poll:
      return "poll";
    case outbound::kind::presence:
      return "presence";
  }
  return "text";
}

std::string to_string(agent_step::kind k) {
  switch (k) {
    case agent_step::kind::record_only:
      return "record_only";
    case agent_step::kind::act:
      return "act";
    case agent_step::kind::ask_ai:
      return "ask_ai";
  }
  return "record_only";
}

void append_json(std::string& out, const agent_plan& plan) {
  json_text::object o(out);
  o.string("agent", plan.agent);
  json_text::append_array(
      o.member("audits"), plan.audits, [](std::string& out, const audit_note& a) {
        json_text::object note(out);
        note.string("action", a.action).value("details", a.details).string("target", a.target);
        note.close();
      });
  {
    const contact_change& c = plan.change;
    json_text::object change(o.member("change"));
    change.string("history_in", c.history_in)
        .string("history_out", c.history_out)
        .string("open_poll", c.open_poll)
        .string("poll", poll_update_name(c.poll))
        .boolean("remember_status", c.remember_status)
        .string("status", c.status);
    change.close();
  }
  o.number("cost", plan.cost).string("intent", plan.intent);
  json_text::append_array(o.member("sends"), plan.sends, [](std::string& out, const outbound& s) {
    json_text::object send(out);
    if (s.what == outbound::kind::presence) send.number("delay_ms", s.delay_ms);
    send.string("kind", to_string(s.what));
    if (s.what == outbound::kind::poll) {
      json_text::append_array(send.member("options"), s.options,
                              [](std::string& out, const std::string& option) {
                                json_text::append_string(out, option);
                              });
      send.number("selectable_count", s.selectable_count);
    }
    send.string("text", s.text);
    send.close();
  });
  o.close();
}

result<agent_plan> plan_from_json(const json& j) {
  try {
    agent_plan plan;
    plan.agent = j.at("agent").get<std::string>();
    plan.intent = j.at("intent").get<std::string>();
    for (const auto& s : j.at("sends")) {
      outbound o;
      o.what = kind_of(s.at("kind").get<std::string>());
      o.text = s.at("text").get<std::string>();
      o.options = s.value("options", std::vector<std::string>{});
      o.selectable_count = s.value("selectable_count", 1);
      o.delay_ms = s.value("delay_ms", int64_t{0});
      plan.sends.push_back(std::move(o));
    }
    const json& c = j.at("change");
    plan.change.status = c.at("status").get<std::string>();
    plan.change.remember_status = c.at("remember_status").get<bool>();
    const std::string poll = c.at("poll").get<std::string>();
    plan.change.poll = poll == "set"     ? contact_change::poll_update::set
                       : poll == "clear" ? contact_change::poll_update::clear
                                         : contact_change::poll_update::keep;
    plan.change.open_poll = c.at("open_poll").get<std::string>();
    plan.change.history_in = c.at("history_in").get<std::string>();
    plan.change.history_out = c.at("history_out").get<std::string>();
    for (const auto& a : j.at("audits"))
      plan.audits.push_back(
          {a.at("action").get<std::string>(), a.at("target").get<std::string>(), a.at("details")});
    plan.cost = j.at("cost").get<int64_t>();
    return plan;
  } catch (const json::exception& e) {
    return make_error(errc::invalid_argument, std::string("agent plan: ") + e.what());
  }
}

}  // namespace aibud::actors
