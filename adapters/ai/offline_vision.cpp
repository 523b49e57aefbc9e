// The offline provider's photo "estimate": every choice is read off a SHA-256 of the images,
// so it is stable across runs and machines, and different photos get different answers.
#include <array>

#include "adapters/ai/offline_provider.hpp"
#include "base/crypto.hpp"

namespace aibud::ai {
namespace {

// Successive small numbers drawn from a digest's bytes.
class digest_reader {
 public:
  explicit digest_reader(std::string digest) : digest_(std::move(digest)) {}
  unsigned next(unsigned bound) {
    unsigned value = static_cast<unsigned char>(digest_[at_ % digest_.size()]) << 8 |
                     static_cast<unsigned char>(digest_[(at_ + 1) % digest_.size()]);
    at_ += 2;
    return value % bound;
  }

 private:
  std::string digest_;
  std::size_t at_ = 0;
};

}  // namespace

vision_estimate estimate_images(const std::vector<std::string>& image_bytes) {
  static const std::array<const char*, 7> rooms = {
      "living_room", "kitchen", "bedroom", "bathroom", "facade", "balcony", "dining_room"};
  static const std::array<const char*, 10> features = {
      "natural_light", "hardwood_floor", "ceramic_tiles",    "built_in_cabinets",  "balcony",
      "high_ceiling",  "city_view",      "air_conditioning", "granite_countertop", "garden"};
  static const std::array<const char*, 4> conditions = {"new", "good", "fair", "needs_renovation"};
  // Price per condition, in percent of a new property's.
  static const std::array<int, 4> condition_factor = {100, 90, 78, 62};

  std::string all;
  for (const auto& bytes : image_bytes) all += crypto::sha256(bytes);
  digest_reader draw(crypto::sha256(all));

  vision_estimate estimate;
  estimate.room_type = rooms[draw.next(rooms.size())];
  unsigned feature_count = 2 + draw.next(2);
  unsigned first = draw.next(features.size());
  for (unsigned i = 0; i < feature_count; ++i)
    estimate.features.push_back(features[(first + i * 3) % features.size()]);
  unsigned condition = draw.next(conditions.size());
  estimate.condition = conditions[condition];
  std::int64_t new_price = 250'000 + std::int64_t(draw.next(96)) * 12'500;  // 250k .. 1.44M
  std::int64_t base = new_price * condition_factor[condition] / 100;
  estimate.value_min = base / 1000 * 1000;
  estimate.value_max = (base * 125 / 100) / 1000 * 1000;
  return estimate;
}

}  // namespace aibud::ai
