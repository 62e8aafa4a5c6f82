// LeaseTable6: bindings by (DUID, IAID) and address, offers, quarantine,
// reservations and the per-binding allocator.
#include "leases/lease_table6.hpp"

#include <gtest/gtest.h>

#include <set>

namespace berth::leases {
namespace {

Ipv6Address ip6(const char* s) { return *Ipv6Address::parse(s); }

Bytes duid(uint8_t n) { return Bytes{0, 3, 0, 1, 2, 0, 0, 0, 0, n}; }
Client6 client(uint8_t n, uint32_t iaid = 1) { return Client6{.key = {duid(n), iaid}, .mac = {}}; }

Lease binding(uint8_t n, const char* ip, LeaseState state, int64_t expires_at, uint32_t iaid = 1) {
  return Lease{.bridge = "br0",
               .ip = ip6(ip),
               .client_id = duid(n),
               .state = state,
               .expires_at = expires_at,
               .iaid = iaid};
}

class LeaseTable6Test : public ::testing::Test {
 protected:
  LeaseTable6 table{"br0", ip6("fd00::100"), ip6("fd00::1ff")};
  int64_t now = 1000;
};

TEST_F(LeaseTable6Test, AllocationIsInThePoolAndTheSameForTheSameBinding) {
  auto a = table.allocate(client(1), now);
  ASSERT_TRUE(a);
  EXPECT_TRUE(table.in_pool(*a));
  LeaseTable6 other("br0", ip6("fd00::100"), ip6("fd00::1ff"));
  EXPECT_EQ(other.allocate(client(1), now), a);
  // Another IAID of the same DUID starts elsewhere.
  EXPECT_NE(table.allocate(client(1, 2), now), a);
}

TEST_F(LeaseTable6Test, PutFindAndErase) {
  EXPECT_FALSE(table.put(binding(1, "fd00::150", LeaseState::bound, now + 10)));
  const Lease* l = table.find({duid(1), 1});
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->ip, IpAddress(ip6("fd00::150")));
  EXPECT_EQ(table.find({duid(1), 2}), nullptr);
  EXPECT_EQ(table.allocate(client(1), now), ip6("fd00::150"));  // its own address back
  // Replacing returns what was there.
  auto before = table.put(binding(2, "fd00::150", LeaseState::bound, now + 10));
  ASSERT_TRUE(before);
  EXPECT_EQ(before->client_id, duid(1));
  EXPECT_EQ(table.find({duid(1), 1}), nullptr);
  EXPECT_TRUE(table.erase(ip6("fd00::150")));
  EXPECT_EQ(table.at(ip6("fd00::150")), nullptr);
  EXPECT_EQ(table.find({duid(2), 1}), nullptr);
}

TEST_F(LeaseTable6Test, WhoHoldsAnAddress) {
  const Ipv6Address a = ip6("fd00::150");
  table.put(binding(1, "fd00::150", LeaseState::bound, now + 10));
  EXPECT_TRUE(table.held_by_other(a, client(2), now));
  EXPECT_FALSE(table.held_by_other(a, client(1), now));
  EXPECT_TRUE(table.held_by_other(a, client(1, 2), now));     // another IA of the client
  EXPECT_FALSE(table.held_by_other(a, client(2), now + 10));  // expired
  table.put(binding(1, "fd00::150", LeaseState::released, now));
  EXPECT_FALSE(table.held_by_other(a, client(2), now));
  // A quarantine holds against everyone, the client that declined too.
  table.put(binding(1, "fd00::150", LeaseState::declined, now + 60));
  EXPECT_TRUE(table.held_by_other(a, client(1), now));
  EXPECT_FALSE(table.held_by_other(a, client(1), now + 60));
  EXPECT_EQ(table.find({duid(1), 1}), nullptr);  // a quarantine is no one's binding
}

TEST_F(LeaseTable6Test, OffersHoldUntilTheyExpire) {
  const Ipv6Address a = ip6("fd00::150");
  table.put_offer(a, {duid(1), 1}, now + 30);
  EXPECT_EQ(table.offered_to({duid(1), 1}, now), a);
  EXPECT_TRUE(table.held_by_other(a, client(2), now));
  EXPECT_FALSE(table.held_by_other(a, client(1), now));
  EXPECT_EQ(table.allocate(client(1), now), a);
  EXPECT_FALSE(table.offered_to({duid(1), 1}, now + 30));
  EXPECT_EQ(table.counts(now).offered, 1u);
  EXPECT_EQ(table.expire_offers(now + 29), 0u);
  EXPECT_EQ(table.expire_offers(now + 30), 1u);
  EXPECT_EQ(table.counts(now).offered, 0u);
  // A new offer to the same binding replaces the old one.
  table.put_offer(a, {duid(1), 1}, now + 30);
  table.put_offer(ip6("fd00::151"), {duid(1), 1}, now + 30);
  EXPECT_FALSE(table.held_by_other(a, client(2), now));
  table.drop_offers_of({duid(1), 1});
  EXPECT_FALSE(table.offered_to({duid(1), 1}, now));
}

TEST(LeaseTable6, ASmallPoolFillsUpThenReclaimsTheLongestGone) {
  LeaseTable6 table("br0", ip6("fd00::10"), ip6("fd00::13"));
  std::set<Ipv6Address> given;
  for (uint8_t n = 1; n <= 4; ++n) {
    auto a = table.allocate(client(n), 0);
    ASSERT_TRUE(a) << int(n);
    EXPECT_TRUE(given.insert(*a).second);
    table.put(Lease{.bridge = "br0",
                    .ip = *a,
                    .client_id = duid(n),
                    .state = LeaseState::bound,
                    .expires_at = 100 + n,
                    .iaid = 1});
  }
  EXPECT_EQ(given.size(), 4u);
  EXPECT_FALSE(table.allocate(client(5), 50));
  // Once leases expire, a new client may take one; the owner keeps priority
  // for its own address.
  auto reclaimed = table.allocate(client(5), 200);
  ASSERT_TRUE(reclaimed);
  EXPECT_TRUE(given.contains(*reclaimed));
  EXPECT_EQ(table.allocate(client(1), 200), table.find({duid(1), 1})->ip.v6());
}

TEST(LeaseTable6, OneAddressPoolAndWholePrefixPools) {
  LeaseTable6 one("br0", ip6("fd00::10"), ip6("fd00::10"));
  EXPECT_EQ(one.allocate(client(1), 0), ip6("fd00::10"));
  one.put_offer(ip6("fd00::10"), {duid(1), 1}, 30);
  EXPECT_FALSE(one.allocate(client(2), 0));

  LeaseTable6 wide("br0", ip6("fd00::"), ip6("fd00::ffff:ffff:ffff:ffff"));
  auto a = wide.allocate(client(1), 0);
  ASSERT_TRUE(a);
  EXPECT_TRUE(wide.in_pool(*a));
  EXPECT_NE(wide.allocate(client(2), 0), a);
  // All of ::/0: the size does not fit in 128 bits, the probe still works.
  LeaseTable6 all("br0", Ipv6Address(), ip6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_TRUE(all.allocate(client(1), 0));
}

TEST_F(LeaseTable6Test, ReservationsLeaveTheDynamicPool) {
  const Ipv6Address first = *table.allocate(client(1), now);
  table.set_reservations({{.match = MatchKind::client_id, .duid = duid(9), .ip = first}});
  // Client 1's hashed spot is reserved for client 9 now.
  auto moved = table.allocate(client(1), now);
  ASSERT_TRUE(moved);
  EXPECT_NE(*moved, first);
  EXPECT_EQ(table.allocate(client(9), now), first);
  EXPECT_TRUE(table.held_by_other(first, client(1), now));
  ASSERT_NE(table.reservation_for(client(9)), nullptr);
  EXPECT_EQ(table.reservation_at(first)->duid, duid(9));
}

TEST_F(LeaseTable6Test, ReservationByMacNeedsTheMac) {
  const auto mac = *MacAddress::parse("02:00:00:00:00:07");
  table.set_reservations({{.match = MatchKind::mac, .mac = mac, .ip = ip6("fd00::7")},
                          {.match = MatchKind::hostname, .ip = ip6("fd00::8")}});
  Client6 with_mac = client(7);
  with_mac.mac = mac;
  EXPECT_EQ(table.allocate(with_mac, now), ip6("fd00::7"));
  EXPECT_NE(table.allocate(client(7), now), ip6("fd00::7"));
  EXPECT_EQ(table.reservation_for(client(8)), nullptr);  // hostname never matches
}

TEST_F(LeaseTable6Test, AReservationWithdrawsAnOfferOfItsAddress) {
  const Ipv6Address a = *table.allocate(client(1), now);
  table.put_offer(a, {duid(1), 1}, now + 30);
  table.set_reservations({{.match = MatchKind::client_id, .duid = duid(2), .ip = a}});
  EXPECT_FALSE(table.offered_to({duid(1), 1}, now));
}

TEST_F(LeaseTable6Test, ExpiryIsReportedOnce) {
  table.put(binding(1, "fd00::150", LeaseState::bound, now + 10));
  table.put(binding(2, "fd00::151", LeaseState::released, now));
  EXPECT_TRUE(table.expire_leases(now + 9).empty());
  auto expired = table.expire_leases(now + 10);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].client_id, duid(1));
  EXPECT_TRUE(table.expire_leases(now + 100).empty());
  auto c = table.counts(now + 10);
  EXPECT_EQ(c.expired, 1u);
  EXPECT_EQ(c.released, 1u);
  EXPECT_EQ(table.leases().size(), 2u);
  // Renewed: reported again when the new time runs out.
  table.put(binding(1, "fd00::150", LeaseState::bound, now + 50));
  EXPECT_EQ(table.expire_leases(now + 50).size(), 1u);
}

}  // namespace
}  // namespace berth::leases
