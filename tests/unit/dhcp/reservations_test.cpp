#include "dhcp/reservations.hpp"

#include <gtest/gtest.h>

namespace berth::dhcp {
namespace {

leases::Reservation mac_res(int64_t id, const char* mac, const char* ip, std::string name = {}) {
  leases::Reservation r;
  r.id = id;
  r.bridge = "br0";
  r.match = leases::MatchKind::mac;
  r.mac = *MacAddress::parse(mac);
  r.ip = *Ipv4Address::parse(ip);
  r.name = std::move(name);
  return r;
}

TEST(Reservations, ConfigReservationsGetNegativeIdsInFileOrder) {
  const config::Config c = config::parse_config(
      "[[bridge]]\nname = \"a\"\naddress = \"198.18.0.1/24\"\n"
      "[[bridge.reservation]]\nmac = \"00:16:3e:00:00:01\"\nip = \"198.18.0.10\"\nname = \"web\"\n"
      "[[bridge.reservation]]\nhostname = \"DB\"\nip = \"198.18.0.11\"\n"
      "[[bridge]]\nname = \"b\"\naddress = \"198.18.1.1/24\"\n"
      "[[bridge.reservation]]\nclient_id = \"01:02:03\"\nip = \"198.18.1.10\"\n",
      "t.toml");
  const auto all = config_reservations(c);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].id, -1);
  EXPECT_EQ(all[0].bridge, "a");
  EXPECT_EQ(all[0].name, "web");
  EXPECT_TRUE(all[0].from_config);
  EXPECT_EQ(all[1].id, -2);
  EXPECT_EQ(all[1].match, leases::MatchKind::hostname);
  EXPECT_EQ(all[1].hostname_match, "DB");
  EXPECT_EQ(all[2].id, -3);
  EXPECT_EQ(all[2].bridge, "b");
  EXPECT_EQ(all[2].match, leases::MatchKind::client_id);
  EXPECT_EQ(all[2].client_id, (Bytes{1, 2, 3}));
}

TEST(Reservations, ConfigWinsEveryKindOfClash) {
  auto file = std::vector{mac_res(-1, "00:16:3e:00:00:01", "198.18.0.10", "web")};
  file[0].from_config = true;
  const std::vector<leases::Reservation> db = {
      mac_res(7, "00:16:3e:00:00:02", "198.18.0.10"),         // same address
      mac_res(5, "00:16:3E:00:00:01", "198.18.0.20"),         // same client
      mac_res(6, "00:16:3e:00:00:03", "198.18.0.21", "WEB"),  // same name, other case
      mac_res(9, "00:16:3e:00:00:04", "198.18.0.22", "db"),   // fine
  };
  const MergedReservations m = merge_reservations(file, db);
  ASSERT_EQ(m.kept.size(), 2u);
  EXPECT_EQ(m.kept[0].id, -1);
  EXPECT_EQ(m.kept[1].id, 9);
  ASSERT_EQ(m.ignored.size(), 3u);
  // Database rows are considered in id order.
  EXPECT_NE(m.ignored[0].find("reservation 5"), std::string::npos) << m.ignored[0];
  EXPECT_NE(m.ignored[0].find("its client already has reservation -1"), std::string::npos);
  EXPECT_NE(m.ignored[1].find("reservation 6"), std::string::npos) << m.ignored[1];
  EXPECT_NE(m.ignored[1].find("its name"), std::string::npos);
  EXPECT_NE(m.ignored[2].find("reservation 7"), std::string::npos) << m.ignored[2];
  EXPECT_NE(m.ignored[2].find("its address"), std::string::npos);
}

TEST(Reservations, Ipv6PartsBecomeDhcpv6ReservationsByDuidElseMac) {
  leases::Reservation r = mac_res(1, "00:16:3e:00:00:01", "198.18.0.10", "web");
  EXPECT_EQ(reservation6_of(r), std::nullopt);  // no ipv6
  r.ipv6 = *Ipv6Address::parse("fd00:6::50");
  auto by_mac = reservation6_of(r);
  ASSERT_TRUE(by_mac.has_value());
  EXPECT_EQ(by_mac->match, leases::MatchKind::mac);
  EXPECT_EQ(by_mac->mac, r.mac);
  EXPECT_EQ(by_mac->ip, *r.ipv6);
  EXPECT_EQ(by_mac->name, "web");
  r.duid = {0, 4, 1, 2, 3, 4};
  auto by_duid = reservation6_of(r);
  ASSERT_TRUE(by_duid.has_value());
  EXPECT_EQ(by_duid->match, leases::MatchKind::client_id);
  EXPECT_EQ(by_duid->duid, r.duid);
  // By host name, with no DUID, a DHCPv6 client cannot be found.
  leases::Reservation h = r;
  h.match = leases::MatchKind::hostname;
  h.hostname_match = "web";
  h.duid.clear();
  EXPECT_EQ(reservation6_of(h), std::nullopt);
  EXPECT_TRUE(ipv6_identity_problem(h).has_value());
}

TEST(Reservations, Ipv6ProblemNamesWhatIsWrongOnTheBridge) {
  leases::Reservation r = mac_res(1, "00:16:3e:00:00:01", "198.18.0.10", "web");
  const auto prefix = Ipv6Prefix::parse("fd00:6::1/64");
  EXPECT_EQ(ipv6_problem(r, prefix), std::nullopt);  // nothing IPv6 to check
  r.ipv6 = *Ipv6Address::parse("fd00:6::50");
  EXPECT_EQ(ipv6_problem(r, prefix), std::nullopt);
  EXPECT_TRUE(ipv6_problem(r, std::nullopt).has_value());  // bridge without IPv6
  for (const char* bad : {"fd00:7::50", "fd00:6::", "fd00:6::1"}) {
    r.ipv6 = *Ipv6Address::parse(bad);
    EXPECT_TRUE(ipv6_problem(r, prefix).has_value()) << bad;
  }
}

TEST(Reservations, MergeRefusesASecondHolderOfAnIpv6AddressOrDuid) {
  leases::Reservation a = mac_res(1, "00:16:3e:00:00:01", "198.18.0.10");
  a.ipv6 = *Ipv6Address::parse("fd00:6::50");
  a.duid = {0, 4, 1, 2};
  leases::Reservation same_v6 = mac_res(2, "00:16:3e:00:00:02", "198.18.0.11");
  same_v6.ipv6 = a.ipv6;
  leases::Reservation same_duid = mac_res(3, "00:16:3e:00:00:03", "198.18.0.12");
  same_duid.ipv6 = *Ipv6Address::parse("fd00:6::52");
  same_duid.duid = a.duid;
  const MergedReservations m = merge_reservations({}, {a, same_v6, same_duid});
  ASSERT_EQ(m.kept.size(), 1u);
  EXPECT_EQ(m.kept[0].id, 1);
  EXPECT_EQ(m.ignored.size(), 2u);
}

TEST(Reservations, EarlierDatabaseRowWinsBetweenDatabaseRows) {
  const MergedReservations m =
      merge_reservations({}, {mac_res(4, "00:16:3e:00:00:02", "198.18.0.10"),
                              mac_res(3, "00:16:3e:00:00:01", "198.18.0.10")});
  ASSERT_EQ(m.kept.size(), 1u);
  EXPECT_EQ(m.kept[0].id, 3);
  EXPECT_EQ(m.ignored.size(), 1u);
}

}  // namespace
}  // namespace berth::dhcp
