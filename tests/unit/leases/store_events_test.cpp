// The events table (issue 14): written with the change that causes it,
// read after a cursor, pruned by age and count.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "leases/event_pruner.hpp"
#include "leases/store.hpp"
#include "leases/writer.hpp"
#include "tests/unit/leases/temp_db.hpp"

namespace berth::leases {
namespace {

class EventsDb : public TempDbTest {};

Lease lease(const char* ip, uint8_t m, int64_t updated_at, LeaseState state = LeaseState::bound) {
  return Lease{.bridge = "br0",
               .ip = *Ipv4Address::parse(ip),
               .mac = MacAddress({0x02, 0, 0, 0, 0, m}),
               .client_id = {},
               .hostname = "c" + std::to_string(m),
               .state = state,
               .expires_at = updated_at + 3600,
               .updated_at = updated_at};
}

std::vector<EventKind> kinds(const std::vector<Event>& events) {
  std::vector<EventKind> out;
  for (const Event& e : events) out.push_back(e.kind);
  return out;
}

TEST_F(EventsDb, EventsComeFromTheLatestSchemaOn) {
  EXPECT_GT(LeaseStore::events_schema_version(), 6);
  EXPECT_LE(LeaseStore::events_schema_version(), LeaseStore::latest_schema_version());
  // A database kept before the events schema has none, and writes still work.
  LeaseStore old(path_, Durability::process, LeaseStore::events_schema_version() - 1);
  const LeaseChange c = LeaseChange::upsert(lease("10.0.3.5", 1, 1000));
  old.write(std::span(&c, 1));
  EXPECT_TRUE(old.events_after(0, 10).empty());
  EXPECT_EQ(old.event_bounds(), (LeaseStore::EventBounds{.oldest = 1, .head = 0}));
}

TEST_F(EventsDb, LeaseChangesWriteTheirEventsInTheSameCommit) {
  LeaseStore s(path_, Durability::process);
  auto write = [&](LeaseChange c) { s.write(std::span(&c, 1)); };
  write(LeaseChange::upsert(lease("10.0.3.5", 1, 1000)));
  write(LeaseChange::upsert(lease("10.0.3.5", 1, 1500)));  // renewal
  write(LeaseChange::upsert(lease("10.0.3.5", 1, 1600, LeaseState::released)));
  write(LeaseChange::upsert(lease("10.0.3.6", 2, 1700, LeaseState::declined)));
  Lease gone;
  gone.bridge = "br0";
  gone.ip = *Ipv4Address::parse("10.0.3.5");
  write(LeaseChange::erase(gone));
  write(LeaseChange::erase(gone));  // nothing there any more: no event
  const std::vector<Event> events = s.events_after(0, 100);
  EXPECT_EQ(kinds(events), (std::vector{EventKind::lease_bound, EventKind::lease_renewed,
                                        EventKind::lease_released, EventKind::lease_declined,
                                        EventKind::lease_forgotten}));
  for (size_t i = 0; i < events.size(); ++i) EXPECT_EQ(events[i].cursor, int64_t(i + 1));
  // The forgotten lease is named by what the store held (the erase carried
  // only bridge and address).
  EXPECT_EQ(events[4].mac, "02:00:00:00:00:01");
  EXPECT_EQ(events[4].hostname, "c1");
  EXPECT_EQ(nlohmann::json::parse(events[4].details)["state"], "released");
  EXPECT_GT(events[0].time_ms, 1'600'000'000'000);
}

TEST_F(EventsDb, AFailedCommitKeepsNoEvent) {
  LeaseStore s(path_, Durability::process);
  // A trigger (made by another connection) refuses the second lease: the
  // whole commit rolls back, the first lease's event with it.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TRIGGER refuse BEFORE INSERT ON leases WHEN NEW.ip = '10.0.3.9' "
                         "BEGIN SELECT RAISE(ABORT, 'refused'); END",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  const std::vector<LeaseChange> changes = {LeaseChange::upsert(lease("10.0.3.8", 1, 1000)),
                                            LeaseChange::upsert(lease("10.0.3.9", 2, 1000))};
  EXPECT_THROW(s.write(changes), StoreError);
  EXPECT_TRUE(s.events_after(0, 10).empty());
  EXPECT_TRUE(s.load_all().empty());
}

TEST_F(EventsDb, ReservationsAndForwardsWriteTheirsByTrigger) {
  LeaseStore s(path_, Durability::process);
  Reservation r;
  r.bridge = "br0";
  r.mac = MacAddress({0x02, 0, 0, 0, 0, 9});
  r.ip = *Ipv4Address::parse("10.0.3.50");
  r.name = "web";
  r = s.add_reservation(r, 100);
  ASSERT_TRUE(s.update_reservation(r.id, *Ipv4Address::parse("10.0.3.51"), std::nullopt, "www"));
  ASSERT_TRUE(s.remove_reservation(r.id));
  StoredForward f{.id = 0,
                  .bridge = "br0",
                  .proto = "tcp",
                  .host_address = std::nullopt,
                  .host_port = 8080,
                  .to = "web",
                  .to_port = 80,
                  .created_at = 100};
  const int64_t fid = s.add_forward(f);
  ASSERT_TRUE(s.delete_forward(fid));
  const std::vector<Event> events = s.events_after(0, 100);
  ASSERT_EQ(kinds(events),
            (std::vector{EventKind::reservation_added, EventKind::reservation_changed,
                         EventKind::reservation_removed, EventKind::forward_added,
                         EventKind::forward_removed}));
  EXPECT_EQ(events[0].ip, "10.0.3.50");
  EXPECT_EQ(events[0].mac, "02:00:00:00:00:09");
  EXPECT_EQ(events[0].hostname, "web");
  EXPECT_EQ(nlohmann::json::parse(events[0].details)["id"], r.id);
  EXPECT_EQ(events[1].ip, "10.0.3.51");
  EXPECT_EQ(nlohmann::json::parse(events[1].details)["old_ip"], "10.0.3.50");
  EXPECT_EQ(nlohmann::json::parse(events[3].details)["host_port"], 8080);
  EXPECT_EQ(nlohmann::json::parse(events[4].details)["to"], "web");
}

TEST_F(EventsDb, ReadsAfterACursorInPagesAndBoundsSurvivePruning) {
  LeaseStore s(path_, Durability::process);
  std::vector<Event> extra;
  for (int i = 0; i < 10; ++i) {
    extra.push_back(Event{.cursor = 0,
                          .time_ms = 1000 + i,
                          .kind = EventKind::lease_expired,
                          .bridge = "br0",
                          .ip = "10.0.3." + std::to_string(i),
                          .mac = {},
                          .hostname = {},
                          .details = "{}"});
  }
  s.write({}, extra);
  EXPECT_EQ(s.event_bounds(), (LeaseStore::EventBounds{.oldest = 1, .head = 10}));
  const auto page = s.events_after(3, 4);
  ASSERT_EQ(page.size(), 4u);
  EXPECT_EQ(page.front().cursor, 4);
  EXPECT_EQ(page.back().cursor, 7);
  EXPECT_EQ(page.front().ip, "10.0.3.3");
  EXPECT_TRUE(s.events_after(10, 4).empty());

  // By age: older than 1005 ms goes, in chunks of 2.
  EXPECT_EQ(s.prune_events(1005, INT64_MAX, 2), 2u);
  EXPECT_EQ(s.prune_events(1005, INT64_MAX, 100), 3u);
  EXPECT_EQ(s.event_bounds(), (LeaseStore::EventBounds{.oldest = 6, .head = 10}));
  // By count: keep the newest 2.
  EXPECT_EQ(s.prune_events(0, 2, 100), 3u);
  EXPECT_EQ(s.events_after(0, 100).front().cursor, 9);
  // Everything gone: the head stays, and new cursors go on from it.
  EXPECT_EQ(s.prune_events(INT64_MAX, INT64_MAX, 100), 2u);
  EXPECT_EQ(s.event_bounds(), (LeaseStore::EventBounds{.oldest = 11, .head = 10}));
  const LeaseChange c = LeaseChange::upsert(lease("10.0.3.5", 1, 1000));
  s.write(std::span(&c, 1));
  EXPECT_EQ(s.events_after(0, 10).front().cursor, 11);
}

TEST_F(EventsDb, WriterCommitsEventsWithoutLeaseChanges) {
  LeaseStore s(path_, Durability::process);
  LeaseStore reader(path_, Durability::process);
  {
    LeaseWriter w(s);
    bool ok = false;
    w.submit_events({lease_event(EventKind::lease_expired, lease("10.0.3.7", 7, 10), 5)},
                    [&](bool r) { ok = r; });
    w.flush();
    EXPECT_TRUE(ok);
  }
  const auto events = reader.events_after(0, 10);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, EventKind::lease_expired);
  EXPECT_EQ(events[0].ip, "10.0.3.7");
}

TEST_F(EventsDb, PrunerAppliesAgeAndCount) {
  { LeaseStore s(path_, Durability::process); }
  EventPruner pruner(path_, Durability::process, EventRetention{.max_age_s = 60, .max_count = 3},
                     std::chrono::hours(1));
  LeaseStore s(path_, Durability::process);
  std::vector<Event> extra;
  const int64_t now = 10'000'000;
  for (int i = 0; i < 600; ++i) {
    extra.push_back(Event{.cursor = 0,
                          .time_ms = i < 500 ? now - 120'000 : now,  // 500 too old
                          .kind = EventKind::lease_bound,
                          .bridge = "br0",
                          .ip = {},
                          .mac = {},
                          .hostname = {},
                          .details = "{}"});
  }
  s.write({}, extra);
  EXPECT_EQ(pruner.prune(now), 597u);  // more than one chunk
  EXPECT_EQ(s.events_after(0, 1000).size(), 3u);
  pruner.set_retention(EventRetention{.max_age_s = 0, .max_count = 0});
  EXPECT_EQ(pruner.prune(now + 1'000'000'000), 0u);  // no limits: nothing goes
}

}  // namespace
}  // namespace berth::leases
