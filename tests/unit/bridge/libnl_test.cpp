// bridge/libnl.cpp: the checks and conversions that need no kernel. What
// needs one (lookups, changes) is tested through netlink.cpp, veth.cpp and
// host_networks.cpp in their own tests.
#include "bridge/libnl.hpp"

#include <gtest/gtest.h>
#include <netlink/errno.h>
#include <sys/socket.h>

#include <array>
#include <string>

namespace berth::bridge::nl {
namespace {

// The sentence a check throws, or "" when it does not throw.
template <class Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const NetlinkError& e) {
    return e.what();
  }
  return "";
}

TEST(LibnlTest, InterfaceNamesFollowTheKernelsRule) {
  EXPECT_EQ(error_of([] { check_interface_name("br0"); }), "");
  EXPECT_EQ(error_of([] { check_interface_name("fifteen-chars-x"); }), "");
  EXPECT_EQ(error_of([] { check_interface_name(""); }), "a bridge name must not be empty");
  EXPECT_EQ(error_of([] { check_interface_name("sixteen-chars-xy", "uplink name"); }),
            "uplink name \"sixteen-chars-xy\" is too long: Linux allows at most 15 characters");
  EXPECT_EQ(error_of([] { check_interface_name(".."); }), "\"..\" is not a valid interface name");
  for (const char* bad : {"a/b", "a:b", "a b", "a\tb"}) {
    EXPECT_NE(error_of([&] {
                check_interface_name(bad, "interface name");
              }).find("is not a valid interface name (no '/', ':' or spaces)"),
              std::string::npos)
        << bad;
  }
  EXPECT_NE(error_of([] { check_interface_name(std::string("a\0b", 3)); }), "");
}

TEST(LibnlTest, MacsMustBeUnicastAndNotZero) {
  EXPECT_EQ(error_of([] { check_unicast_mac(MacAddress({2, 0, 0, 0, 0, 1}), "the MAC"); }), "");
  EXPECT_EQ(error_of([] { check_unicast_mac(MacAddress(), "the MAC"); }),
            "the MAC must not be 00:00:00:00:00:00");
  EXPECT_EQ(error_of([] {
              check_unicast_mac(MacAddress({1, 0, 0x5e, 0, 0, 1}), "the MAC");
            }),
            "the MAC 01:00:5e:00:00:01 is a multicast address (the lowest bit of the first byte is "
            "set)");
}

TEST(LibnlTest, DescribeHintsAtRootOnlyForPermissionErrors) {
  EXPECT_NE(describe(-NLE_PERM).find("(are you root?)"), std::string::npos);
  EXPECT_NE(describe(-NLE_NOACCESS).find("(are you root?)"), std::string::npos);
  EXPECT_NE(describe(NLE_PERM).find("(are you root?)"), std::string::npos);
  EXPECT_EQ(describe(-NLE_NODEV).find("(are you root?)"), std::string::npos);
  EXPECT_EQ(describe(-NLE_NODEV), nl_geterror(-NLE_NODEV));
}

TEST(LibnlTest, Ipv4PrefixOfLibnlAddresses) {
  const std::array<uint8_t, 4> bytes{198, 18, 4, 1};
  const NlAddr v4(nl_addr_build(AF_INET, bytes.data(), bytes.size()));
  ASSERT_TRUE(v4);
  EXPECT_EQ(ipv4_prefix_of(v4.get(), 24), Ipv4Prefix::parse("198.18.4.1/24"));
  EXPECT_EQ(ipv4_prefix_of(v4.get(), 32), Ipv4Prefix::parse("198.18.4.1/32"));
  EXPECT_EQ(ipv4_prefix_of(v4.get(), 33), std::nullopt);
  EXPECT_EQ(ipv4_prefix_of(v4.get(), -1), std::nullopt);
  EXPECT_EQ(ipv4_prefix_of(nullptr, 24), std::nullopt);

  const std::array<uint8_t, 16> v6_bytes{0xfd};
  const NlAddr v6(nl_addr_build(AF_INET6, v6_bytes.data(), v6_bytes.size()));
  ASSERT_TRUE(v6);
  EXPECT_EQ(ipv4_prefix_of(v6.get(), 64), std::nullopt);

  // A default route's destination has no bytes at all.
  const NlAddr none(nl_addr_build(AF_INET, nullptr, 0));
  ASSERT_TRUE(none);
  EXPECT_EQ(ipv4_prefix_of(none.get(), 0), Ipv4Prefix{});
  EXPECT_EQ(ipv4_prefix_of(none.get(), 8), std::nullopt);
}

TEST(LibnlTest, MacOfALinkObject) {
  const Link link(rtnl_link_alloc());
  ASSERT_TRUE(link);
  EXPECT_TRUE(mac_of(link.get()).is_zero());  // no address set
  const MacAddress mac({0x02, 0x42, 0xc6, 0x12, 0x00, 0x07});
  const NlAddr addr = mac_nl_addr(mac);
  rtnl_link_set_addr(link.get(), addr.get());
  EXPECT_EQ(mac_of(link.get()), mac);
}

}  // namespace
}  // namespace berth::bridge::nl
