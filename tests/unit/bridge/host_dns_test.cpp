// bridge/host_dns.cpp: the reverse zones of a subnet, the resolved
// registration of a bridge, and the plans that bring what resolved and
// firewalld hold to what berthd serves. Pure: no bus.
#include "bridge/host_dns.hpp"

#include <sys/socket.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace berth::bridge {
namespace {

using Zones = std::vector<std::string>;

Ipv4Prefix v4(const char* text) { return *Ipv4Prefix::parse(text); }
Ipv6Prefix v6(const char* text) { return *Ipv6Prefix::parse(text); }

TEST(ReverseZonesTest, OctetBoundariesGiveOneZone) {
  EXPECT_EQ(reverse_zones(v4("10.0.3.1/24")), Zones{"3.0.10.in-addr.arpa"});
  EXPECT_EQ(reverse_zones(v4("10.7.3.1/16")), Zones{"7.10.in-addr.arpa"});
  EXPECT_EQ(reverse_zones(v4("10.7.3.1/8")), Zones{"10.in-addr.arpa"});
}

TEST(ReverseZonesTest, LongerPrefixesUseTheirSlash24) {
  // Every PTR name of 198.18.0.16/28 lies in 0.18.198.in-addr.arpa.
  EXPECT_EQ(reverse_zones(v4("198.18.0.17/28")), Zones{"0.18.198.in-addr.arpa"});
  EXPECT_EQ(reverse_zones(v4("198.18.0.9/32")), Zones{"0.18.198.in-addr.arpa"});
}

TEST(ReverseZonesTest, PrefixesBetweenBoundariesGiveEachCoveredZone) {
  EXPECT_EQ(reverse_zones(v4("10.0.5.1/22")),
            (Zones{"4.0.10.in-addr.arpa", "5.0.10.in-addr.arpa", "6.0.10.in-addr.arpa",
                   "7.0.10.in-addr.arpa"}));
  EXPECT_EQ(reverse_zones(v4("172.20.0.1/15")),
            (Zones{"20.172.in-addr.arpa", "21.172.in-addr.arpa"}));
  EXPECT_EQ(reverse_zones(v4("198.18.0.1/23")),
            (Zones{"0.18.198.in-addr.arpa", "1.18.198.in-addr.arpa"}));
}

TEST(ReverseZonesTest, TooManyZonesFallBackToTheOctetAbove) {
  EXPECT_EQ(reverse_zones(v4("10.0.0.1/18")).size(), 64u);  // the bound itself
  EXPECT_EQ(reverse_zones(v4("10.0.0.1/17")), Zones{"0.10.in-addr.arpa"});
  EXPECT_EQ(reverse_zones(v4("10.0.0.1/9")), Zones{"10.in-addr.arpa"});
}

TEST(ReverseZonesTest, Ipv6NibbleBoundaries) {
  EXPECT_EQ(reverse_zones(v6("fd42:1:2:3::1/64")),
            Zones{"3.0.0.0.2.0.0.0.1.0.0.0.2.4.d.f.ip6.arpa"});
  EXPECT_EQ(reverse_zones(v6("fd00:ab::1/48")), Zones{"0.0.0.0.b.a.0.0.0.0.d.f.ip6.arpa"});
}

TEST(ReverseZonesTest, Ipv6BetweenNibblesGivesEachCoveredZone) {
  // A /62 covers four /64s: the 16th nibble is 4, 5, 6 and 7.
  EXPECT_EQ(
      reverse_zones(v6("fd42:1:2:5::1/62")),
      (Zones{"4.0.0.0.2.0.0.0.1.0.0.0.2.4.d.f.ip6.arpa", "5.0.0.0.2.0.0.0.1.0.0.0.2.4.d.f.ip6.arpa",
             "6.0.0.0.2.0.0.0.1.0.0.0.2.4.d.f.ip6.arpa",
             "7.0.0.0.2.0.0.0.1.0.0.0.2.4.d.f.ip6.arpa"}));
  // A /7 covers fc00::/8 and fd00::/8 (an odd nibble: the high half of a byte).
  EXPECT_EQ(reverse_zones(v6("fd00::1/7")), (Zones{"c.f.ip6.arpa", "d.f.ip6.arpa"}));
}

TEST(ResolvedLinkTest, Ipv4Bridge) {
  const ResolvedLink r = resolved_link_of(
      {.ifindex = 7, .name = "berth0", .address = v4("10.0.3.1/24"), .domain = "berth"});
  EXPECT_EQ(r.ifindex, 7);
  EXPECT_EQ(r.servers,
            (std::vector<ResolvedServer>{{.family = AF_INET, .address = {10, 0, 3, 1}}}));
  EXPECT_EQ(r.domains, (Zones{"berth", "3.0.10.in-addr.arpa"}));
}

TEST(ResolvedLinkTest, DualStackBridgeOnAnotherPort) {
  const ResolvedLink r = resolved_link_of({.ifindex = 9,
                                           .name = "lab0",
                                           .address = v4("198.18.4.1/23"),
                                           .ipv6 = v6("fd42::1/64"),
                                           .domain = "lab.example",
                                           .dns_port = 5353});
  ASSERT_EQ(r.servers.size(), 2u);
  EXPECT_EQ(r.servers[0], (ResolvedServer{AF_INET, {198, 18, 4, 1}, 5353}));
  EXPECT_EQ(r.servers[1].family, AF_INET6);
  EXPECT_EQ(r.servers[1].address,
            (std::vector<uint8_t>{0xfd, 0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}));
  EXPECT_EQ(r.servers[1].port, 5353);
  EXPECT_EQ(r.domains, (Zones{"lab.example", "4.18.198.in-addr.arpa", "5.18.198.in-addr.arpa",
                              "0.0.0.0.0.0.0.0.0.0.0.0.2.4.d.f.ip6.arpa"}));
}

TEST(ResolvedPlanTest, SetsWhatIsNewOrChangedAndRevertsWhatIsGone) {
  const ResolvedLink a =
      resolved_link_of({.ifindex = 5, .name = "a", .address = v4("10.0.3.1/24"), .domain = "a"});
  const ResolvedLink b =
      resolved_link_of({.ifindex = 6, .name = "b", .address = v4("10.0.4.1/24"), .domain = "b"});
  const ResolvedLink b2 =
      resolved_link_of({.ifindex = 6, .name = "b", .address = v4("10.0.4.1/24"), .domain = "b2"});
  // Nothing registered: everything is set.
  EXPECT_EQ(plan_resolved({}, {a, b}), (ResolvedPlan{.set = {a, b}}));
  // All registered as wanted: nothing to do.
  EXPECT_EQ(plan_resolved({{5, a}, {6, b}}, {a, b}), ResolvedPlan{});
  // A changed domain is set again; a bridge no longer served is reverted.
  EXPECT_EQ(plan_resolved({{5, a}, {6, b}}, {b2}), (ResolvedPlan{.set = {b2}, .revert = {5}}));
  // A bridge created again has a new ifindex: the old one is reverted.
  ResolvedLink a_again = a;
  a_again.ifindex = 11;
  EXPECT_EQ(plan_resolved({{5, a}}, {a_again}), (ResolvedPlan{.set = {a_again}, .revert = {5}}));
  // Nothing wanted: revert all (berthd stops serving its last bridge).
  EXPECT_EQ(plan_resolved({{5, a}, {6, b}}, {}), (ResolvedPlan{.revert = {5, 6}}));
}

TEST(InterfacePlanTest, ChecksNewRemovesOursForgetsOthers) {
  EXPECT_EQ(plan_interfaces({}, {"berth0", "lab0"}), (InterfacePlan{.check = {"berth0", "lab0"}}));
  // berth bound berth0; lab0 was in another zone and is left alone.
  const std::map<std::string, bool> known{{"berth0", true}, {"lab0", false}};
  EXPECT_EQ(plan_interfaces(known, {"berth0", "lab0"}), InterfacePlan{});
  EXPECT_EQ(plan_interfaces(known, {"new0"}),
            (InterfacePlan{.check = {"new0"}, .remove = {"berth0"}, .forget = {"lab0"}}));
}

}  // namespace
}  // namespace berth::bridge
