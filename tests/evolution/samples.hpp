// The sample bodies of examples/evolution, as text and as JSON to derive variants from.
#pragma once

#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "tests/support/temp_dir.hpp"

namespace aibud::evolution::testing {

inline std::string sample_text(const std::string& name) {
  std::string text = aibud::testing::read_file(std::string(AIBUD_SAMPLES_DIR) + "/" + name);
  REQUIRE_MESSAGE(!text.empty(), "missing sample " << name);
  return text;
}

inline nlohmann::json sample_json(const std::string& name) {
  return nlohmann::json::parse(sample_text(name));
}

// Every webhook envelope among the samples.
inline const std::vector<std::string>& webhook_samples() {
  static const std::vector<std::string> names = {
      "connection-update.json",
      "messages-upsert-audio.json",
      "messages-upsert-extended-text.json",
      "messages-upsert-from-me.json",
      "messages-upsert-group.json",
      "messages-upsert-image.json",
      "messages-upsert-status-broadcast.json",
      "messages-upsert-text.json",
      "poll-vote.json",
      "qrcode-updated.json",
      "send-message.json",
  };
  return names;
}

}  // namespace aibud::evolution::testing
