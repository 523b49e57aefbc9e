#include "adapters/http/webhook_handler.hpp"

#include <memory>

#include <nlohmann/json.hpp>

#include "adapters/evolution/webhook_parser.hpp"
#include "adapters/http/webhook_auth.hpp"
#include "base/log.hpp"

namespace aibud::http {
namespace {

// Evolution drops an event for good on 400/401/403/404/422, so anything that may succeed
// later is a 503 with Retry-After, never a 4xx.
response retry_later(std::string_view code, std::string_view message) {
  response r = json_error(503, code, message);
  r.headers.emplace_back("Retry-After", "1");
  return r;
}

response status_body(const nlohmann::json& body) {
  return json_response(body.dump());
}

response ignored(std::string_view reason) {
  return status_body({{"status", "ignored"}, {"reason", reason}});
}

void count_ignored(webhook_counters& c, std::string_view reason) {
  if (reason == "group")
    ++c.ignored_group;
  else if (reason == "broadcast")
    ++c.ignored_broadcast;
  else if (reason == "own_send")
    ++c.ignored_own_send;
  else if (reason == "unsupported_message")
    ++c.ignored_unsupported_message;
  else
    ++c.ignored_unsupported_event;
}

response answer_commit(const commit_result& r, webhook_counters& c) {
  using outcome = commit_result::outcome;
  switch (r.status) {
    case outcome::accepted:
      ++c.accepted;
      if (r.job_id == 0) return status_body({{"status", "accepted"}});
      return status_body({{"status", "accepted"}, {"job", r.job_id}});
    case outcome::duplicate:
      ++c.duplicate;
      return status_body({{"status", "duplicate"}});
    case outcome::own_send:
      ++c.ignored_own_send;
      return ignored("own_send");
    case outcome::overloaded:
      ++c.overloaded;
      return retry_later("overloaded", "the inbox is full; retry shortly");
    case outcome::unavailable:
      break;
  }
  ++c.unavailable;
  return retry_later("unavailable", "the event could not be stored; retry shortly");
}

}  // namespace

webhook_handler::webhook_handler(instance_lookup lookup, intake_commit commit,
                                 webhook_counters& counters, clock_fn clock)
    : lookup_(std::move(lookup)),
      commit_(std::move(commit)),
      counters_(counters),
      clock_(std::move(clock)) {}

void webhook_handler::operator()(request req, responder respond) const {
  std::string name = req.param("instance").value_or("");
  // The body can be megabytes of inline media: share it with the lookup, do not copy it.
  auto shared = std::make_shared<request>(std::move(req));
  lookup_(name,
          [this, shared, respond](lookup_result found) { on_instance(*shared, respond, found); });
}

void webhook_handler::on_instance(const request& req, const responder& respond,
                                  const lookup_result& found) const {
  using outcome = lookup_result::outcome;
  if (found.status == outcome::not_found) {
    ++counters_.unknown_instance;
    return respond(json_error(404, "unknown_instance", "no instance with that name"));
  }
  if (found.status == outcome::overloaded) {
    ++counters_.overloaded;
    return respond(retry_later("overloaded", "the inbox is full; retry shortly"));
  }
  if (found.status != outcome::found) {
    ++counters_.unavailable;
    return respond(retry_later("unavailable", "the instance could not be looked up"));
  }
  const webhook_instance& instance = found.instance;

  auto auth = authenticate_webhook(req, instance.secret, clock_());
  if (!auth.ok) {
    ++counters_.unauthorized;
    log::warn("webhook refused", {{"instance", instance.name}, {"reason", auth.reason}});
    return respond(json_error(401, "unauthorized", "the webhook secret does not match"));
  }

  auto parsed = evolution::parse_webhook(req.body, req.param("event").value_or(""));
  if (!parsed) {
    ++counters_.invalid;
    auto code = evolution::webhook_error_code(parsed.err());
    return respond(json_error(400, code.empty() ? "invalid_payload" : code,
                              evolution::webhook_error_detail(parsed.err())));
  }
  evolution::event event = std::move(parsed).value();
  if (auto reason = evolution::ignore_reason(event)) {
    count_ignored(counters_, *reason);
    return respond(ignored(*reason));
  }
  webhook_counters& counters = counters_;
  commit_(instance.id, std::move(event),
          [respond, &counters](commit_result r) { respond(answer_commit(r, counters)); });
}

}  // namespace aibud::http
