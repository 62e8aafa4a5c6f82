#include "api/events.hpp"

#include <gtest/gtest.h>

namespace berth::api {
namespace {

leases::Event sample() {
  return leases::Event{.cursor = 42,
                       .time_ms = 1764966600123,  // 2025-12-05T20:30:00.123Z
                       .kind = leases::EventKind::lease_bound,
                       .bridge = "br0",
                       .ip = "10.0.3.5",
                       .mac = "02:00:00:00:00:07",
                       .hostname = "web",
                       .details = R"({"state":"bound","expires_at":1764970200})"};
}

TEST(EventsWire, Rfc3339Milliseconds) {
  EXPECT_EQ(rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(rfc3339_ms(1764966600123), "2025-12-05T20:30:00.123Z");
  EXPECT_EQ(rfc3339_ms(-1), "1969-12-31T23:59:59.999Z");
}

TEST(EventsWire, LineIsOneJsonObjectAndParsesBack) {
  const std::string line = event_line(sample());
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  const auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["cursor"], 42);
  EXPECT_EQ(j["kind"], "lease_bound");
  EXPECT_EQ(j["time"], "2025-12-05T20:30:00.123Z");
  EXPECT_EQ(j["details"]["state"], "bound");
  auto back = event_from_line(std::string_view(line).substr(0, line.size() - 1));
  ASSERT_TRUE(back);
  // The details come back as the same object (keys sorted).
  EXPECT_EQ(nlohmann::json::parse(back->details), nlohmann::json::parse(sample().details));
  back->details = sample().details;
  EXPECT_EQ(*back, sample());
}

TEST(EventsWire, SseFrameHasTheCursorAsId) {
  const std::string frame = event_sse(sample());
  EXPECT_TRUE(frame.starts_with("id: 42\nevent: lease_bound\ndata: {")) << frame;
  EXPECT_TRUE(frame.ends_with("}\n\n"));
  const size_t data = frame.find("data: ");
  auto back = event_from_line(frame.substr(data, frame.size() - data - 2));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->cursor, 42);
}

TEST(EventsWire, BadDetailsBecomeAnEmptyObject) {
  leases::Event e = sample();
  e.details = "not json";
  EXPECT_TRUE(event_json(e)["details"].is_object());
  EXPECT_TRUE(event_json(e)["details"].empty());
}

TEST(EventsWire, NotEventsAreRefused) {
  EXPECT_FALSE(event_from_line(""));
  EXPECT_FALSE(event_from_line("{}"));
  EXPECT_FALSE(event_from_line(R"({"cursor":1,"kind":"nope"})"));
  EXPECT_FALSE(event_from_line(R"({"cursor":"1","kind":"lease_bound"})"));
  EXPECT_FALSE(event_from_line("[1,2]"));
}

TEST(EventsWire, GapOnlyWhenEventsAfterTheCursorWerePruned) {
  const leases::LeaseStore::EventBounds b{.oldest = 100, .head = 150};
  EXPECT_FALSE(gap_event(99, b));
  EXPECT_FALSE(gap_event(120, b));
  auto gap = gap_event(10, b);
  ASSERT_TRUE(gap);
  EXPECT_EQ(gap->kind, leases::EventKind::gap);
  EXPECT_EQ(gap->cursor, 99);
  const auto d = nlohmann::json::parse(gap->details);
  EXPECT_EQ(d["since"], 10);
  EXPECT_EQ(d["oldest"], 100);
  EXPECT_EQ(d["missed"], 89);
  // Everything pruned: oldest is head + 1.
  EXPECT_TRUE(gap_event(0, leases::LeaseStore::EventBounds{.oldest = 6, .head = 5}));
  EXPECT_FALSE(gap_event(5, leases::LeaseStore::EventBounds{.oldest = 6, .head = 5}));
}

TEST(EventsWire, TextLineForPeople) {
  const std::string text = event_text(sample());
  EXPECT_TRUE(
      text.starts_with("2025-12-05 20:30:00.123 #42 lease_bound br0 10.0.3.5 "
                       "02:00:00:00:00:07 web"))
      << text;
  EXPECT_NE(text.find("until 2025-12-05T21:30:00Z"), std::string::npos) << text;
}

}  // namespace
}  // namespace berth::api
