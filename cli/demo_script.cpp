#include "cli/demo_script.hpp"

#include <array>

#include "base/crypto.hpp"

namespace aibud::cli::demo {
namespace {

using nlohmann::json;

json envelope(const std::string& instance, const lead& who, const std::string& id, json message,
              const std::string& type, int64_t at_s) {
  json key = {{"remoteJid", who.jid()},
              {"fromMe", false},
              {"id", id},
              {"participant", ""},
              {"addressingMode", "pn"}};
  return {{"event", "messages.upsert"},
          {"instance", instance},
          {"data",
           {{"key", key},
            {"pushName", who.name},
            {"status", "DELIVERY_ACK"},
            {"message", std::move(message)},
            {"messageType", type},
            {"messageTimestamp", at_s},
            {"source", "android"}}},
          {"sender", "5511000000000@s.whatsapp.net"}};
}

}  // namespace

lead main_lead() {
  return {"Ana Souza", "5511987650001"};
}

std::vector<line> main_script() {
  using k = line::kind;
  return {
      {k::text, "Hi, good morning!", false},
      {k::text, "I want to sell my apartment", false},
      {k::vote, "Apartment", false},
      // Evolution 2.3.1-2.3.6 never delivers votes: a text naming an option counts as one.
      {k::text, "3 bedrooms", false},
      {k::vote, "In 1 to 3 months", false},
      {k::text, "How much is it worth? I can send photos", false},
      {k::photo, "Living room", true},
      {k::photo, "Kitchen", true},
      {k::photo, "Main bedroom", false},
      {k::text, "Thanks! Can I talk to a person, please?", false},
  };
}

lead other_lead(int n) {
  static const std::array<const char*, 8> first = {"Bruno", "Carla",  "Diego",  "Elisa",
                                                   "Fabio", "Gisele", "Heitor", "Iara"};
  static const std::array<const char*, 5> last = {"Lima", "Dias", "Rocha", "Prado", "Melo"};
  // Distinct for the first 40 leads: the surname moves on once per round of first names.
  auto i = static_cast<std::size_t>(n);
  return {std::string(first[i % first.size()]) + " " + last[(i + i / first.size()) % last.size()],
          "55119876501" + std::to_string(10 + n)};
}

std::string other_lead_message(int n) {
  static const std::array<const char*, 4> texts = {
      "Hello! Do you have apartments to rent downtown?",
      "I'm looking to buy a house with a garden",
      "What are your office hours?",
      "Hi, I'd like to rent a studio near the university",
  };
  return texts[static_cast<std::size_t>(n) % texts.size()];
}

json text_webhook(const std::string& instance, const lead& who, const std::string& id,
                  const std::string& text, int64_t at_s) {
  return envelope(instance, who, id, {{"conversation", text}}, "conversation", at_s);
}

json photo_webhook(const std::string& instance, const lead& who, const std::string& id,
                   const std::string& caption, const std::string& image_bytes, int64_t at_s) {
  json image = {{"mimetype", "image/jpeg"},
                {"caption", caption},
                {"fileLength", image_bytes.size()},
                {"height", 960},
                {"width", 1280}};
  // Evolution puts the media inline when the instance has webhookBase64 on (reference §2).
  json message = {{"imageMessage", image}, {"base64", crypto::base64(image_bytes)}};
  return envelope(instance, who, id, std::move(message), "imageMessage", at_s);
}

json vote_webhook(const std::string& instance, const lead& who, const std::string& id,
                  const std::string& poll_message_id, const std::vector<std::string>& selected,
                  int64_t at_s) {
  json vote = {
      {"pollCreationMessageKey",
       {{"remoteJid", who.jid()}, {"fromMe", true}, {"id", poll_message_id}, {"participant", ""}}},
      {"vote", {{"selectedOptions", selected}}}};
  return envelope(instance, who, id, {{"pollUpdateMessage", vote}}, "pollUpdateMessage", at_s);
}

std::string demo_photo(int n) {
  // Not a real picture: the offline estimator only needs bytes that differ per photo.
  std::string bytes = "aibud demo photo " + std::to_string(n) + "\n";
  for (int i = 0; i < 16; ++i) bytes += crypto::sha256(bytes);
  return bytes;
}

}  // namespace aibud::cli::demo
