#include "leases/lease_table.hpp"

#include <gtest/gtest.h>

#include <set>

namespace berth::leases {
namespace {

Ipv4Address ip(const char* s) { return *Ipv4Address::parse(s); }
MacAddress mac(uint8_t last) { return MacAddress({0x02, 0, 0, 0, 0, last}); }
ClientKey client(uint8_t last) { return ClientKey{.mac = mac(last), .client_id = {}}; }

Lease bound(const char* addr, uint8_t m, int64_t expires) {
  return Lease{.bridge = "br0",
               .ip = ip(addr),
               .mac = mac(m),
               .client_id = {},
               .hostname = {},
               .state = LeaseState::bound,
               .expires_at = expires,
               .updated_at = 0};
}

TEST(AddressBitmap, FindsLowestClearAndWraps) {
  AddressBitmap b(ip("198.18.0.10"), ip("198.18.0.200"));
  EXPECT_EQ(b.size(), 191u);
  EXPECT_EQ(b.find_clear(b.first()), ip("198.18.0.10"));
  b.set(ip("198.18.0.10"), true);
  b.set(ip("198.18.0.11"), true);
  EXPECT_EQ(b.find_clear(b.first()), ip("198.18.0.12"));
  EXPECT_EQ(b.count_set(), 2u);
  // From a later start the search wraps around to the beginning.
  for (uint32_t v = ip("198.18.0.12").value(); v <= ip("198.18.0.200").value(); ++v) {
    b.set(Ipv4Address(v), true);
  }
  b.set(ip("198.18.0.11"), false);
  EXPECT_EQ(b.find_clear(ip("198.18.0.150")), ip("198.18.0.11"));
  b.set(ip("198.18.0.11"), true);
  EXPECT_FALSE(b.find_clear(b.first()).has_value());
  EXPECT_FALSE(b.test(ip("198.18.1.1")));  // outside: never set
}

TEST(AddressBitmap, SlashSixteenPoolFindsTheOnlyFreeAddress) {
  AddressBitmap b(ip("198.18.0.1"), ip("198.18.255.254"));
  ASSERT_EQ(b.size(), 65534u);
  for (uint32_t v = b.first().value(); v <= b.last().value(); ++v) b.set(Ipv4Address(v), true);
  b.set(ip("198.18.200.7"), false);
  EXPECT_EQ(b.find_clear(b.first()), ip("198.18.200.7"));
}

TEST(AddressBitmap, FreeingALowAddressAfterASearchIsFoundAgain) {
  AddressBitmap b(ip("198.18.0.0"), ip("198.18.3.255"));
  for (uint32_t v = b.first().value(); v <= b.last().value(); ++v) b.set(Ipv4Address(v), true);
  b.set(ip("198.18.2.200"), false);
  EXPECT_EQ(b.find_clear(b.first()), ip("198.18.2.200"));  // moves the search hint up
  b.set(ip("198.18.2.200"), true);
  EXPECT_FALSE(b.find_clear(b.first()).has_value());
  b.set(ip("198.18.0.3"), false);  // below the hint
  EXPECT_EQ(b.find_clear(b.first()), ip("198.18.0.3"));
  EXPECT_EQ(b.find_clear(ip("198.18.1.0")), ip("198.18.0.3"));  // found by wrapping
}

TEST(LeaseTable, ReturningClientGetsItsPreviousAddress) {
  LeaseTable t("br0", ip("198.18.0.10"), ip("198.18.0.20"));
  Lease l = bound("198.18.0.17", 1, 100);
  l.state = LeaseState::released;
  t.put(l);
  EXPECT_EQ(t.allocate(client(1), std::nullopt, 200), ip("198.18.0.17"));
}

TEST(LeaseTable, ClientIdentifierWinsOverMac) {
  LeaseTable t("br0", ip("198.18.0.10"), ip("198.18.0.20"));
  Lease l = bound("198.18.0.15", 1, 1000);
  l.client_id = {1, 2, 3};
  t.put(l);
  // Same client id, different MAC (a VM whose NIC changed): same lease.
  ClientKey moved{.mac = mac(9), .client_id = {1, 2, 3}};
  ASSERT_TRUE(t.find(moved).has_value());
  EXPECT_EQ(t.find(moved)->ip, ip("198.18.0.15"));
  // Same MAC, another client id (a cloned VM): not the same client.
  ClientKey clone{.mac = mac(1), .client_id = {7}};
  EXPECT_FALSE(t.find(clone).has_value());
  EXPECT_TRUE(t.held_by_other(ip("198.18.0.15"), clone, 10));
}

TEST(LeaseTable, BoundAddressIsNeverGivenToAnother) {
  LeaseTable t("br0", ip("198.18.0.10"), ip("198.18.0.11"));
  t.put(bound("198.18.0.10", 1, 1000));
  t.put(bound("198.18.0.11", 2, 1000));
  EXPECT_FALSE(t.allocate(client(3), ip("198.18.0.10"), 10).has_value());
  // After expiry the longest-expired address is reclaimed.
  EXPECT_TRUE(t.allocate(client(3), std::nullopt, 2000).has_value());
}

TEST(LeaseTable, RequestedAddressHonouredWhenUnused) {
  LeaseTable t("br0", ip("198.18.0.10"), ip("198.18.0.50"));
  EXPECT_EQ(t.allocate(client(1), ip("198.18.0.42"), 0), ip("198.18.0.42"));
  EXPECT_NE(t.allocate(client(1), ip("198.18.1.42"), 0), ip("198.18.1.42"));  // not in pool
}

// RFC 2131 §4.3.1: the requested address SHOULD be given when it is not
// allocated. A released or expired lease of another client is not: a
// container re-created with a new MAC asks for its old address (issue 11).
TEST(LeaseTable, RequestedAddressReleasedByAnotherClientIsGiven) {
  LeaseTable t("br0", ip("198.18.0.10"), ip("198.18.0.50"));
  Lease a = bound("198.18.0.42", 1, 100);
  a.state = LeaseState::released;
  t.put(a);
  EXPECT_EQ(t.allocate(client(2), ip("198.18.0.42"), 200), ip("198.18.0.42"));
}

TEST(LeaseTable, RequestedAddressExpiredForAnotherClientIsGiven) {
  LeaseTable t("br0", ip("198.18.0.10"), ip("198.18.0.50"));
  t.put(bound("198.18.0.42", 1, 100));
  // Still bound at 99: held. Expired at 100 (state_at), with or without the
  // expiry tick having seen it.
  EXPECT_NE(t.allocate(client(2), ip("198.18.0.42"), 99), ip("198.18.0.42"));
  EXPECT_EQ(t.allocate(client(2), ip("198.18.0.42"), 100), ip("198.18.0.42"));
  Lease expired = bound("198.18.0.42", 1, 100);
  expired.state = LeaseState::expired;
  t.put(expired);
  EXPECT_EQ(t.allocate(client(2), ip("198.18.0.42"), 200), ip("198.18.0.42"));
}

TEST(LeaseTable, RequestedAddressBoundToAnotherIsNotGiven) {
  LeaseTable t("br0", ip("198.18.0.10"), ip("198.18.0.50"));
  t.put(bound("198.18.0.42", 1, 1000));
  auto got = t.allocate(client(2), ip("198.18.0.42"), 200);
  ASSERT_TRUE(got.has_value());
  EXPECT_NE(*got, ip("198.18.0.42"));
  EXPECT_TRUE(t.pool().contains(*got));
}

TEST(LeaseTable, RequestedAddressOfferedToAnotherIsNotGiven) {
  LeaseTable t("br0", ip("198.18.0.10"), ip("198.18.0.50"));
  t.put_offer(ip("198.18.0.42"), client(1), 230);
  EXPECT_NE(t.allocate(client(2), ip("198.18.0.42"), 200), ip("198.18.0.42"));
  // The offer ran out (not yet swept by expire_offers): free again.
  EXPECT_EQ(t.allocate(client(2), ip("198.18.0.42"), 230), ip("198.18.0.42"));
}

TEST(LeaseTable, RequestedAddressInQuarantineIsNotGiven) {
  LeaseTable t("br0", ip("198.18.0.10"), ip("198.18.0.50"));
  Lease q = bound("198.18.0.42", 1, 800);
  q.state = LeaseState::declined;
  t.put(q);
  EXPECT_NE(t.allocate(client(2), ip("198.18.0.42"), 200), ip("198.18.0.42"));
  EXPECT_NE(t.allocate(client(1), ip("198.18.0.42"), 200),
            ip("198.18.0.42"));  // nor to the decliner
  EXPECT_EQ(t.allocate(client(2), ip("198.18.0.42"), 800), ip("198.18.0.42"));  // quarantine over
}

TEST(LeaseTable, RequestedAddressReservedForAnotherIsNotGiven) {
  LeaseTable t("br0", ip("198.18.0.10"), ip("198.18.0.50"));
  Reservation r;
  r.bridge = "br0";
  r.match = MatchKind::mac;
  r.mac = mac(1);
  r.ip = ip("198.18.0.42");
  t.set_reservations({r});
  // Even with a released lease of its own there (from before the reservation).
  Lease mine = bound("198.18.0.42", 2, 100);
  mine.state = LeaseState::released;
  t.put(mine);
  EXPECT_NE(t.allocate(client(2), ip("198.18.0.42"), 200), ip("198.18.0.42"));
  EXPECT_NE(t.allocate(client(3), ip("198.18.0.42"), 200), ip("198.18.0.42"));
  EXPECT_EQ(t.allocate(client(1), ip("198.18.0.43"), 200), ip("198.18.0.42"));  // its reservation
}

TEST(LeaseTable, RequestedAddressOutsideThePoolIsNotGiven) {
  LeaseTable t("br0", ip("198.18.0.10"), ip("198.18.0.50"));
  Lease old = bound("198.18.0.5", 1, 100);  // from a wider pool of before
  old.state = LeaseState::released;
  t.put(old);
  for (const char* outside : {"198.18.0.5", "198.18.0.9", "198.18.0.51", "198.19.0.42"}) {
    auto got = t.allocate(client(2), ip(outside), 200);
    ASSERT_TRUE(got.has_value());
    EXPECT_TRUE(t.pool().contains(*got)) << outside << " -> " << got->to_string();
  }
}

TEST(LeaseTable, ClientAskingForNothingKeepsItsReleasedAddress) {
  // Affinity: the pool's other clients, asking for nothing, do not take a
  // released address while never-used ones remain, and its client gets it back.
  LeaseTable t("br0", ip("198.18.0.10"), ip("198.18.0.13"));
  Lease a = bound("198.18.0.11", 1, 100);
  a.state = LeaseState::released;
  t.put(a);
  std::set<Ipv4Address> given;
  for (uint8_t c = 2; c <= 4; ++c) {
    auto got = t.allocate(client(c), std::nullopt, 200);
    ASSERT_TRUE(got.has_value());
    EXPECT_NE(*got, ip("198.18.0.11"));
    given.insert(*got);
    t.put_offer(*got, client(c), 230);
  }
  EXPECT_EQ(given.size(), 3u);
  EXPECT_EQ(t.allocate(client(1), std::nullopt, 200), ip("198.18.0.11"));
  // Asking for another free address still gets the previous one (RFC 2131
  // §4.3.1: the previous address comes before the requested one).
  Lease e = bound("198.18.0.11", 1, 100);
  t.put(e);
  t.drop_offer(ip("198.18.0.10"));
  EXPECT_EQ(t.allocate(client(1), ip("198.18.0.10"), 200), ip("198.18.0.11"));
}

// RFC 2131 §4.3.3: a declined address is quarantined. The record names the
// client that declined, but it is not that client's lease: the client's next
// lease must not replace it as its "previous" one.
TEST(LeaseTable, DeclinedRecordIsNotTheClientsLease) {
  LeaseTable t("br0", ip("198.18.0.10"), ip("198.18.0.20"));
  t.put(bound("198.18.0.12", 1, 1000));
  ASSERT_TRUE(t.find(client(1)).has_value());
  Lease q = bound("198.18.0.12", 1, 800);
  q.state = LeaseState::declined;
  t.put(q);  // the client declined the address it was given
  EXPECT_FALSE(t.find(client(1)).has_value());
  EXPECT_TRUE(t.held_by_other(ip("198.18.0.12"), client(1), 100));
  // An older record of the client stays its previous lease.
  Lease old = bound("198.18.0.15", 1, 50);
  old.state = LeaseState::released;
  t.put(old);
  ASSERT_TRUE(t.find(client(1)).has_value());
  EXPECT_EQ(t.find(client(1))->ip, ip("198.18.0.15"));
  // Undoing the decline (a failed commit puts the bound lease back) indexes it again.
  t.erase(ip("198.18.0.15"));
  t.put(bound("198.18.0.12", 1, 1000));
  ASSERT_TRUE(t.find(client(1)).has_value());
  EXPECT_EQ(t.find(client(1))->ip, ip("198.18.0.12"));
}

TEST(LeaseTable, MacHashIsStableAcrossTables) {
  LeaseTable a("br0", ip("198.18.0.10"), ip("198.18.0.250"));
  LeaseTable b("br0", ip("198.18.0.10"), ip("198.18.0.250"));
  auto first = a.allocate(client(33), std::nullopt, 0);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(b.allocate(client(33), std::nullopt, 0), first);
}

TEST(LeaseTable, OffersHoldAddressesUntilTheyExpire) {
  LeaseTable t("br0", ip("198.18.0.10"), ip("198.18.0.10"));
  t.put_offer(ip("198.18.0.10"), client(1), 30);
  EXPECT_EQ(t.offered_to(client(1), 10), ip("198.18.0.10"));
  EXPECT_TRUE(t.held_by_other(ip("198.18.0.10"), client(2), 10));
  EXPECT_FALSE(t.allocate(client(2), std::nullopt, 10).has_value());
  EXPECT_EQ(t.expire_offers(31), 1u);
  EXPECT_EQ(t.allocate(client(2), std::nullopt, 31), ip("198.18.0.10"));
  EXPECT_EQ(t.counts(31).offered, 0u);
}

TEST(LeaseTable, ClonesSharingAClientIdShareTheirOffer) {
  // Offers are found by id(): the client identifier when there is one.
  LeaseTable t("br0", ip("198.18.0.10"), ip("198.18.0.20"));
  ClientKey a{.mac = mac(1), .client_id = {1, 0xaa}};
  ClientKey clone{.mac = mac(2), .client_id = {1, 0xaa}};
  ClientKey other{.mac = mac(1), .client_id = {1, 0xbb}};
  t.put_offer(ip("198.18.0.12"), a, 30);
  EXPECT_EQ(t.offered_to(clone, 10), ip("198.18.0.12"));
  EXPECT_FALSE(t.held_by_other(ip("198.18.0.12"), clone, 10));
  EXPECT_EQ(t.allocate(clone, std::nullopt, 10), ip("198.18.0.12"));
  EXPECT_TRUE(t.held_by_other(ip("198.18.0.12"), other, 10));  // same MAC, another id
}

TEST(LeaseTable, DeclinedAddressIsQuarantinedForEveryone) {
  LeaseTable t("br0", ip("198.18.0.10"), ip("198.18.0.11"));
  Lease q = bound("198.18.0.10", 1, 600);
  q.state = LeaseState::declined;
  t.put(q);
  EXPECT_TRUE(t.held_by_other(ip("198.18.0.10"), client(1), 100));
  EXPECT_EQ(t.allocate(client(1), std::nullopt, 100), ip("198.18.0.11"));
  EXPECT_FALSE(t.held_by_other(ip("198.18.0.10"), client(1), 601));
}

TEST(LeaseTable, EraseAndPutKeepIndexesConsistent) {
  LeaseTable t("br0", ip("198.18.0.10"), ip("198.18.0.20"));
  t.put(bound("198.18.0.12", 1, 100));
  ASSERT_TRUE(t.find(client(1)).has_value());
  t.put(bound("198.18.0.12", 2, 100));  // another client replaces the record
  EXPECT_FALSE(t.find(client(1)).has_value());
  ASSERT_TRUE(t.find(client(2)).has_value());
  EXPECT_TRUE(t.erase(ip("198.18.0.12")).has_value());
  EXPECT_FALSE(t.find(client(2)).has_value());
  EXPECT_FALSE(t.pool().test(ip("198.18.0.12")));
}

TEST(LeaseTable, FullPoolOfDistinctClientsGetsDistinctAddresses) {
  LeaseTable t("br0", ip("198.18.0.10"), ip("198.18.0.29"));
  std::set<Ipv4Address> seen;
  for (uint8_t c = 1; c <= 20; ++c) {
    auto a = t.allocate(client(c), std::nullopt, 0);
    ASSERT_TRUE(a.has_value()) << int(c);
    EXPECT_TRUE(seen.insert(*a).second) << a->to_string();
    t.put_offer(*a, client(c), 30);
  }
  EXPECT_FALSE(t.allocate(client(21), std::nullopt, 0).has_value());
}

}  // namespace
}  // namespace berth::leases

namespace berth::leases {
namespace {

Reservation reserve_mac(const char* addr, uint8_t m) {
  Reservation r;
  r.bridge = "br0";
  r.match = MatchKind::mac;
  r.mac = MacAddress({0x02, 0, 0, 0, 0, m});
  r.ip = *Ipv4Address::parse(addr);
  return r;
}

TEST(LeaseTableReservations, ReservedAddressLeavesThePoolAndGoesToItsClient) {
  LeaseTable t("br0", *Ipv4Address::parse("198.18.0.10"), *Ipv4Address::parse("198.18.0.11"));
  t.set_reservations({reserve_mac("198.18.0.10", 1)});
  ClientKey owner{.mac = MacAddress({0x02, 0, 0, 0, 0, 1}), .client_id = {}, .hostname = {}};
  ClientKey other{.mac = MacAddress({0x02, 0, 0, 0, 0, 2}), .client_id = {}, .hostname = {}};
  EXPECT_EQ(t.allocate(owner, std::nullopt, 0), Ipv4Address::parse("198.18.0.10"));
  EXPECT_EQ(t.allocate(other, Ipv4Address::parse("198.18.0.10"), 0),
            Ipv4Address::parse("198.18.0.11"));
  EXPECT_TRUE(t.held_by_other(*Ipv4Address::parse("198.18.0.10"), other, 0));
  EXPECT_FALSE(t.held_by_other(*Ipv4Address::parse("198.18.0.10"), owner, 0));
  // Removing the reservation gives the address back to the pool.
  t.set_reservations({});
  EXPECT_FALSE(t.pool().test(*Ipv4Address::parse("198.18.0.10")));
}

TEST(LeaseTableReservations, RemovedReservationWithdrawsItsOfferOutsideThePool) {
  LeaseTable t("br0", *Ipv4Address::parse("198.18.0.10"), *Ipv4Address::parse("198.18.0.20"));
  ClientKey one{.mac = MacAddress({0x02, 0, 0, 0, 0, 1}), .client_id = {}, .hostname = {}};
  ClientKey two{.mac = MacAddress({0x02, 0, 0, 0, 0, 2}), .client_id = {}, .hostname = {}};
  const Ipv4Address outside = *Ipv4Address::parse("198.18.0.2");
  const Ipv4Address inside = *Ipv4Address::parse("198.18.0.15");
  t.set_reservations({reserve_mac("198.18.0.2", 1), reserve_mac("198.18.0.15", 2)});
  t.put_offer(outside, one, 30);
  t.put_offer(inside, two, 30);
  // Both reservations go: the offer outside the pool would be ACKed from
  // the offer alone, so it is withdrawn; the one inside stays good.
  t.set_reservations({});
  EXPECT_EQ(t.offer_at(outside, 10), nullptr);
  EXPECT_EQ(t.offered_to(one, 10), std::nullopt);
  EXPECT_EQ(t.offered_to(two, 10), inside);
}

TEST(LeaseTableReservations, NewReservationWithdrawsOffersItContradicts) {
  LeaseTable t("br0", *Ipv4Address::parse("198.18.0.10"), *Ipv4Address::parse("198.18.0.20"));
  ClientKey one{.mac = MacAddress({0x02, 0, 0, 0, 0, 1}), .client_id = {}, .hostname = {}};
  ClientKey two{.mac = MacAddress({0x02, 0, 0, 0, 0, 2}), .client_id = {}, .hostname = {}};
  ClientKey three{.mac = MacAddress({0x02, 0, 0, 0, 0, 3}), .client_id = {}, .hostname = {}};
  const Ipv4Address a = *Ipv4Address::parse("198.18.0.12");
  const Ipv4Address b = *Ipv4Address::parse("198.18.0.13");
  const Ipv4Address c = *Ipv4Address::parse("198.18.0.14");
  t.put_offer(a, one, 30);
  t.put_offer(b, two, 30);
  t.put_offer(c, three, 30);
  // a is now reserved for client 2, and client 2 is reserved elsewhere.
  t.add_reservation(reserve_mac("198.18.0.12", 2));
  EXPECT_EQ(t.offer_at(a, 10), nullptr);
  EXPECT_EQ(t.offer_at(b, 10), nullptr);
  EXPECT_EQ(t.offered_to(three, 10), c);  // untouched
  EXPECT_FALSE(t.pool().test(b));
  // A client whose reserved address another client still holds keeps its
  // offer of another address.
  t.put(Lease{.bridge = "br0",
              .ip = *Ipv4Address::parse("198.18.0.16"),
              .mac = MacAddress({0x02, 0, 0, 0, 0, 9}),
              .client_id = {},
              .hostname = {},
              .state = LeaseState::bound,
              .expires_at = 1000,
              .updated_at = 0});
  t.set_reservations({reserve_mac("198.18.0.12", 2), reserve_mac("198.18.0.16", 3)});
  EXPECT_EQ(t.offered_to(three, 10), c);
  t.erase(*Ipv4Address::parse("198.18.0.16"));
  t.set_reservations({reserve_mac("198.18.0.16", 3)});
  EXPECT_EQ(t.offered_to(three, 10), std::nullopt);
}

TEST(LeaseTableReservations, OfferOfAHostnameReservationNeedsTheHostname) {
  LeaseTable t("br0", *Ipv4Address::parse("198.18.0.10"), *Ipv4Address::parse("198.18.0.20"));
  Reservation web;
  web.match = MatchKind::hostname;
  web.hostname_match = "web";
  web.ip = *Ipv4Address::parse("198.18.0.5");
  t.set_reservations({web});
  ClientKey named{.mac = MacAddress({0x02, 0, 0, 0, 0, 1}), .client_id = {}, .hostname = "WEB"};
  auto got = t.allocate(named, std::nullopt, 0);
  ASSERT_EQ(got, web.ip);
  t.put_offer(*got, named, 30);
  // The same MAC without the hostname is not the reservation's client: the
  // offer made to it as "web" is not renewed, a pool address is given.
  ClientKey unnamed = named;
  unnamed.hostname.clear();
  auto again = t.allocate(unnamed, std::nullopt, 10);
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(t.pool().contains(*again)) << again->to_string();
  EXPECT_EQ(t.allocate(named, std::nullopt, 10), web.ip);
}

TEST(LeaseTableReservations, ReservationOutsideThePoolIsHonoured) {
  LeaseTable t("br0", *Ipv4Address::parse("198.18.0.10"), *Ipv4Address::parse("198.18.0.20"));
  t.set_reservations({reserve_mac("198.18.0.5", 1)});
  ClientKey owner{.mac = MacAddress({0x02, 0, 0, 0, 0, 1}), .client_id = {}, .hostname = {}};
  EXPECT_EQ(t.allocate(owner, std::nullopt, 0), Ipv4Address::parse("198.18.0.5"));
}

TEST(LeaseTableReservations, MatchesByClientIdThenMacThenHostname) {
  LeaseTable t("br0", *Ipv4Address::parse("198.18.0.10"), *Ipv4Address::parse("198.18.0.20"));
  Reservation by_id;
  by_id.match = MatchKind::client_id;
  by_id.client_id = {9, 9};
  by_id.ip = *Ipv4Address::parse("198.18.0.30");
  Reservation by_host;
  by_host.match = MatchKind::hostname;
  by_host.hostname_match = "Web";
  by_host.ip = *Ipv4Address::parse("198.18.0.31");
  t.set_reservations({by_id, reserve_mac("198.18.0.32", 1), by_host});
  ClientKey c{.mac = MacAddress({0x02, 0, 0, 0, 0, 1}), .client_id = {9, 9}, .hostname = "web"};
  EXPECT_EQ(t.reservation_for(c)->ip.to_string(), "198.18.0.30");
  c.client_id = {};
  EXPECT_EQ(t.reservation_for(c)->ip.to_string(), "198.18.0.32");
  c.mac = MacAddress({0x02, 0, 0, 0, 0, 7});
  EXPECT_EQ(t.reservation_for(c)->ip.to_string(), "198.18.0.31");  // case-insensitive
  c.hostname = "db";
  EXPECT_FALSE(t.reservation_for(c).has_value());
}

TEST(LeaseTableReservations, ExpiryComesFromTheIndex) {
  LeaseTable t("br0", *Ipv4Address::parse("198.18.0.10"), *Ipv4Address::parse("198.18.0.20"));
  Lease a{.bridge = "br0",
          .ip = *Ipv4Address::parse("198.18.0.10"),
          .mac = MacAddress({2, 0, 0, 0, 0, 1}),
          .client_id = {},
          .hostname = "a",
          .state = LeaseState::bound,
          .expires_at = 100,
          .updated_at = 0};
  Lease b = a;
  b.ip = *Ipv4Address::parse("198.18.0.11");
  b.mac = MacAddress({2, 0, 0, 0, 0, 2});
  b.expires_at = 200;
  t.put(a);
  t.put(b);
  EXPECT_TRUE(t.expire_leases(99).empty());
  auto e = t.expire_leases(150);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].hostname, "a");
  EXPECT_TRUE(t.expire_leases(150).empty());  // reported once
  // A renewal moves the expiry; the old deadline no longer fires.
  b.expires_at = 400;
  t.put(b);
  EXPECT_TRUE(t.expire_leases(300).empty());
  EXPECT_EQ(t.expire_leases(400).size(), 1u);
}

}  // namespace
// The expiry heaps leave stale entries behind on each renewal and are made
// again when those outnumber the live: thousands of renewals of one lease
// still report it once, at its last deadline.
TEST(LeaseTableReservations, ManyRenewalsReportTheLeaseOnceAtItsLastExpiry) {
  LeaseTable t("br0", ip("198.18.0.10"), ip("198.18.0.20"));
  Lease l = bound("198.18.0.10", 1, 100);
  for (int64_t i = 0; i < 5000; ++i) {
    l.expires_at = 100 + i;
    t.put(l);
  }
  EXPECT_TRUE(t.expire_leases(5098).empty());
  auto e = t.expire_leases(10'000);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].expires_at, 5099);
  EXPECT_TRUE(t.expire_leases(10'000).empty());
  // Released, then bound again with the same deadline: reported once more.
  l.state = LeaseState::released;
  t.put(l);
  l.state = LeaseState::bound;
  t.put(l);
  t.put(l);
  EXPECT_EQ(t.expire_leases(10'000).size(), 1u);
  // Erased: never reported.
  l.expires_at = 20'000;
  t.put(l);
  t.erase(l.ip.v4());
  EXPECT_TRUE(t.expire_leases(30'000).empty());
}

// A full pool reclaims the longest-expired address nobody holds, walking the
// heap in order past stale entries and held addresses.
TEST(LeaseTableReservations, FullPoolReclaimsTheLongestExpiredInOrder) {
  LeaseTable t("br0", ip("198.18.0.10"), ip("198.18.0.13"));
  t.put(bound("198.18.0.10", 1, 500));  // bound past `now`
  t.put(bound("198.18.0.11", 2, 50));   // expired at 50, renewed below
  t.put(bound("198.18.0.12", 3, 40));
  t.put(bound("198.18.0.13", 4, 30));
  t.put(bound("198.18.0.11", 2, 20));  // now the oldest; its entry at 50 is stale
  EXPECT_EQ(t.allocate(client(9), std::nullopt, 100), ip("198.18.0.11"));
  t.put_offer(ip("198.18.0.11"), client(8), 1000);  // held: the next oldest
  EXPECT_EQ(t.allocate(client(9), std::nullopt, 100), ip("198.18.0.13"));
  EXPECT_EQ(t.allocate(client(9), std::nullopt, 35), ip("198.18.0.13"));
  EXPECT_EQ(t.allocate(client(9), std::nullopt, 25), std::nullopt);  // 0.13 expires at 30
}

// What the table keeps compactly comes back exactly: long names and client
// identifiers (past the inline bytes), another bridge's name and an iaid,
// and a reservation's rare parts.
TEST(LeaseTableReservations, LeasesAndReservationsComeBackAsPut) {
  LeaseTable t("br0", ip("198.18.0.10"), ip("198.18.0.20"));
  Lease l = bound("198.18.0.12", 1, 100);
  l.hostname = "a-host-name-longer-than-fifteen";
  l.client_id = Bytes(40, 0x42);
  l.updated_at = 77;
  t.put(l);
  EXPECT_EQ(t.at(ip("198.18.0.12")), l);
  Lease odd = bound("198.18.0.13", 2, 100);
  odd.bridge = "other";
  odd.iaid = 9;
  t.put(odd);
  EXPECT_EQ(t.at(ip("198.18.0.13")), odd);
  odd.bridge = "br0";  // back to the table's: the side record goes
  odd.iaid = 0;
  EXPECT_EQ(t.put(odd)->bridge, "other");
  EXPECT_EQ(t.at(ip("198.18.0.13")), odd);
  EXPECT_EQ(t.lease_count(), 2u);

  Reservation plain{
      .id = 1, .bridge = "br0", .mac = mac(5), .ip = ip("198.18.0.30"), .name = "web"};
  Reservation rich{.id = -2,
                   .bridge = "br0",
                   .match = MatchKind::client_id,
                   .client_id = {1, 2, 3},
                   .ip = ip("198.18.0.31"),
                   .ipv6 = Ipv6Address::parse("fd00::31"),
                   .duid = {0, 1, 2},
                   .name = "a-reserved-name-longer-than-fifteen",
                   .from_config = true,
                   .options = {dhcp4::ConfiguredOption{.code = 42, .value = {1}}}};
  t.set_reservations({plain, rich});
  EXPECT_EQ(t.reservations(), (std::vector<Reservation>{plain, rich}));
  EXPECT_EQ(t.reservation_at(ip("198.18.0.31")), rich);
  EXPECT_EQ(t.reservation_count(), 2u);
  // Read in place by the packet path: the address and the options.
  const ClientKey rich_client{.mac = mac(9), .client_id = {1, 2, 3}};
  const ClientKey plain_client{.mac = mac(5), .client_id = {}};
  const ClientKey stranger{.mac = mac(6), .client_id = {}};
  EXPECT_EQ(t.reserved_address_for(rich_client), ip("198.18.0.31"));
  EXPECT_EQ(t.reserved_address_for(plain_client), ip("198.18.0.30"));
  EXPECT_EQ(t.reserved_address_for(stranger), std::nullopt);
  const auto rich_options = t.reserved_options_for(rich_client);
  ASSERT_EQ(rich_options.size(), 1u);
  EXPECT_EQ(rich_options[0], rich.options[0]);
  EXPECT_TRUE(t.reserved_options_for(plain_client).empty());
  EXPECT_TRUE(t.reserved_options_for(stranger).empty());
  EXPECT_TRUE(t.reserved(ip("198.18.0.30")));
  EXPECT_FALSE(t.reserved(ip("198.18.0.32")));
  std::vector<std::string> names;
  t.for_each_reservation_name([&](std::string_view name, Ipv4Address a,
                                  const std::optional<Ipv6Address>& v6) {
    names.push_back(std::string(name) + " " + a.to_string() + (v6 ? " " + v6->to_string() : ""));
  });
  EXPECT_EQ(names, (std::vector<std::string>{"web 198.18.0.30",
                                             "a-reserved-name-longer-than-fifteen 198.18.0.31 "
                                             "fd00::31"}));
}

}  // namespace berth::leases
