#include "bridge/links.hpp"

#include <gtest/gtest.h>

namespace berth::bridge {
namespace {

TEST(NoLinksTest, DescribesBridgesWithoutTouchingTheHost) {
  NoLinks links;
  EXPECT_EQ(links.find_link("br0"), std::nullopt);
  const BridgeSpec spec{.name = "br0",
                        .address = *Ipv4Prefix::parse("198.18.0.1/24"),
                        .mtu = 9000,
                        .create = true,
                        .mac = MacAddress({2, 0, 0, 0, 0, 9})};
  LinkInfo a = links.ensure_bridge(spec);
  EXPECT_EQ(a.name, "br0");
  EXPECT_EQ(a.kind, "bridge");
  EXPECT_EQ(a.mtu, 9000u);
  EXPECT_EQ(a.mac, *spec.mac);
  EXPECT_EQ(a.addresses, std::vector<Ipv4Prefix>{spec.address});
  // The same bridge again: the same link, the address not doubled.
  LinkInfo again = links.ensure_bridge(spec);
  EXPECT_EQ(again.ifindex, a.ifindex);
  EXPECT_EQ(again.addresses.size(), 1u);
  EXPECT_EQ(links.find_link("br0")->ifindex, a.ifindex);
  EXPECT_EQ(links.used_ipv4_prefixes(), std::vector<Ipv4Prefix>{spec.address});

  // Deleted and created again: another ifindex, as the kernel would give.
  links.remove("br0");
  EXPECT_EQ(links.find_link("br0"), std::nullopt);
  EXPECT_NE(links.ensure_bridge(spec).ifindex, a.ifindex);
}

TEST(NoLinksTest, RefusesWhatNeedsARealHost) {
  NoLinks links;
  BridgeSpec spec{.name = "br1", .address = *Ipv4Prefix::parse("198.18.1.1/24")};
  spec.create = false;
  EXPECT_THROW(links.ensure_bridge(spec), NetlinkError);
  EXPECT_THROW(links.enslave_uplink("br1", "eth0", false), NetlinkError);
  EXPECT_THROW(links.attach_veth(AttachSpec{.bridge = "br1"}), NetlinkError);
  EXPECT_THROW(links.detach_veth("br1", -1, "eth0"), NetlinkError);
}

}  // namespace
}  // namespace berth::bridge
