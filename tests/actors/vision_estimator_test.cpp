#include "actors/vision_estimator.hpp"

#include <doctest/doctest.h>

#include "adapters/ai/offline_provider.hpp"
#include "base/crypto.hpp"

using namespace aibud;
using namespace aibud::actors;
using json = nlohmann::json;

namespace {

lead_context context(lang l = lang::en) {
  lead_context ctx;
  ctx.contact_id = 11;
  ctx.status = lead_status::valuation_requested;
  ctx.language = l;
  ctx.costs.valuation = 5;
  return ctx;
}

json estimate(int64_t min, int64_t max, const std::string& room, const std::string& condition) {
  return {{"room_type", room},      {"features", {"natural_light"}},
          {"condition", condition}, {"value_min", min},
          {"value_max", max},       {"currency", "BRL"}};
}

ai::ai_response structured(json j) {
  ai::ai_response r;
  r.structured = std::move(j);
  return r;
}

}  // namespace

TEST_CASE("the vision request asks the strong model for the schema, images attached in order") {
  auto r = vision_request(context(lang::pt_br), "a sala", 2);
  CHECK(r.kind == ai::task_kind::vision);
  CHECK(r.system_prompt.find("avaliador") != std::string::npos);
  REQUIRE(r.history.size() == 1);
  CHECK(r.history[0].text.find("2 foto") != std::string::npos);
  CHECK(r.history[0].text.find("a sala") != std::string::npos);
  REQUIRE(r.json_schema);
  CHECK((*r.json_schema)["required"].size() == 6);
  CHECK(r.images.empty());
  attach_images(r, {{"image/jpeg", "", crypto::base64("one")}, {"image/png", "", "dHdv"}});
  REQUIRE(r.images.size() == 2);
  CHECK(r.images[1].mime_type == "image/png");
}

TEST_CASE("an estimate is parsed, ordered, and refused when it has no value") {
  auto e = parse_estimate(estimate(400000, 300000, "kitchen", "good"));
  REQUIRE(e);
  CHECK(e->value_min == 300000);
  CHECK(e->value_max == 400000);
  CHECK(e->room_type == "kitchen");
  CHECK(e->features == std::vector<std::string>{"natural_light"});
  CHECK_FALSE(parse_estimate(estimate(0, 0, "kitchen", "good")));
  CHECK_FALSE(parse_estimate(json{{"room_type", "x"}}));
  CHECK_FALSE(parse_estimate(json::array()));
  CHECK_FALSE(parse_estimate(estimate(-5, 10, "kitchen", "good")));
}

TEST_CASE("several answers aggregate into one range, rooms and the most frequent condition") {
  std::vector<photo_estimate> all;
  for (auto j : {estimate(300000, 360000, "kitchen", "good"),
                 estimate(320000, 400000, "living_room", "fair"),
                 estimate(310500, 380000, "kitchen", "fair")})
    all.push_back(*parse_estimate(j));
  auto p = aggregate(all);
  CHECK(p.value_min == 310000);  // mean 310166 → nearest thousand
  CHECK(p.value_max == 380000);
  CHECK(p.condition == "fair");
  CHECK(p.rooms == std::vector<std::string>{"kitchen", "living_room"});
  CHECK(p.features == std::vector<std::string>{"natural_light"});
  CHECK(p.answers == 3);
}

TEST_CASE("one estimate for a burst of photos: one text, status estimated, charged once") {
  auto plan =
      vision_plan(context(), 3, "", structured(estimate(300000, 375000, "kitchen", "good")));
  REQUIRE(plan.sends.size() == 1);
  CHECK(plan.sends[0].text ==
        "Thanks for the 3 photos. Estimated property value: between BRL 300,000 and BRL "
        "375,000. Condition: good. Rooms seen: kitchen.\n\n" +
            fixed_text(text_id::estimate_followup, lang::en));
  CHECK(plan.change.status == "estimated");
  CHECK(plan.cost == 5);
  CHECK(plan.change.history_in == "[3 photos]");
  REQUIRE(plan.audits.size() == 1);
  CHECK(plan.audits[0].action == "lead.estimated");
  CHECK(plan.audits[0].details["photos"] == 3);
}

TEST_CASE("per-photo answers in an array become one estimate") {
  json answers = json::array(
      {estimate(300000, 360000, "kitchen", "good"), estimate(320000, 400000, "bedroom", "good")});
  auto plan = vision_plan(context(lang::pt_br), 2, "", structured(answers));
  REQUIRE(plan.sends.size() == 1);
  CHECK(plan.sends[0].text.find("R$ 310.000 e R$ 380.000") != std::string::npos);
  CHECK(plan.sends[0].text.find("Vi: cozinha e quarto") != std::string::npos);
  CHECK(plan.cost == 5);
}

TEST_CASE("an answer with no usable estimate says so and is not charged") {
  auto plan = vision_plan(context(), 1, "", structured(json{{"value_min", 0}, {"value_max", 0}}));
  CHECK(plan.sends.at(0).text == fixed_text(text_id::estimate_failed, lang::en));
  CHECK(plan.cost == 0);
  CHECK(plan.change.status.empty());
}

TEST_CASE("the offline provider's estimate for real bytes flows through the plan") {
  auto r = vision_request(context(), "", 3);
  attach_images(r, {{"image/jpeg", "", crypto::base64("photo one")},
                    {"image/jpeg", "", crypto::base64("photo two")},
                    {"image/jpeg", "", crypto::base64("photo three")}});
  ai::ai_response got;
  ai::offline_provider().generate(r, [&got](ai::ai_response x) { got = std::move(x); });
  REQUIRE(got.status == ai::outcome::ok);
  auto expected = ai::estimate_images({"photo one", "photo two", "photo three"});
  auto plan = vision_plan(context(), 3, "", got);
  CHECK(plan.cost == 5);
  CHECK(plan.audits.at(0).details["value_min"] == expected.value_min);
  CHECK(plan.audits.at(0).details["value_max"] == expected.value_max);
}
