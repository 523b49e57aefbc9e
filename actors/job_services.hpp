// What the job actors need from the runtime, found once when the job system starts (no CAF
// here). Every member outlives the actors; `stopping` turns late callbacks into no-ops.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "actors/job_runner.hpp"
#include "actors/live_tree.hpp"

namespace aibud::storage {
class writer;
}
namespace aibud::ai {
class provider;
}

namespace aibud::actors {

struct job_services {
  storage::writer* writer = nullptr;
  ai::provider* provider = nullptr;
  // Evolution sends and send lookups (ARCHITECTURE §3.4); unset: every Evolution send fails
  // as rejected (sandbox instances need neither).
  std::function<void(const send_target&, const std::string& text, std::function<void(send_result)>)>
      send_text;
  std::function<void(const send_target&, const sent_content&, int64_t since_ms,
                     std::function<void(send_result)>)>
      find_sent;
  std::function<void(const send_target&, const std::string& question,
                     const std::vector<std::string>& options, int selectable_count,
                     std::function<void(send_result)>)>
      send_poll;
  std::function<void(const send_target&, int64_t delay_ms, std::function<void(send_result)>)>
      send_presence;
  std::function<void(const send_target&, const std::string& message_id,
                     std::function<void(send_result, media_bytes)>)>
      fetch_media_base64;
  runner_settings settings;  // shared by every contact's runner: `breakers` must be set
  std::chrono::milliseconds idle_timeout{10 * 60 * 1000};  // contacts.idle_timeout
  std::atomic<bool> stopping{false};
  // The live tree the actors keep current; unset: not kept.
  std::shared_ptr<live_tree> tree;
};

}  // namespace aibud::actors
