#include "runtime/logging.hpp"

#include "base/log.hpp"

namespace aibud::runtime {

void setup_logging(const config::config& cfg, const std::map<std::string, std::string>& env) {
  // load() has validated log_level, so the fallback only guards a hand-built config.
  log::set_level(log::parse_level(cfg.log_level).value_or(log::level::info));
  log::log_to_stderr();
  for (const auto& secret : config::secrets(cfg)) log::add_secret(secret);
  for (const char* name : {"AIBUD_SECRET_KEY", "AIBUD_TOKEN"}) {
    auto it = env.find(name);
    if (it != env.end()) log::add_secret(it->second);
  }
}

}  // namespace aibud::runtime
