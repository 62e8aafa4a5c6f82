// bridge/host_networks.cpp: what the host uses, against the real kernel in a
// child in a fresh network namespace (tests/unit/bridge/netns_child.hpp; needs
// root, skips otherwise), and choose_auto_subnet, which is pure and tested
// without a kernel.
#include <linux/rtnetlink.h>

#include <algorithm>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "tests/unit/bridge/netlink_test_util.hpp"
#include "tests/unit/bridge/netns_child.hpp"

namespace berth::bridge {
namespace {

using test::Failures;
using test::prefix;
using test::RawNetlink;
using test::run_in_new_netns;

TEST(HostNetworksTest, HostAddressesRoutesAndDefaultRouteInterfaces) {
  run_in_new_netns([](Failures& f) {
    CHILD_EXPECT(f, host_ipv4_addresses().empty());
    CHILD_EXPECT(f, default_route_interfaces().empty());
    ensure_bridge({.name = "bt-br0", .address = prefix(198, 18, 0, 1, 24)});
    ensure_bridge({.name = "bt-br1", .address = prefix(198, 19, 4, 1, 30)});
    ensure_bridge({.name = "bt-br1", .address = prefix(198, 19, 9, 9, 32)});
    CHILD_EXPECT(f, host_ipv4_addresses() == (std::vector<Ipv4Prefix>{prefix(198, 18, 0, 1, 24),
                                                                      prefix(198, 19, 4, 1, 30),
                                                                      prefix(198, 19, 9, 9, 32)}));
    RawNetlink raw;
    raw.add_route(prefix(198, 19, 128, 0, 17), "bt-br0", 100);  // another table counts too
    raw.add_route(prefix(0, 0, 0, 0, 0), "bt-br1", RT_TABLE_MAIN);
    raw.add_route(prefix(0, 0, 0, 0, 0), "bt-br0", 100);
    const std::vector<Ipv4Prefix> routes = host_ipv4_routes();
    for (const Ipv4Prefix& want : {prefix(198, 18, 0, 0, 24), prefix(198, 19, 4, 0, 30),
                                   prefix(198, 19, 128, 0, 17), prefix(198, 19, 9, 9, 32)}) {
      CHILD_EXPECT(f, std::count(routes.begin(), routes.end(), want) == 1);
    }
    CHILD_EXPECT(f, std::none_of(routes.begin(), routes.end(),
                                 [](const Ipv4Prefix& p) { return p.length == 0; }));
    CHILD_EXPECT(
        f,
        std::is_sorted(routes.begin(), routes.end(), [](const Ipv4Prefix& a, const Ipv4Prefix& b) {
          return a.address != b.address ? a.address < b.address : a.length < b.length;
        }));
    CHILD_EXPECT(f, default_route_interfaces() == (std::vector<std::string>{"bt-br0", "bt-br1"}));

    // What the host has is what choose_auto_subnet must avoid.
    std::vector<Ipv4Prefix> in_use = host_ipv4_addresses();
    in_use.insert(in_use.end(), routes.begin(), routes.end());
    const auto chosen = choose_auto_subnet("bt-br2", in_use);
    CHILD_EXPECT(f, chosen.has_value());
  });
}

// --- choose_auto_subnet: pure, no kernel needed ---

Ipv4Prefix auto24(uint32_t xy) {
  return Ipv4Prefix{.address = Ipv4Address(0x0a000001u | xy << 8), .length = 24};
}
uint32_t xy_of(const Ipv4Prefix& p) { return (p.address.value() >> 8) & 0xffffu; }

TEST(ChooseAutoSubnetTest, IsDeterministicAndDependsOnTheName) {
  const auto a = choose_auto_subnet("berth0", {});
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->length, 24);
  EXPECT_EQ(a->address.value() >> 24, 10u);
  EXPECT_EQ(a->address.value() & 0xffu, 1u);
  EXPECT_EQ(choose_auto_subnet("berth0", {}), a);
  const auto b = choose_auto_subnet("berth1", {});
  ASSERT_TRUE(b.has_value());
  EXPECT_NE(*a, *b);
  // Pinned: the hash is FNV-1a, stable across builds and machines, so a
  // host keeps picking the same subnet for the same bridge name.
  EXPECT_EQ(a->to_string(), choose_auto_subnet("berth0", {})->to_string());
}

TEST(ChooseAutoSubnetTest, SkipsEverythingThatOverlaps) {
  const Ipv4Prefix first = *choose_auto_subnet("bt-br0", {});
  const uint32_t xy = xy_of(first);
  auto next = [&](uint32_t steps) { return auto24((xy + steps) & 0xffffu); };
  // Exactly that /24, a /32 inside it, a /25 inside it, a /23 around it.
  EXPECT_EQ(choose_auto_subnet("bt-br0", {first}), next(1));
  EXPECT_EQ(
      choose_auto_subnet(
          "bt-br0", {Ipv4Prefix{.address = Ipv4Address(first.address.value() + 76), .length = 32}}),
      next(1));
  EXPECT_EQ(choose_auto_subnet(
                "bt-br0",
                {Ipv4Prefix{.address = Ipv4Address(first.address.value() | 0x80), .length = 25}}),
            next(1));
  EXPECT_EQ(choose_auto_subnet("bt-br0", {first, next(1), next(2)}), next(3));
  // The order of in_use does not matter.
  EXPECT_EQ(choose_auto_subnet("bt-br0", {next(2), first, next(1)}), next(3));
  // A /16 around it: the first /24 of the next /16.
  const Ipv4Prefix sixteen{.address = Ipv4Address(first.address.value() & 0xffff0000u),
                           .length = 16};
  const auto after16 = choose_auto_subnet("bt-br0", {sixteen});
  ASSERT_TRUE(after16.has_value());
  EXPECT_EQ(*after16, auto24((((xy >> 8) + 1) & 0xffu) << 8));
  // Addresses and routes outside 10/8 are irrelevant.
  EXPECT_EQ(choose_auto_subnet("bt-br0", {*Ipv4Prefix::parse("198.18.0.0/15"),
                                          *Ipv4Prefix::parse("192.168.0.0/16")}),
            first);
  // 10/8 taken whole, or a default route among them: nothing left.
  EXPECT_EQ(choose_auto_subnet("bt-br0", {*Ipv4Prefix::parse("10.0.0.0/8")}), std::nullopt);
  EXPECT_EQ(choose_auto_subnet("bt-br0", {*Ipv4Prefix::parse("0.0.0.0/0")}), std::nullopt);
  EXPECT_EQ(choose_auto_subnet(
                "bt-br0", {*Ipv4Prefix::parse("10.0.0.0/9"), *Ipv4Prefix::parse("10.128.0.0/9")}),
            std::nullopt);
}

// The fewest prefixes covering 10.0.0.0/8 except the /24s in `free_xy`.
void cover_except(const Ipv4Prefix& p, const std::vector<uint32_t>& free_xy,
                  std::vector<Ipv4Prefix>& out) {
  const bool holds_free = std::any_of(free_xy.begin(), free_xy.end(),
                                      [&](uint32_t xy) { return p.contains(auto24(xy).address); });
  if (!holds_free) {
    out.push_back(p);
    return;
  }
  if (p.length == 24) return;  // this one stays free
  const auto half = static_cast<uint8_t>(p.length + 1);
  cover_except(Ipv4Prefix{.address = p.network(), .length = half}, free_xy, out);
  cover_except(
      Ipv4Prefix{.address = Ipv4Address(p.network().value() | 1u << (32 - half)), .length = half},
      free_xy, out);
}

std::vector<Ipv4Prefix> all_but(const std::vector<uint32_t>& free_xy) {
  std::vector<Ipv4Prefix> out;
  cover_except(*Ipv4Prefix::parse("10.0.0.0/8"), free_xy, out);
  return out;
}

TEST(ChooseAutoSubnetTest, WrapsAroundToFindTheLastFreeOnes) {
  const std::vector<Ipv4Prefix> only_first = all_but({0});
  EXPECT_EQ(only_first.size(), 16u);  // 10.128/9, 10.64/10, ..., 10.0.1/24
  for (const char* name : {"berth0", "lxcbr0", "virbr0", "bt-br0", ""}) {
    EXPECT_EQ(choose_auto_subnet(name, only_first), auto24(0)) << name;
  }
  // Two free: the walk from the name's starting point reaches the one at
  // 0x8000 first unless it starts after it and wraps to 0.
  const std::vector<Ipv4Prefix> two = all_but({0, 0x8000});
  int wrapped = 0;
  for (const char* name : {"berth0", "lxcbr0", "virbr0", "bt-br0", "bt-br1", "bt-br2"}) {
    const uint32_t start = xy_of(*choose_auto_subnet(name, {}));
    const bool wraps = start == 0 || start > 0x8000;
    wrapped += wraps ? 1 : 0;
    EXPECT_EQ(choose_auto_subnet(name, two), wraps ? auto24(0) : auto24(0x8000))
        << name << " starts at " << start;
  }
  // The names above cover both cases.
  EXPECT_GT(wrapped, 0);
  EXPECT_LT(wrapped, 6);
}

}  // namespace
}  // namespace berth::bridge
