// The control API's enum names and validators (api/types_validation.cpp).
#include "api/types.hpp"

#include <gtest/gtest.h>

#include <string>
#include <type_traits>

namespace berth::api {
namespace {

TEST(ApiTypes, EnumNames) {
  for (auto s :
       {LeaseState::bound, LeaseState::released, LeaseState::expired, LeaseState::declined}) {
    EXPECT_EQ(lease_state_from_string(to_string(s)), s);
  }
  // The database's name; an older berthd's is still read.
  EXPECT_EQ(to_string(MatchKind::client_id), "client_id");
  EXPECT_EQ(match_kind_from_string("client-id"), MatchKind::client_id);
  EXPECT_EQ(match_kind_from_string("client id"), std::nullopt);
  EXPECT_EQ(match_kind_from_string("Client_ID"), std::nullopt);
  for (auto k : {MatchKind::mac, MatchKind::client_id, MatchKind::hostname}) {
    EXPECT_EQ(match_kind_from_string(to_string(k)), k);
  }
  // api:: and leases:: share the enums and their one table.
  static_assert(std::is_same_v<MatchKind, leases::MatchKind>);
  static_assert(std::is_same_v<LeaseState, leases::LeaseState>);
  EXPECT_EQ(to_string(static_cast<MatchKind>(7)), "unknown");
  EXPECT_EQ(to_string(ReservationSource::api), "api");
  EXPECT_EQ(reservation_source_from_string("config"), ReservationSource::config);
  EXPECT_EQ(reservation_source_from_string("file"), std::nullopt);
  EXPECT_EQ(lease_state_from_string("BOUND"), std::nullopt);
}

TEST(ApiTypes, Validators) {
  EXPECT_TRUE(is_dns_label("a"));
  EXPECT_TRUE(is_dns_label("web-1"));
  EXPECT_TRUE(is_dns_label(std::string(63, 'x')));
  EXPECT_FALSE(is_dns_label(std::string(64, 'x')));
  EXPECT_FALSE(is_dns_label(""));
  EXPECT_FALSE(is_dns_label("-a"));
  EXPECT_FALSE(is_dns_label("a-"));
  EXPECT_FALSE(is_dns_label("a.b"));
  EXPECT_FALSE(is_dns_label("a_b"));
  EXPECT_FALSE(is_dns_label("caf\xc3\xa9"));

  EXPECT_EQ(interface_name_problem("x", "lxcbr0"), std::nullopt);
  EXPECT_EQ(interface_name_problem("x", std::string(15, 'a')), std::nullopt);
  EXPECT_NE(interface_name_problem("x", std::string(16, 'a')), std::nullopt);
  for (const char* bad : {"", ".", "..", "a b", "a:b", "a/b", "a\tb", "a\xa0"}) {
    EXPECT_NE(interface_name_problem("x", bad), std::nullopt) << bad;
  }
  EXPECT_EQ(*interface_name_problem("field 'bridge'", "a:b"),
            "field 'bridge' 'a:b' contains ':', which Linux does not allow in an interface name");

  EXPECT_EQ(mac_problem("m", "00-16-3E-AA-BB-CC"), std::nullopt);
  EXPECT_NE(mac_problem("m", "00:16:3e:aa:bb:cc:dd"), std::nullopt);
  EXPECT_EQ(client_id_problem("c", "1:a:ff"), std::nullopt);
  EXPECT_NE(client_id_problem("c", "1::ff"), std::nullopt);
  EXPECT_EQ(reservable_ip_problem("i", "198.18.0.1"), std::nullopt);
  EXPECT_NE(reservable_ip_problem("i", "198.18.0.01"), std::nullopt);

  EXPECT_EQ(unicast_mac_problem("m", "02:00:00:00:00:01"), std::nullopt);
  EXPECT_EQ(unicast_mac_problem("m", "fe:ff:ff:ff:ff:ff"), std::nullopt);
  EXPECT_NE(unicast_mac_problem("m", "03:00:00:00:00:01"), std::nullopt);
  EXPECT_NE(unicast_mac_problem("m", "33:33:00:00:00:01"), std::nullopt);  // IPv6 multicast
  EXPECT_EQ(netns_name_problem("n", "web-1.test"), std::nullopt);
  EXPECT_EQ(netns_name_problem("n", std::string(255, 'x')), std::nullopt);
  for (const char* bad : {"", ".", "..", "a/b", "/"}) {
    EXPECT_NE(netns_name_problem("n", bad), std::nullopt) << bad;
  }
  EXPECT_NE(netns_name_problem("n", std::string_view("a\0b", 3)), std::nullopt);
  EXPECT_EQ(forward_target_problem("t", "web"), std::nullopt);
  EXPECT_EQ(forward_target_problem("t", "10.0.3.5"), std::nullopt);
  EXPECT_EQ(forward_target_problem("t", "10"), std::nullopt);  // a label of digits
  for (const char* bad : {"", "web.lxc", "10.0.3.05", "255.255.255.255", "-a", "a_b"}) {
    EXPECT_NE(forward_target_problem("t", bad), std::nullopt) << bad;
  }
  EXPECT_EQ(forward_host_address_problem("h", "0.0.0.0"), std::nullopt);
  EXPECT_EQ(forward_host_address_problem("h", "223.255.255.255"), std::nullopt);
  EXPECT_EQ(forward_host_address_problem("h", "240.0.0.1"), std::nullopt);
  EXPECT_NE(forward_host_address_problem("h", "239.255.255.255"), std::nullopt);
  EXPECT_NE(forward_host_address_problem("h", "224.0.0.0"), std::nullopt);
  EXPECT_NE(forward_host_address_problem("h", "host"), std::nullopt);

  EXPECT_EQ(quote_text("ab'c\n"), "'ab\\x27c\\x0a'");
  EXPECT_EQ(quote_text(std::string(70, 'a')), "'" + std::string(64, 'a') + "...'");
}

}  // namespace
}  // namespace berth::api
