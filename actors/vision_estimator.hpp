// The vision estimator (issue 5): the photos of one property (one burst, see burst_merge.hpp)
// go to the strong model in one `vision` request, inline as base64; its structured answer —
// or several answers, one per photo, when a runner asks per photo — is aggregated into one
// estimate with a range, and the lead gets one reply. One valuation is charged once
// (costs.valuation), however many photos it took; a failed one is not charged.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/agent_plan.hpp"
#include "adapters/ai/gateway.hpp"
#include "base/error.hpp"

namespace aibud::actors {

// {room_type, features[], condition, value_min, value_max, currency}, all required.
nlohmann::json vision_schema();

// A `vision`-kind request with the system prompt in the tenant's language, one user turn
// (the captions, or a default "estimate this property"), vision_schema(), and no images:
// the runner appends them in photo order (attach_images) once it has their bytes.
ai::ai_request vision_request(const lead_context& ctx, const std::string& captions,
                              int photo_count);

// Appends the photos to the request (base64 as fetched or inline; mime as given).
void attach_images(ai::ai_request& request, std::vector<ai::image> images);

struct photo_estimate {
  std::string room_type;
  std::vector<std::string> features;
  std::string condition;
  int64_t value_min = 0;
  int64_t value_max = 0;
  std::string currency = "BRL";
};

// One answer object. Errors: invalid_argument when the values are missing, not numbers,
// negative, or both zero (the model could not tell). A reversed range is put in order.
result<photo_estimate> parse_estimate(const nlohmann::json& answer);

struct property_estimate {
  int64_t value_min = 0;  // the mean of the answers' minimums, to the nearest thousand
  int64_t value_max = 0;  // the mean of their maximums, likewise (never below value_min)
  std::string currency = "BRL";
  std::string condition;              // the most frequent (first on a tie)
  std::vector<std::string> rooms;     // distinct room types, in answer order
  std::vector<std::string> features;  // distinct features, in answer order
  int answers = 0;
};

// REQUIRES: !estimates.empty().
property_estimate aggregate(const std::vector<photo_estimate>& estimates);

// The model's answer (an object, or an array of per-photo objects) → the plan: the photo
// acknowledgement and the estimate in one text, then how to reach a person; status
// estimated; a `lead.estimated` audit; cost costs.valuation. No usable estimate: the
// estimate-failed text, status unchanged, cost 0.
agent_plan vision_plan(const lead_context& ctx, int photo_count, const std::string& captions,
                       const ai::ai_response& response);

}  // namespace aibud::actors
