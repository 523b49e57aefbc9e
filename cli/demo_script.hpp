// What `aibud demo` says as its leads: the scripted messages and the Evolution webhook bodies
// that carry them, built the way Evolution API v2 posts `messages.upsert` (reference §2).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace aibud::cli::demo {

struct lead {
  std::string name;   // pushName
  std::string phone;  // digits only
  std::string jid() const { return phone + "@s.whatsapp.net"; }
};

// One thing a lead does. `vote` answers the poll open at that moment with the option `text`
// names (as the poll manager matches a typed answer), or the first option.
struct line {
  enum class kind { text, photo, vote };
  kind what = kind::text;
  std::string text;  // text; caption; the wanted option
  // Photos posted right after one another (no wait for a reply in between): one burst.
  bool burst_with_next = false;
};

// The main lead's conversation: greeting → classification → poll → vote (one of them typed)
// → three photos → one estimate → "talk to a person" → handoff.
std::vector<line> main_script();
lead main_lead();

// The other leads, who write until the tenant's credits are spent.
lead other_lead(int n);
std::string other_lead_message(int n);

// Webhook bodies. `id` is the WhatsApp message id, `at_s` its messageTimestamp.
nlohmann::json text_webhook(const std::string& instance, const lead& who, const std::string& id,
                            const std::string& text, int64_t at_s);
nlohmann::json photo_webhook(const std::string& instance, const lead& who, const std::string& id,
                             const std::string& caption, const std::string& image_bytes,
                             int64_t at_s);
nlohmann::json vote_webhook(const std::string& instance, const lead& who, const std::string& id,
                            const std::string& poll_message_id,
                            const std::vector<std::string>& selected, int64_t at_s);

// Stand-in photo bytes, distinct per `n` (the offline estimator reads a digest of them).
std::string demo_photo(int n);

}  // namespace aibud::cli::demo
