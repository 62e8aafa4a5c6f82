#include "leases/events.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace berth::leases {
namespace {

Lease bound(uint8_t m, int64_t updated_at = 1000, int64_t expires_at = 4600) {
  return Lease{.bridge = "br0",
               .ip = *Ipv4Address::parse("10.0.3.5"),
               .mac = MacAddress({0x02, 0, 0, 0, 0, m}),
               .client_id = {0x01, 0x02, 0, 0, 0, 0, m},
               .hostname = "web",
               .state = LeaseState::bound,
               .expires_at = expires_at,
               .updated_at = updated_at};
}

PriorLease prior_of(const Lease& l) {
  return PriorLease{.mac = l.mac,
                    .client_id = l.client_id,
                    .hostname = l.hostname,
                    .state = l.state,
                    .expires_at = l.expires_at};
}

TEST(LeaseEventKind, NewAddressBinds) {
  EXPECT_EQ(lease_event_kind(LeaseChange::upsert(bound(1)), std::nullopt), EventKind::lease_bound);
}

TEST(LeaseEventKind, SameClientStillBoundRenews) {
  const Lease before = bound(1, 1000, 4600);
  const Lease after = bound(1, 2000, 5600);
  EXPECT_EQ(lease_event_kind(LeaseChange::upsert(after), prior_of(before)),
            EventKind::lease_renewed);
}

TEST(LeaseEventKind, AnotherClientOrAnExpiredLeaseBindsAgain) {
  const Lease before = bound(1, 1000, 4600);
  EXPECT_EQ(lease_event_kind(LeaseChange::upsert(bound(2, 2000, 5600)), prior_of(before)),
            EventKind::lease_bound);
  // Same client, but the old lease had run out at the time of the change.
  EXPECT_EQ(lease_event_kind(LeaseChange::upsert(bound(1, 5000, 8600)), prior_of(before)),
            EventKind::lease_bound);
  PriorLease released = prior_of(before);
  released.state = LeaseState::released;
  EXPECT_EQ(lease_event_kind(LeaseChange::upsert(bound(1, 2000, 5600)), released),
            EventKind::lease_bound);
  // Same MAC, another client id: another client.
  Lease other_id = bound(1, 2000, 5600);
  other_id.client_id = {0xff};
  EXPECT_EQ(lease_event_kind(LeaseChange::upsert(other_id), prior_of(before)),
            EventKind::lease_bound);
}

TEST(LeaseEventKind, ReleaseDeclineExpiryAndErase) {
  Lease l = bound(1);
  const PriorLease p = prior_of(l);
  l.state = LeaseState::released;
  EXPECT_EQ(lease_event_kind(LeaseChange::upsert(l), p), EventKind::lease_released);
  l.state = LeaseState::declined;
  EXPECT_EQ(lease_event_kind(LeaseChange::upsert(l), p), EventKind::lease_declined);
  l.state = LeaseState::expired;
  EXPECT_EQ(lease_event_kind(LeaseChange::upsert(l), p), EventKind::lease_expired);
  EXPECT_EQ(lease_event_kind(LeaseChange::erase(l), p), EventKind::lease_forgotten);
  EXPECT_EQ(lease_event_kind(LeaseChange::erase(l), std::nullopt), std::nullopt);
}

TEST(LeaseEvent, CarriesTheLeaseAndItsDetails) {
  const Event e = lease_event(EventKind::lease_bound, bound(7), 1234);
  EXPECT_EQ(e.cursor, 0);
  EXPECT_EQ(e.time_ms, 1234);
  EXPECT_EQ(e.bridge, "br0");
  EXPECT_EQ(e.ip, "10.0.3.5");
  EXPECT_EQ(e.mac, "02:00:00:00:00:07");
  EXPECT_EQ(e.hostname, "web");
  const auto d = nlohmann::json::parse(e.details);
  EXPECT_EQ(d["state"], "bound");
  EXPECT_EQ(d["expires_at"], 4600);
  EXPECT_EQ(d["client_id"], "01:02:00:00:00:00:07");
  EXPECT_FALSE(d.contains("iaid"));
}

// The details are what nlohmann::json would write for the same object.
TEST(LeaseEvent, DetailsAreCompactJsonWithSortedKeys) {
  Lease v4 = bound(7);
  Lease no_id = bound(8);
  no_id.client_id.clear();
  no_id.state = LeaseState::released;
  no_id.expires_at = -5;
  Lease v6 = bound(9);
  v6.ip = *IpAddress::parse("fd00::5");
  v6.iaid = 4294967295u;
  for (const Lease& l : {v4, no_id, v6}) {
    nlohmann::json want = {{"state", to_string(l.state)}, {"expires_at", l.expires_at}};
    if (!l.client_id.empty()) want["client_id"] = to_hex_colon(l.client_id);
    if (!l.ip.is_v4()) want["iaid"] = l.iaid;
    EXPECT_EQ(lease_event(EventKind::lease_bound, l, 1).details, want.dump());
  }
}

TEST(EventKindNames, RoundTrip) {
  for (const auto& [kind, name] : kEventKindNames.entries) {
    EXPECT_EQ(event_kind_from_string(name), kind);
    EXPECT_EQ(to_string(kind), name);
  }
  EXPECT_EQ(event_kind_from_string("lease_exploded"), std::nullopt);
}

}  // namespace
}  // namespace berth::leases
