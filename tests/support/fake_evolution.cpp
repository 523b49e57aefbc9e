#include "tests/support/fake_evolution.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "adapters/http/server.hpp"
#include "base/time.hpp"
#include "tests/support/temp_dir.hpp"

namespace aibud::testing {

namespace {

using json = nlohmann::json;

std::string reason_phrase(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

std::string sample(const std::string& name) {
  std::string text = read_file(std::string(AIBUD_SAMPLES_DIR) + "/" + name);
  if (text.empty()) throw std::runtime_error("missing sample " + name);
  return text;
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t start = 1;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (slash > start) {
      auto decoded = http::percent_decode(std::string_view(path).substr(start, slash - start));
      parts.push_back(decoded.value_or(""));
    }
    start = slash + 1;
  }
  return parts;
}

std::string jid_for(const std::string& number) {
  if (number.find('@') != std::string::npos) return number;
  std::string digits;
  for (char c : number)
    if (c >= '0' && c <= '9') digits += c;
  return digits + "@s.whatsapp.net";
}

bool non_empty_string(const json& body, const char* name) {
  return body.is_object() && body.contains(name) && body[name].is_string() &&
         !body[name].get<std::string>().empty();
}

// Bounds of messageTimestamp go through JS `new Date(v)`: numbers are milliseconds, strings
// are dates (reference §5.12).
std::optional<std::int64_t> date_ms(const json& v) {
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (v.is_number()) return static_cast<std::int64_t>(v.get<double>());
  if (v.is_string()) return time::parse_iso8601(v.get<std::string>());
  return std::nullopt;
}

json message_secret() {
  json secret = json::object();
  for (int i = 0; i < 32; ++i) secret[std::to_string(i)] = (i * 37 + 11) % 256;
  return secret;
}

json default_context_info() {
  return {{"mentionedJid", json::array()},
          {"groupMentions", json::array()},
          {"ephemeralSettingTimestamp", {{"low", 1764756962}, {"high", 0}, {"unsigned", false}}},
          {"disappearingMode", {{"initiator", 0}}}};
}

}  // namespace

// --- recorded_request, scripted_reply ---------------------------------------------------

std::string recorded_request::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

nlohmann::json recorded_request::json() const {
  auto doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  return doc.is_discarded() ? nlohmann::json() : doc;
}

scripted_reply scripted_reply::evolution_error(int status, nlohmann::json message) {
  scripted_reply r;
  r.status = status;
  r.body = nlohmann::json{{"status", status},
                          {"error", reason_phrase(status)},
                          {"response", {{"message", std::move(message)}}}}
               .dump();
  return r;
}

scripted_reply scripted_reply::unavailable() {
  return evolution_error(503, "Service Unavailable");
}

scripted_reply scripted_reply::unauthorized() {
  scripted_reply r;
  r.status = 401;
  r.body = sample("error-401.json");
  return r;
}

scripted_reply scripted_reply::bad_request() {
  scripted_reply r;
  r.status = 400;
  r.body = sample("error-400.json");
  return r;
}

scripted_reply scripted_reply::not_connected(int status) {
  if (status == 500) return evolution_error(500, "Connection Closed");
  return evolution_error(status,
                         nlohmann::json::array({"The \"acme-bot\" instance is not connected"}));
}

scripted_reply scripted_reply::rate_limited(int retry_after_seconds) {
  scripted_reply r = evolution_error(429, nlohmann::json::array({"Too many requests"}));
  r.headers.emplace_back("Retry-After", std::to_string(retry_after_seconds));
  return r;
}

scripted_reply scripted_reply::slow(std::chrono::milliseconds delay) {
  scripted_reply r;
  r.normal = true;
  r.delay = delay;
  return r;
}

// --- fake_evolution ---------------------------------------------------------------------

fake_evolution::fake_evolution() : fake_evolution(options{}) {}

fake_evolution::fake_evolution(options opts) : options_(std::move(opts)) {
  instance_state inst;
  inst.token = options_.instance_token;
  inst.id = "9b2f6c1e-4d7a-4c3b-8f2e-1a5d7c9e3b40";
  instances_[options_.instance] = inst;

  http::server_options so;
  so.host = "127.0.0.1";
  so.port = 0;
  so.threads = 2;
  so.body_limit = 64 * 1024 * 1024;
  so.shutdown_grace = std::chrono::milliseconds(1000);
  server_ = std::make_unique<http::server>(so, [this](http::request req, http::responder respond) {
    handle(std::move(req), std::move(respond));
  });
  auto started = server_->start();
  if (!started) throw std::runtime_error("fake evolution: " + started.err().message);
  timer_ = std::thread([this] { timer_loop(); });
}

fake_evolution::~fake_evolution() {
  {
    std::lock_guard<std::mutex> lock(timer_mutex_);
    stopping_ = true;
  }
  timer_cv_.notify_all();
  timer_.join();
  // Late answers go out now, so the server's graceful stop has nothing to wait for.
  for (auto& d : delayed_) d.respond(std::move(d.reply));
  delayed_.clear();
  server_->stop();
}

std::uint16_t fake_evolution::port() const {
  return server_->port();
}

std::string fake_evolution::base_url() const {
  return "http://127.0.0.1:" + std::to_string(port());
}

void fake_evolution::fail_next(scripted_reply reply, int count, std::string path_part) {
  std::lock_guard<std::mutex> lock(mutex_);
  scripts_.push_back(script{std::move(reply), count, std::move(path_part)});
}

void fake_evolution::clear_failures() {
  std::lock_guard<std::mutex> lock(mutex_);
  scripts_.clear();
}

void fake_evolution::set_state(const std::string& instance, const std::string& state) {
  std::lock_guard<std::mutex> lock(mutex_);
  instances_.at(instance).state = state;
}

std::string fake_evolution::state(const std::string& instance) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = instances_.find(instance);
  return it == instances_.end() ? std::string() : it->second.state;
}

bool fake_evolution::has_instance(const std::string& instance) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return instances_.count(instance) > 0;
}

nlohmann::json fake_evolution::webhook(const std::string& instance) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = instances_.find(instance);
  return it == instances_.end() ? nlohmann::json() : it->second.webhook;
}

void fake_evolution::set_media(std::string base64, std::string mimetype, std::string media_type) {
  std::lock_guard<std::mutex> lock(mutex_);
  media_base64_ = std::move(base64);
  media_mimetype_ = std::move(mimetype);
  media_type_ = std::move(media_type);
}

void fake_evolution::add_incoming(const std::string& instance, const std::string& remote_jid,
                                  const std::string& text, std::int64_t timestamp_s) {
  std::lock_guard<std::mutex> lock(mutex_);
  stored_record r;
  r.key_id = "3A" + fresh_key_id().substr(4);
  r.remote_jid = remote_jid;
  r.from_me = false;
  r.message_type = "conversation";
  r.message = {{"conversation", text}};
  r.timestamp_s = timestamp_s;
  r.source = "ios";
  instances_.at(instance).messages.push_back(std::move(r));
}

std::vector<recorded_request> fake_evolution::requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_;
}

std::vector<recorded_request> fake_evolution::requests_to(const std::string& path_part) const {
  std::vector<recorded_request> out;
  for (auto& r : requests())
    if (r.path.find(path_part) != std::string::npos) out.push_back(r);
  return out;
}

std::size_t fake_evolution::answered(const std::string& path_part, int status) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<std::size_t>(
      std::count_if(requests_.begin(), requests_.end(), [&](const recorded_request& r) {
        return r.status == status && r.path.find(path_part) != std::string::npos;
      }));
}

std::vector<stored_record> fake_evolution::stored(const std::string& instance) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = instances_.find(instance);
  return it == instances_.end() ? std::vector<stored_record>() : it->second.messages;
}

std::string fake_evolution::fresh_key_id() {
  // API sends have 22-character ids starting 3EB0 (reference §5.12).
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "3EB0%018llX",
                static_cast<unsigned long long>(next_id_++ * 0x9E3779B1ULL));
  return buffer;
}

void fake_evolution::handle(http::request req, http::responder respond) {
  http::response reply;
  std::chrono::milliseconds delay{0};
  {
    std::lock_guard<std::mutex> lock(mutex_);
    requests_.push_back(
        recorded_request{req.method, req.path, req.target, req.headers, req.body, 0});
    std::optional<scripted_reply> scripted;
    for (auto it = scripts_.begin(); it != scripts_.end(); ++it) {
      if (req.path.find(it->path_part) == std::string::npos) continue;
      scripted = it->reply;
      if (--it->left <= 0) scripts_.erase(it);
      break;
    }
    if (scripted && !scripted->normal) {
      reply.status = scripted->status;
      reply.body = scripted->body;
      reply.headers = scripted->headers;
      delay = scripted->delay;
    } else {
      answer a = route(req);
      reply.status = a.status;
      reply.body = a.body.dump();
      reply.headers = a.headers;
      delay = a.delay + (scripted ? scripted->delay : std::chrono::milliseconds(0));
    }
    requests_.back().status = reply.status;
  }
  if (delay.count() <= 0) {
    respond(std::move(reply));
    return;
  }
  {
    std::lock_guard<std::mutex> lock(timer_mutex_);
    if (!stopping_) {
      delayed_.push_back(
          delayed{std::chrono::steady_clock::now() + delay, std::move(reply), std::move(respond)});
      timer_cv_.notify_all();
      return;
    }
  }
  respond(std::move(reply));
}

void fake_evolution::timer_loop() {
  std::unique_lock<std::mutex> lock(timer_mutex_);
  while (!stopping_) {
    auto now = std::chrono::steady_clock::now();
    std::vector<delayed> due;
    auto next = now + std::chrono::hours(1);
    for (auto it = delayed_.begin(); it != delayed_.end();) {
      if (it->at <= now) {
        due.push_back(std::move(*it));
        it = delayed_.erase(it);
      } else {
        next = std::min(next, it->at);
        ++it;
      }
    }
    if (!due.empty()) {
      lock.unlock();
      for (auto& d : due) d.respond(std::move(d.reply));
      lock.lock();
      continue;
    }
    timer_cv_.wait_until(lock, next);
  }
}

// --- routes -----------------------------------------------------------------------------

fake_evolution::answer fake_evolution::route(const http::request& req) {
  const auto parts = split_path(req.path);
  auto error = [](int status, json message) {
    auto r = scripted_reply::evolution_error(status, std::move(message));
    return answer{status, json::parse(r.body), {}, {}};
  };
  auto unknown_route = [&] {
    return error(404, json::array({"Cannot " + req.method + " " + req.path}));
  };
  json body;
  if (!req.body.empty()) {
    body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded()) return error(400, json::array({"Unexpected token in JSON"}));
  }

  if (parts.empty() && req.method == "GET") return banner();
  if (parts.size() == 2 && parts[0] == "instance" && parts[1] == "create") {
    if (req.method != "POST") return unknown_route();
    if (req.header("apikey").value_or("") != options_.global_key) {
      return answer{401, json::parse(sample("error-401.json")), {}, {}};
    }
    return create_instance(body);
  }
  if (parts.size() != 3) return unknown_route();
  const std::string route_name = parts[0] + "/" + parts[1];
  const std::string& name = parts[2];
  static const std::map<std::string, std::string> methods = {
      {"message/sendText", "POST"},
      {"message/sendPoll", "POST"},
      {"message/sendMedia", "POST"},
      {"chat/sendPresence", "POST"},
      {"chat/getBase64FromMediaMessage", "POST"},
      {"chat/findMessages", "POST"},
      {"instance/connect", "GET"},
      {"instance/connectionState", "GET"},
      {"webhook/set", "POST"},
  };
  auto m = methods.find(route_name);
  if (m == methods.end() || m->second != req.method) return unknown_route();

  answer denied = guarded(req, name, false);
  if (denied.status != 0) return denied;
  instance_state& inst = instances_.at(name);

  if (parts[0] == "message") return send_message(req, inst, parts[1]);
  if (route_name == "chat/sendPresence") {
    if (!non_empty_string(body, "number") || !non_empty_string(body, "presence") ||
        !body.contains("delay")) {
      return error(400, json::array({json::array({"instance requires property \"delay\""})}));
    }
    auto delay = std::min<std::int64_t>(body["delay"].get<std::int64_t>(), 5000);
    return answer{201, {{"presence", body["presence"]}}, {}, std::chrono::milliseconds(delay)};
  }
  if (route_name == "chat/getBase64FromMediaMessage") {
    static const json::json_pointer id_at("/message/key/id");
    std::string key_id;
    if (body.contains(id_at) && body[id_at].is_string()) key_id = body[id_at].get<std::string>();
    if (key_id.empty()) return error(400, json::array({"Message not found"}));
    if (media_base64_.empty()) return answer{201, json(), {}, {}};
    const auto length = static_cast<std::int64_t>(media_base64_.size() / 4 * 3);
    return answer{201,
                  {{"mediaType", media_type_},
                   {"fileName", key_id + ".jpeg"},
                   {"size", {{"fileLength", {{"low", length}, {"high", 0}, {"unsigned", true}}}}},
                   {"mimetype", media_mimetype_},
                   {"base64", media_base64_},
                   {"buffer", nullptr}},
                  {},
                  {}};
  }
  if (route_name == "chat/findMessages") return find_messages(body, inst);
  if (route_name == "instance/connect") return with_pairing_code(req, connect(name, inst));
  if (route_name == "instance/connectionState") {
    return answer{200, {{"instance", {{"instanceName", name}, {"state", inst.state}}}}, {}, {}};
  }
  return set_webhook(body, inst);
}

fake_evolution::answer fake_evolution::guarded(const http::request& req,
                                               const std::string& instance, bool global_only) {
  // Evolution checks that the instance exists before it checks the key (reference §6).
  auto it = instances_.find(instance);
  if (it == instances_.end()) {
    auto r = scripted_reply::evolution_error(
        404, json::array({"The \"" + instance + "\" instance does not exist"}));
    return answer{404, json::parse(r.body), {}, {}};
  }
  const std::string key = req.header("apikey").value_or("");
  const bool allowed =
      key == options_.global_key || (!global_only && !key.empty() && key == it->second.token);
  if (!allowed) return answer{401, json::parse(sample("error-401.json")), {}, {}};
  return answer{0, json(), {}, {}};
}

fake_evolution::answer fake_evolution::send_message(const http::request& req, instance_state& inst,
                                                    const std::string& kind) {
  auto error = [](int status, json message) {
    auto r = scripted_reply::evolution_error(status, std::move(message));
    return answer{status, json::parse(r.body), {}, {}};
  };
  auto missing = [&](const char* property) {
    return error(400, json::array({json::array(
                          {std::string("instance requires property \"") + property + "\""})}));
  };
  json body = json::parse(req.body, nullptr, false);
  if (!body.is_object()) return missing("number");
  if (!non_empty_string(body, "number")) return missing("number");

  json message;
  std::string type;
  if (kind == "sendText") {
    if (!body.contains("text") || !body["text"].is_string()) return missing("text");
    if (body["text"].get<std::string>().find_first_not_of(" \t\n") == std::string::npos) {
      return error(400, json::array({"Text is required"}));
    }
    type = "conversation";
    message = {{"conversation", body["text"]}};
  } else if (kind == "sendPoll") {
    if (!non_empty_string(body, "name")) return missing("name");
    if (!body.contains("selectableCount")) return missing("selectableCount");
    if (!body.contains("values") || !body["values"].is_array()) return missing("values");
    const auto& values = body["values"];
    if (values.size() < 2 || values.size() > 10) {
      return error(400, json::array({json::array({"values must have 2 to 10 items"})}));
    }
    const int selectable = body["selectableCount"].get<int>();
    type = selectable == 1 ? "pollCreationMessageV3" : "pollCreationMessage";
    json options = json::array();
    for (const auto& v : values) options.push_back({{"optionName", v}});
    message = {
        {"messageContextInfo",
         {{"messageSecret", message_secret()}, {"contextInfo", default_context_info()}}},
        {type,
         {{"name", body["name"]}, {"options", options}, {"selectableOptionsCount", selectable}}}};
  } else {
    if (!non_empty_string(body, "mediatype")) return missing("mediatype");
    if (!non_empty_string(body, "media")) return missing("media");
    type = body["mediatype"].get<std::string>() + "Message";
    json media = {{"mimetype", body.value("mimetype", "image/jpeg")}};
    if (body.contains("caption")) media["caption"] = body["caption"];
    message = {{type, media}};
  }
  if (inst.state != "open") {
    auto it = std::find_if(instances_.begin(), instances_.end(),
                           [&inst](const auto& entry) { return &entry.second == &inst; });
    return error(400, json::array({"The \"" + it->first + "\" instance is not connected"}));
  }

  stored_record record;
  record.key_id = fresh_key_id();
  record.remote_jid = jid_for(body["number"].get<std::string>());
  record.message_type = type;
  record.message = message;
  record.timestamp_s = time::now_ms() / 1000;
  inst.messages.push_back(record);

  json sent = {{"key", {{"remoteJid", record.remote_jid}, {"fromMe", true}, {"id", record.key_id}}},
               {"pushName", "Você"},
               {"status", "PENDING"},
               {"message", message},
               {"messageType", type},
               {"messageTimestamp", record.timestamp_s},
               {"instanceId", inst.id},
               {"source", "web"}};
  if (kind != "sendPoll") sent["contextInfo"] = default_context_info();
  std::int64_t delay = body.contains("delay") && body["delay"].is_number_integer()
                           ? std::min<std::int64_t>(body["delay"].get<std::int64_t>(), 5000)
                           : 0;
  return answer{201, sent, {}, std::chrono::milliseconds(delay)};
}

fake_evolution::answer fake_evolution::find_messages(const nlohmann::json& body,
                                                     const instance_state& inst) {
  const json where = body.is_object() && body.contains("where") ? body["where"] : json::object();
  const json key = where.is_object() && where.contains("key") ? where["key"] : json::object();
  auto string_at = [&key](const char* name) {
    return key.contains(name) && key[name].is_string() ? key[name].get<std::string>()
                                                       : std::string();
  };
  const std::string remote_jid = string_at("remoteJid");
  const std::string key_id = string_at("id");
  // Evolution tests truthiness: fromMe:false filters nothing (reference §5.12).
  const bool from_me_only =
      key.contains("fromMe") && key["fromMe"].is_boolean() && key["fromMe"].get<bool>();
  std::optional<std::int64_t> gte, lte;
  if (where.is_object() && where.contains("messageTimestamp") &&
      where["messageTimestamp"].is_object()) {
    const json& range = where["messageTimestamp"];
    if (range.contains("gte") && range.contains("lte")) {
      gte = date_ms(range["gte"]);
      lte = date_ms(range["lte"]);
      if (!gte || !lte) {
        auto r = scripted_reply::evolution_error(500, "Invalid time value");
        return answer{500, json::parse(r.body), {}, {}};
      }
      // Each bound is floored to whole seconds.
      *gte = *gte / 1000;
      *lte = *lte / 1000;
    }
  }
  std::vector<const stored_record*> hits;
  for (auto it = inst.messages.rbegin(); it != inst.messages.rend(); ++it) {
    const stored_record& r = *it;
    if (!remote_jid.empty() && r.remote_jid != remote_jid) continue;
    if (!key_id.empty() && r.key_id != key_id) continue;
    if (from_me_only && !r.from_me) continue;
    if (gte && (r.timestamp_s < *gte || r.timestamp_s > *lte)) continue;
    hits.push_back(&r);
  }
  std::stable_sort(hits.begin(), hits.end(), [](const stored_record* a, const stored_record* b) {
    return a->timestamp_s > b->timestamp_s;
  });
  const std::int64_t page_size =
      std::max<std::int64_t>(body.is_object() ? body.value("offset", 50) : 50, 1);
  const std::int64_t page = std::max<std::int64_t>(body.is_object() ? body.value("page", 1) : 1, 1);
  const auto total = static_cast<std::int64_t>(hits.size());
  json records = json::array();
  for (std::int64_t i = page_size * (page - 1); i < total && i < page_size * page; ++i) {
    const stored_record& r = *hits[static_cast<std::size_t>(i)];
    records.push_back(
        {{"id", "cm" + r.key_id},
         {"key", {{"id", r.key_id}, {"fromMe", r.from_me}, {"remoteJid", r.remote_jid}}},
         {"pushName", r.from_me ? "Você" : r.remote_jid.substr(0, r.remote_jid.find('@'))},
         {"messageType", r.message_type},
         {"message", r.message},
         {"messageTimestamp", r.timestamp_s},
         {"instanceId", inst.id},
         {"source", r.source},
         {"contextInfo", nullptr},
         {"MessageUpdate", json::array()}});
  }
  const std::int64_t pages = total == 0 ? 0 : (total + page_size - 1) / page_size;
  return answer{
      200,
      {{"messages",
        {{"total", total}, {"pages", pages}, {"currentPage", page}, {"records", records}}}},
      {},
      {}};
}

fake_evolution::answer fake_evolution::create_instance(const nlohmann::json& body) {
  auto error = [](int status, json message) {
    auto r = scripted_reply::evolution_error(status, std::move(message));
    return answer{status, json::parse(r.body), {}, {}};
  };
  if (!non_empty_string(body, "instanceName")) {
    return error(400, json::array({json::array({"instance requires property \"instanceName\""})}));
  }
  if (body.value("integration", "") != "WHATSAPP-BAILEYS") {
    return error(400, json::array({"Invalid integration"}));
  }
  const std::string name = body["instanceName"].get<std::string>();
  if (instances_.count(name)) {
    return error(403, json::array({"This name \"" + name + "\" is already in use."}));
  }
  json webhook;
  if (body.contains("webhook") && body["webhook"].is_object()) {
    webhook = body["webhook"];
    if (!webhook.contains("events")) {
      return error(400, "Cannot read properties of undefined (reading 'length')");
    }
    webhook["enabled"] = true;
  }
  instance_state inst;
  inst.token = non_empty_string(body, "token") ? body["token"].get<std::string>()
                                               : "E2F1" + fresh_key_id().substr(4);
  inst.id = "inst-" + fresh_key_id().substr(4);
  const bool qrcode = body.value("qrcode", false);
  inst.state = qrcode ? "connecting" : "close";
  inst.webhook = webhook;
  instances_[name] = inst;

  // An instance created without a webhook answers empty webhook fields (json::value throws
  // on null).
  const json stored_webhook = webhook.is_object() ? webhook : json::object();
  json answer_body = {{"instance",
                       {{"instanceName", name},
                        {"instanceId", inst.id},
                        {"integration", "WHATSAPP-BAILEYS"},
                        {"webhookWaBusiness", nullptr},
                        {"accessTokenWaBusiness", ""},
                        {"status", inst.state}}},
                      {"hash", inst.token},
                      {"webhook",
                       {{"webhookUrl", stored_webhook.value("url", "")},
                        {"webhookHeaders", stored_webhook.value("headers", json::object())},
                        {"webhookByEvents", stored_webhook.value("byEvents", false)},
                        {"webhookBase64", stored_webhook.value("base64", false)}}},
                      {"websocket", json::object()},
                      {"settings", {{"groupsIgnore", body.value("groupsIgnore", false)}}}};
  if (qrcode) {
    answer_body["qrcode"] = {{"pairingCode", nullptr},
                             {"code", "2@fake-qr-" + name},
                             {"base64", "data:image/png;base64,iVBORw0KGgo="},
                             {"count", 1}};
  }
  return answer{201, answer_body, {}, {}};
}

fake_evolution::answer fake_evolution::connect(const std::string& name, instance_state& inst) {
  if (inst.state == "open") {
    return answer{200, {{"instance", {{"instanceName", name}, {"state", "open"}}}}, {}, {}};
  }
  inst.state = "connecting";
  return answer{200,
                {{"pairingCode", nullptr},
                 {"code", "2@fake-qr-" + name},
                 {"base64", "data:image/png;base64,iVBORw0KGgo="},
                 {"count", 1}},
                {},
                {}};
}

fake_evolution::answer fake_evolution::set_webhook(const nlohmann::json& body,
                                                   instance_state& inst) {
  auto error = [](int status, json message) {
    auto r = scripted_reply::evolution_error(status, std::move(message));
    return answer{status, json::parse(r.body), {}, {}};
  };
  if (!body.is_object() || !body.contains("webhook") || !body["webhook"].is_object()) {
    return error(400, json::array({json::array({"instance requires property \"webhook\""})}));
  }
  const json& w = body["webhook"];
  if (!w.contains("enabled") || !non_empty_string(w, "url")) {
    return error(400, json::array({json::array({"webhook requires property \"url\""})}));
  }
  if (w["enabled"] == true && !w.contains("events")) {
    return error(500, "Cannot read properties of undefined (reading 'length')");
  }
  inst.webhook = w;
  return answer{201,
                {{"id", "cmwebhook"},
                 {"url", w["url"]},
                 {"headers", w.value("headers", json::object())},
                 {"enabled", w["enabled"]},
                 {"events", w["enabled"] == true ? w["events"] : json::array()},
                 {"webhookByEvents", w.value("byEvents", false)},
                 {"webhookBase64", w.value("base64", false)},
                 {"instanceId", inst.id}},
                {},
                {}};
}

// --- provisioning -----------------------------------------------------------------------

fake_evolution::answer fake_evolution::banner() const {
  // Served without a key, as Evolution does.
  json body = {{"status", 200},
               {"message", "Welcome to the Evolution API, it is working!"},
               {"clientName", "evolution_exchange"}};
  if (!options_.version.empty()) body["version"] = options_.version;
  return answer{200, body, {}, {}};
}

fake_evolution::answer fake_evolution::with_pairing_code(const http::request& req, answer a) const {
  // With ?number= a QR answer carries an 8-character code to type on the phone instead.
  if (req.target.find("number=") == std::string::npos || !a.body.contains("code")) return a;
  a.body["pairingCode"] = "WZYEH1YY";
  return a;
}

}  // namespace aibud::testing
