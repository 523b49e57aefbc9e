// bench_fake_evolution: the Evolution API end of the end-to-end benchmark (ARCHITECTURE §9),
// on loopback. It answers sendText with a send response (reference §5, a fresh key.id each)
// and findMessages with an empty page, as fast as it can, so the benchmark measures aibud's
// real outgoing path (HTTP client, Evolution client, send journal) and not a sandbox's.
//
//   bench_fake_evolution [--threads 1] [--hang]
//
// --hang never answers sendText (nor findMessages): every job that reaches its send waits
// there, which is how the recovery benchmark keeps a backlog pending. Prints "port N" once it
// listens; stops on SIGTERM/SIGINT, printing "sends N" (the sendText calls it received).
#include <atomic>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "adapters/http/router.hpp"
#include "adapters/http/server.hpp"
#include "base/json_text.hpp"
#include "bench/intake/bench_util.hpp"

namespace aibud::bench {
namespace {

// The send response of reference §5 (dumped with json_text: the fake shares the machine
// with the server it measures).
http::response send_answer(const http::request& req, uint64_t n) {
  auto in = nlohmann::json::parse(req.body, nullptr, false);
  std::string number = in.is_object() ? in.value("number", "") : "";
  if (number.find('@') == std::string::npos) number += "@s.whatsapp.net";
  char id[32];
  std::snprintf(id, sizeof id, "BENCHOUT%014llu", static_cast<unsigned long long>(n));
  nlohmann::json out = {{"key", {{"remoteJid", number}, {"fromMe", true}, {"id", id}}},
                        {"pushName", ""},
                        {"status", "PENDING"},
                        {"message", {{"conversation", in.is_object() ? in.value("text", "") : ""}}},
                        {"messageType", "conversation"},
                        {"messageTimestamp", static_cast<int64_t>(std::time(nullptr))},
                        {"instanceId", "bench-fake"},
                        {"source", "web"}};
  return http::json_response(json_text::dump(out), 201);
}

int run_main(int argc, char** argv) {
  options opt(argc, argv);
  bool hang = opt.get("hang") == "1";
  std::atomic<uint64_t> sends{0};
  std::mutex held_mutex;
  std::vector<http::responder> held;  // --hang: answered by nobody, dropped at exit

  http::router routes;
  routes.post("/message/sendText/{instance}", [&](http::request req, http::responder respond) {
    uint64_t n = ++sends;
    if (hang) {
      std::lock_guard<std::mutex> lock(held_mutex);
      held.push_back(std::move(respond));
      return;
    }
    respond(send_answer(req, n));
  });
  routes.post("/chat/findMessages/{instance}", [&](http::request, http::responder respond) {
    if (hang) {
      std::lock_guard<std::mutex> lock(held_mutex);
      held.push_back(std::move(respond));
      return;
    }
    respond(
        http::json_response(R"({"messages":{"total":0,"pages":0,"currentPage":1,"records":[]}})"));
  });

  http::server_options so;
  so.port = 0;
  so.threads = static_cast<unsigned>(opt.number("threads", 1));
  so.handle_signals = true;
  so.shutdown_grace = std::chrono::milliseconds(200);
  http::server server(so, routes.as_handler());
  if (auto s = server.start(); !s) {
    std::fprintf(stderr, "error: unavailable: %s\n", s.err().message.c_str());
    return 1;
  }
  std::printf("port %u\n", static_cast<unsigned>(server.port()));
  std::fflush(stdout);
  server.wait();
  std::printf("sends %llu\n", static_cast<unsigned long long>(sends.load()));
  return 0;
}

}  // namespace
}  // namespace aibud::bench

int main(int argc, char** argv) {
  return aibud::bench::run_main(argc, argv);
}
