// bridge/netlink.cpp against the real kernel: bridges, their addresses, MTU
// and MAC, finding and deleting links, uplinks. Each test runs in a child in
// a fresh network namespace (tests/unit/bridge/netns_child.hpp), so nothing is
// ever created in the host's namespace. Needs root, skips otherwise.
#include "bridge/netlink.hpp"

#include <linux/rtnetlink.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

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
using test::has_address;
using test::kMac;
using test::prefix;
using test::RawNetlink;
using test::run_in_new_netns;

TEST(NetlinkTest, FindLinkSeesLoopbackAndNotMissingLinks) {
  run_in_new_netns([](Failures& f) {
    const auto lo = find_link("lo");
    CHILD_EXPECT(f, lo.has_value());
    if (lo) {
      CHILD_EXPECT(f, lo->ifindex == 1);
      CHILD_EXPECT(f, lo->mtu > 0);
      CHILD_EXPECT(f, !lo->up);  // a fresh namespace starts with lo down
    }
    CHILD_EXPECT(f, !find_link("bt-missing").has_value());
    CHILD_EXPECT(f, !find_link("").has_value());
    CHILD_EXPECT(f, !find_link("a-name-longer-than-ifnamsiz").has_value());
  });
}

TEST(NetlinkTest, EnsureBridgeCreatesConfiguresAndIsIdempotent) {
  run_in_new_netns([](Failures& f) {
    const BridgeSpec spec{.name = "bt-br0", .address = prefix(198, 18, 0, 1, 24), .mtu = 1400};
    const LinkInfo first = ensure_bridge(spec);
    CHILD_EXPECT(f, first.ifindex > 0);
    CHILD_EXPECT(f, first.up);
    CHILD_EXPECT(f, first.mtu == 1400);
    CHILD_EXPECT(f, !first.mac.is_zero());
    // Created with its persistent MAC, so ports joining do not change it.
    CHILD_EXPECT(f, first.mac == persistent_mac("bt-br0"));
    CHILD_EXPECT(f, first.addresses.size() == 1);
    CHILD_EXPECT(f, has_address(first, spec.address));

    RawNetlink raw;
    CHILD_EXPECT(f, raw.broadcast_of(first.ifindex, spec.address) ==
                        prefix(198, 18, 0, 255, 32).address.value());

    const LinkInfo second = ensure_bridge(spec);
    CHILD_EXPECT(f, second.ifindex == first.ifindex);
    CHILD_EXPECT(f, second.mac == first.mac);
    CHILD_EXPECT(f, second.addresses == first.addresses);

    const auto found = find_link("bt-br0");
    CHILD_EXPECT(f, found.has_value());
    if (found) {
      CHILD_EXPECT(f, found->ifindex == first.ifindex);
      CHILD_EXPECT(f, found->up);
      CHILD_EXPECT(f, found->mtu == 1400);
      CHILD_EXPECT(f, has_address(*found, spec.address));
    }
  });
}

TEST(NetlinkTest, PersistentMacIsUnicastLocalStableAndPerName) {
  const MacAddress a = persistent_mac("br0");
  EXPECT_EQ(a, persistent_mac("br0"));
  EXPECT_NE(a, persistent_mac("br1"));
  EXPECT_EQ(a.bytes()[0] & 0x01, 0) << "unicast";
  EXPECT_EQ(a.bytes()[0] & 0x02, 0x02) << "locally administered";
}

TEST(NetlinkTest, EnsureBridgeAddsTheIpv6AddressWithoutDadAndActsAsRouter) {
  run_in_new_netns([](Failures& f) {
    const auto v6 = Ipv6Prefix::parse("fd00:42::1/64");
    const BridgeSpec spec{.name = "bt-br6", .address = prefix(198, 18, 0, 1, 24), .ipv6 = v6};
    const LinkInfo first = ensure_bridge(spec);
    const auto& have = first.ipv6_addresses;
    CHILD_EXPECT(f, std::find(have.begin(), have.end(), *v6) != have.end());
    auto conf = [](const char* key) {
      std::ifstream in(std::string("/proc/sys/net/ipv6/conf/bt-br6/") + key);
      std::string line;
      std::getline(in, line);
      return line;
    };
    CHILD_EXPECT(f, conf("disable_ipv6") == "0");
    CHILD_EXPECT(f, conf("accept_ra") == "0");
    // Idempotent: the address is there once.
    const LinkInfo second = ensure_bridge(spec);
    CHILD_EXPECT(f,
                 std::count(second.ipv6_addresses.begin(), second.ipv6_addresses.end(), *v6) == 1);
    // The same address with another length is the user's to settle.
    BridgeSpec other = spec;
    other.ipv6 = Ipv6Prefix::parse("fd00:42::1/80");
    CHILD_EXPECT_NETLINK_ERROR(f, ensure_bridge(other), "different prefix length");
  });
}

TEST(NetlinkTest, EnsureBridgeChangesMtuAndKeepsOtherAddresses) {
  run_in_new_netns([](Failures& f) {
    const LinkInfo a =
        ensure_bridge({.name = "bt-br1", .address = prefix(198, 18, 0, 1, 24), .mtu = 1400});
    const LinkInfo b =
        ensure_bridge({.name = "bt-br1", .address = prefix(198, 19, 4, 1, 30), .mtu = 1300});
    CHILD_EXPECT(f, b.ifindex == a.ifindex);
    CHILD_EXPECT(f, b.mtu == 1300);
    CHILD_EXPECT(f, b.addresses.size() == 2);
    CHILD_EXPECT(f, has_address(b, prefix(198, 18, 0, 1, 24)));
    CHILD_EXPECT(f, has_address(b, prefix(198, 19, 4, 1, 30)));
    RawNetlink raw;
    CHILD_EXPECT(f, raw.broadcast_of(b.ifindex, prefix(198, 19, 4, 1, 30)) ==
                        prefix(198, 19, 4, 3, 32).address.value());

    // Without an MTU in the spec the current one stays.
    const LinkInfo c = ensure_bridge({.name = "bt-br1", .address = prefix(198, 18, 0, 1, 24)});
    CHILD_EXPECT(f, c.mtu == 1300);
    CHILD_EXPECT(f, c.addresses.size() == 2);

    // A /32 gets no broadcast (RFC 3021 territory).
    const LinkInfo d = ensure_bridge({.name = "bt-br1", .address = prefix(198, 19, 9, 9, 32)});
    CHILD_EXPECT(f, has_address(d, prefix(198, 19, 9, 9, 32)));
    CHILD_EXPECT(f, raw.broadcast_of(d.ifindex, prefix(198, 19, 9, 9, 32)) == 0);
  });
}

TEST(NetlinkTest, EnsureBridgeAdoptsAnExistingDownBridge) {
  run_in_new_netns([](Failures& f) {
    RawNetlink raw;
    raw.add_bridge("bt-br2");
    const auto before = find_link("bt-br2");
    CHILD_EXPECT(f, before.has_value() && !before->up && before->addresses.empty());

    const LinkInfo after =
        ensure_bridge({.name = "bt-br2", .address = prefix(198, 18, 5, 1, 24), .create = false});
    CHILD_EXPECT(f, before && after.ifindex == before->ifindex);
    CHILD_EXPECT(f, after.up);
    CHILD_EXPECT(f, has_address(after, prefix(198, 18, 5, 1, 24)));
  });
}

TEST(NetlinkTest, EnsureBridgeRefusesWhatItShouldNotTouch) {
  run_in_new_netns([](Failures& f) {
    CHILD_EXPECT_NETLINK_ERROR(
        f, ensure_bridge({.name = "bt-br7", .address = prefix(198, 18, 0, 1, 24), .create = false}),
        "bridge bt-br7 does not exist and create = false");
    CHILD_EXPECT(f, !find_link("bt-br7").has_value());

    RawNetlink raw;
    raw.add_veth("bt-veth0", "bt-veth1");
    CHILD_EXPECT_NETLINK_ERROR(
        f, ensure_bridge({.name = "bt-veth0", .address = prefix(198, 18, 0, 1, 24)}),
        "interface bt-veth0 exists but is not a bridge (it is a veth interface)");
    CHILD_EXPECT_NETLINK_ERROR(
        f,
        ensure_bridge({.name = "bt-veth0", .address = prefix(198, 18, 0, 1, 24), .create = false}),
        "not a bridge");
    // The refused interface was left as it was.
    const auto veth = find_link("bt-veth0");
    CHILD_EXPECT(f, veth.has_value() && !veth->up && veth->addresses.empty());

    ensure_bridge({.name = "bt-br3", .address = prefix(198, 18, 0, 1, 24)});
    CHILD_EXPECT_NETLINK_ERROR(
        f, ensure_bridge({.name = "bt-br3", .address = prefix(198, 18, 0, 1, 16)}),
        "the bridge already has 198.18.0.1/24");

    CHILD_EXPECT_NETLINK_ERROR(f, ensure_bridge({.name = "", .address = prefix(198, 18, 0, 1, 24)}),
                               "must not be empty");
    CHILD_EXPECT_NETLINK_ERROR(
        f, ensure_bridge({.name = "bridge-name-too-long", .address = prefix(198, 18, 0, 1, 24)}),
        "too long");
    CHILD_EXPECT_NETLINK_ERROR(
        f, ensure_bridge({.name = "bt/br", .address = prefix(198, 18, 0, 1, 24)}),
        "not a valid interface name");
    CHILD_EXPECT_NETLINK_ERROR(
        f, ensure_bridge({.name = "bt-br4", .address = prefix(198, 18, 0, 1, 0)}),
        "prefix length of 1 to 32");
    CHILD_EXPECT_NETLINK_ERROR(
        f, ensure_bridge({.name = "bt-br4", .address = prefix(198, 18, 0, 1, 24), .mtu = 60}),
        "below the IPv4 minimum");
    CHILD_EXPECT(f, !find_link("bt-br4").has_value());
  });
}

TEST(NetlinkTest, EnsureBridgeExplainsMissingPrivileges) {
  run_in_new_netns([](Failures& f) {
    // Dropping to an unprivileged user inside the namespace takes away
    // CAP_NET_ADMIN: reading still works, creating does not.
    if (::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0) {
      f.add(__FILE__, __LINE__, std::string("cannot drop privileges: ") + std::strerror(errno));
      return;
    }
    CHILD_EXPECT(f, find_link("lo").has_value());
    CHILD_EXPECT_NETLINK_ERROR(
        f, ensure_bridge({.name = "bt-br6", .address = prefix(198, 18, 0, 1, 24)}),
        "cannot create bridge bt-br6: Operation not permitted (are you root?)");
  });
}

TEST(NetlinkTest, EnsureBridgeSetsTheConfiguredMac) {
  run_in_new_netns([](Failures& f) {
    const MacAddress first({0x02, 0x00, 0x5e, 0x10, 0x00, 0x01});
    const LinkInfo made =
        ensure_bridge({.name = "bt-br0", .address = prefix(198, 18, 0, 1, 24), .mac = first});
    CHILD_EXPECT(f, made.mac == first);
    CHILD_EXPECT(f, made.name == "bt-br0");
    CHILD_EXPECT(f, made.kind == "bridge");
    CHILD_EXPECT(f, made.master == 0);

    // An existing bridge gets the new MAC; no MAC in the spec leaves it.
    const LinkInfo changed =
        ensure_bridge({.name = "bt-br0", .address = prefix(198, 18, 0, 1, 24), .mac = kMac});
    CHILD_EXPECT(f, changed.ifindex == made.ifindex);
    CHILD_EXPECT(f, changed.mac == kMac);
    const LinkInfo kept = ensure_bridge({.name = "bt-br0", .address = prefix(198, 18, 0, 1, 24)});
    CHILD_EXPECT(f, kept.mac == kMac);
    RawNetlink raw;
    CHILD_EXPECT(f, raw.link("bt-br0") && raw.link("bt-br0")->mac == kMac);

    const MacAddress multicast({0x01, 0x00, 0x5e, 0x00, 0x00, 0x01});
    CHILD_EXPECT_NETLINK_ERROR(
        f,
        ensure_bridge({.name = "bt-br0", .address = prefix(198, 18, 0, 1, 24), .mac = multicast}),
        "the MAC address of bridge bt-br0 01:00:5e:00:00:01 is a multicast address");
    CHILD_EXPECT_NETLINK_ERROR(
        f,
        ensure_bridge(
            {.name = "bt-br0", .address = prefix(198, 18, 0, 1, 24), .mac = MacAddress()}),
        "must not be 00:00:00:00:00:00");
    CHILD_EXPECT(f, raw.link("bt-br0")->mac == kMac);
  });
}

TEST(NetlinkTest, EnslaveUplinkRefusesTheDefaultRouteUnlessForced) {
  run_in_new_netns([](Failures& f) {
    const LinkInfo br0 = ensure_bridge({.name = "bt-br0", .address = prefix(198, 18, 0, 1, 24)});
    ensure_bridge({.name = "bt-br1", .address = prefix(198, 18, 1, 1, 24)});
    RawNetlink raw;
    raw.add_veth("bt-up0", "bt-up1");
    raw.set_up("bt-up0");
    raw.address("bt-up0", prefix(198, 19, 0, 2, 24), true);
    raw.add_route(prefix(0, 0, 0, 0, 0), "bt-up0", RT_TABLE_MAIN);
    CHILD_EXPECT(f, default_route_interfaces() == std::vector<std::string>{"bt-up0"});

    CHILD_EXPECT_NETLINK_ERROR(f, enslave_uplink("bt-br0", "bt-missing", false),
                               "uplink bt-missing for bridge bt-br0 does not exist");
    CHILD_EXPECT_NETLINK_ERROR(f, enslave_uplink("bt-br0", "bt-br1", false),
                               "uplink bt-br1 for bridge bt-br0 is itself a bridge");
    CHILD_EXPECT_NETLINK_ERROR(f, enslave_uplink("bt-nobr", "bt-up1", false),
                               "bridge bt-nobr does not exist");
    CHILD_EXPECT_NETLINK_ERROR(f, enslave_uplink("bt-up1", "bt-up0", false),
                               "interface bt-up1 is not a bridge");
    CHILD_EXPECT_NETLINK_ERROR(f, enslave_uplink("bt-br0", "bt-up0", false),
                               "uplink bt-up0 carries the host's IPv4 default route");
    CHILD_EXPECT(f, find_link("bt-up0")->master == 0);

    enslave_uplink("bt-br0", "bt-up0", true);
    CHILD_EXPECT(f, find_link("bt-up0")->master == br0.ifindex);
    enslave_uplink("bt-br0", "bt-up0", false);  // already there: fine, even unforced
    CHILD_EXPECT_NETLINK_ERROR(f, enslave_uplink("bt-br1", "bt-up0", true),
                               "uplink bt-up0 for bridge bt-br1 is already a port of bt-br0");

    // An interface without the default route needs no force and comes up.
    CHILD_EXPECT(f, !find_link("bt-up1")->up);
    enslave_uplink("bt-br0", "bt-up1", false);
    const auto up1 = find_link("bt-up1");
    CHILD_EXPECT(f, up1 && up1->master == br0.ifindex && up1->up);
  });
}

TEST(NetlinkTest, DeleteLinkRemovesAndToleratesMissingLinks) {
  run_in_new_netns([](Failures& f) {
    ensure_bridge({.name = "bt-br0", .address = prefix(198, 18, 0, 1, 24)});
    RawNetlink raw;
    raw.add_veth("bt-v0", "bt-v1");
    delete_link("bt-br0");
    CHILD_EXPECT(f, !find_link("bt-br0").has_value());
    delete_link("bt-br0");  // already gone: nothing to do
    delete_link("bt-v1");   // a veth takes its peer along
    CHILD_EXPECT(f, !find_link("bt-v0").has_value());
    CHILD_EXPECT_NETLINK_ERROR(f, delete_link(""), "must not be empty");
  });
}

}  // namespace
}  // namespace berth::bridge
