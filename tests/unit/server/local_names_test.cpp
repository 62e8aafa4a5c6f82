#include "server/local_names.hpp"

#include <gtest/gtest.h>

#include "server/dns_server.hpp"

namespace berth::server {
namespace {

Ipv4Address ip(const char* s) { return *Ipv4Address::parse(s); }
Ipv6Address ip6(const char* s) { return *Ipv6Address::parse(s); }

constexpr int64_t kNow = 1'800'000'000;

leases::Lease lease(const char* address, const char* hostname, uint8_t mac_tail,
                    leases::LeaseState state = leases::LeaseState::bound) {
  return leases::Lease{.bridge = "br0",
                       .ip = ip(address),
                       .mac = MacAddress({2, 0, 0, 0, 0, mac_tail}),
                       .client_id = {},
                       .hostname = hostname,
                       .state = state,
                       .expires_at = kNow + 600,
                       .updated_at = kNow};
}

// A DHCPv6 binding (IA_NA): the client's DUID in client_id.
leases::Lease lease6(const char* address, const char* hostname, uint8_t duid_tail,
                     leases::LeaseState state = leases::LeaseState::bound) {
  return leases::Lease{.bridge = "br0",
                       .ip = ip6(address),
                       .mac = {},
                       .client_id = {0, 4, 1, 2, 3, duid_tail},
                       .hostname = hostname,
                       .state = state,
                       .expires_at = kNow + 600,
                       .updated_at = kNow,
                       .iaid = 1};
}

leases::Reservation reservation(const char* address, const char* name) {
  leases::Reservation r;
  r.bridge = "br0";
  r.ip = ip(address);
  r.mac = MacAddress({2, 0, 0, 0, 1, static_cast<uint8_t>(r.ip.value() & 0xff)});
  r.name = name;
  return r;
}

// The bridge's reservations as the daemon gives them: through its DHCP table.
void set_reservations(LocalNames& names, size_t index,
                      std::vector<leases::Reservation> reservations) {
  leases::LeaseTable table("br0", ip("198.18.0.100"), ip("198.18.0.200"));
  table.set_reservations(std::move(reservations));
  names.set_reservations(index, table);
}

const dns::DnsBridge kBr0{"br0", *Ipv4Prefix::parse("198.18.0.1/24"), "lab"};

class LocalNamesTest : public ::testing::Test {
 protected:
  LocalNamesTest()
      : dns(config::DnsConfig{.workers = 1, .upstream_timeout_ms = 100},
            std::vector<dns::DnsBridge>{}),
        names(io, &dns, [this] { ++published; }) {
    names.set_bridge(0, kBr0);
  }
  // Runs the scheduled builds, without waiting on anything else.
  void settle() {
    io.restart();
    io.run();
  }

  boost::asio::io_context io;
  DnsServer dns;  // not started: only its snapshot is used
  LocalNames names;
  int published = 0;
};

TEST_F(LocalNamesTest, LeasesAndReservationsBecomeNamesInTheSnapshot) {
  set_reservations(names, 0, {reservation("198.18.0.10", "web"), reservation("198.18.0.11", "")});
  names.note_lease(0, lease("198.18.0.50", "db", 1), kNow);
  names.note_lease(0, lease("198.18.0.51", "", 2), kNow);  // no hostname: no name
  settle();
  EXPECT_EQ(published, 1) << "a burst of changes makes one snapshot";
  auto table = dns.table();
  EXPECT_EQ(table->addresses("web.lab", 0), std::vector<Ipv4Address>{ip("198.18.0.10")});
  EXPECT_EQ(table->addresses("db.lab", 0), std::vector<Ipv4Address>{ip("198.18.0.50")});
  EXPECT_EQ(names.address_of("web", 0), ip("198.18.0.10"));
  EXPECT_EQ(names.address_of("DB", 0), ip("198.18.0.50"));
  EXPECT_EQ(names.address_of("nobody", 0), std::nullopt);
  EXPECT_EQ(names.address_of("web", 5), std::nullopt);
}

TEST_F(LocalNamesTest, AReleasedOrExpiredLeaseLosesItsName) {
  names.note_lease(0, lease("198.18.0.50", "db", 1), kNow);
  settle();
  ASSERT_EQ(names.address_of("db", 0), ip("198.18.0.50"));
  names.note_lease(0, lease("198.18.0.50", "db", 1, leases::LeaseState::released), kNow);
  settle();
  EXPECT_EQ(names.address_of("db", 0), std::nullopt);
  EXPECT_TRUE(dns.table()->addresses("db.lab", 0).empty());
  // A bound lease past its expiry counts as expired.
  names.note_lease(0, lease("198.18.0.52", "old", 3), kNow + 601);
  settle();
  EXPECT_EQ(names.address_of("old", 0), std::nullopt);
}

TEST_F(LocalNamesTest, UnchangedLeasesPublishNothing) {
  names.note_lease(0, lease("198.18.0.50", "db", 1), kNow);
  settle();
  const int before = published;
  names.note_lease(0, lease("198.18.0.50", "db", 1), kNow + 10);  // a renewal
  settle();
  EXPECT_EQ(published, before);
}

TEST_F(LocalNamesTest, ARemovedBridgeTakesItsNames) {
  names.note_lease(0, lease("198.18.0.50", "db", 1), kNow);
  settle();
  names.remove_bridge(0);
  settle();
  EXPECT_EQ(names.address_of("db", 0), std::nullopt);
  EXPECT_TRUE(dns.table()->addresses("db.lab", 0).empty());
  // Leases of a bridge not served are not names.
  names.note_lease(0, lease("198.18.0.50", "db", 1), kNow);
  EXPECT_EQ(names.address_of("db", 0), std::nullopt);
}

const dns::DnsBridge kBr0Dual{.name = "br0",
                              .address = *Ipv4Prefix::parse("198.18.0.1/24"),
                              .domain = "lab",
                              .ipv6 = *Ipv6Prefix::parse("fd00:0:0:1::1/64")};

TEST_F(LocalNamesTest, ADhcpv6LeaseGivesAnAaaaBesideTheA) {
  names.set_bridge(0, kBr0Dual);
  // One client, both families, one hostname: the name has both records.
  names.note_lease(0, lease("198.18.0.50", "web", 1), kNow);
  names.note_lease(0, lease6("fd00:0:0:1::50", "web", 1), kNow);
  // A DHCPv6 client's FQDN gives its first label.
  names.note_lease(0, lease6("fd00:0:0:1::60", "Db_6.example.com", 2), kNow);
  settle();
  auto table = dns.table();
  EXPECT_EQ(table->addresses("web.lab", 0), std::vector<Ipv4Address>{ip("198.18.0.50")});
  EXPECT_EQ(table->addresses6("web.lab", 0), std::vector<Ipv6Address>{ip6("fd00:0:0:1::50")});
  EXPECT_EQ(table->addresses6("db-6.lab", 0), std::vector<Ipv6Address>{ip6("fd00:0:0:1::60")});
  EXPECT_TRUE(table->addresses("db-6.lab", 0).empty());
  // The bridge's own names have its IPv6 address.
  EXPECT_EQ(table->addresses6("_gateway.lab", 0), std::vector<Ipv6Address>{ip6("fd00:0:0:1::1")});
  // Port forwards follow the IPv4 address only.
  EXPECT_EQ(names.address_of("web", 0), ip("198.18.0.50"));
  EXPECT_EQ(names.address_of("db-6", 0), std::nullopt);
  // The IPv6 lease ends: the AAAA goes, the A stays.
  names.note_lease(0, lease6("fd00:0:0:1::50", "web", 1, leases::LeaseState::released), kNow);
  settle();
  table = dns.table();
  EXPECT_TRUE(table->addresses6("web.lab", 0).empty());
  EXPECT_EQ(table->addresses("web.lab", 0), std::vector<Ipv4Address>{ip("198.18.0.50")});
}

TEST_F(LocalNamesTest, FamiliesDoNotFightOverAName) {
  names.set_bridge(0, kBr0Dual);
  // "app" is reserved for an IPv4 address; a DHCPv6 client called "app"
  // still gets the AAAA, and of two DHCPv6 clients the lower address wins.
  set_reservations(names, 0, {reservation("198.18.0.10", "app")});
  names.note_lease(0, lease6("fd00:0:0:1::31", "app", 1), kNow);
  names.note_lease(0, lease6("fd00:0:0:1::30", "app", 2), kNow);
  names.note_lease(0, lease("198.18.0.40", "app", 3), kNow);
  settle();
  auto table = dns.table();
  EXPECT_EQ(table->addresses("app.lab", 0), std::vector<Ipv4Address>{ip("198.18.0.10")});
  EXPECT_EQ(table->addresses6("app.lab", 0), std::vector<Ipv6Address>{ip6("fd00:0:0:1::30")});
  EXPECT_EQ(names.address_of("app", 0), ip("198.18.0.10"));
  // The holder of the AAAA keeps it when the IPv4 side changes.
  set_reservations(names, 0, {});
  names.note_lease(0, lease6("fd00:0:0:1::29", "app", 4), kNow);
  settle();
  table = dns.table();
  EXPECT_EQ(table->addresses6("app.lab", 0), std::vector<Ipv6Address>{ip6("fd00:0:0:1::30")});
  EXPECT_EQ(table->addresses("app.lab", 0), std::vector<Ipv4Address>{ip("198.18.0.40")});
}

TEST(LocalNamesWithoutDnsTest, StillTracksNamesForPortForwards) {
  boost::asio::io_context io;
  LocalNames names(io, nullptr, nullptr);
  names.set_bridge(0, kBr0);
  // Two clients claim one name: the lowest address holds it (no snapshot
  // to settle the clash).
  names.note_lease(0, lease("198.18.0.60", "app", 1), kNow);
  names.note_lease(0, lease("198.18.0.40", "app", 2), kNow);
  EXPECT_EQ(names.address_of("app", 0), ip("198.18.0.40"));
  // A DHCPv6 lease of that name is no address to forward IPv4 to.
  names.note_lease(0, lease6("fd00:0:0:1::5", "app", 3), kNow);
  EXPECT_EQ(names.address_of("app", 0), ip("198.18.0.40"));
  set_reservations(names, 0, {reservation("198.18.0.10", "app")});
  EXPECT_EQ(names.address_of("app", 0), ip("198.18.0.10")) << "a reservation's name wins";
  EXPECT_EQ(names.name_count(), 0u);
}

}  // namespace
}  // namespace berth::server
