// bridge/veth.cpp against the real kernel: veth pairs between a bridge and
// another network namespace. Each test runs in a child in a fresh network
// namespace (tests/unit/bridge/netns_child.hpp), so nothing is ever created in
// the host's namespace. Needs root, skips otherwise.
#include <fcntl.h>

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

using test::current_netns_fd;
using test::Failures;
using test::kMac;
using test::NetnsFd;
using test::new_netns_fd;
using test::prefix;
using test::RawNetlink;
using test::run_in_new_netns;

TEST(VethTest, AttachVethPutsOneEndInsideAndOneOnTheBridge) {
  run_in_new_netns([](Failures& f) {
    const LinkInfo br =
        ensure_bridge({.name = "bt-br0", .address = prefix(198, 18, 0, 1, 24), .mtu = 1400});
    const NetnsFd ns(new_netns_fd());
    RawNetlink host;
    RawNetlink inside(ns.fd);

    const Attached a = attach_veth({.bridge = "bt-br0", .netns_fd = ns.fd, .mac = kMac});
    CHILD_EXPECT(f, a.ifname == "eth0");
    CHILD_EXPECT(f, a.mac == kMac);
    CHILD_EXPECT(f, a.host_ifname.size() == 10 && a.host_ifname.rfind("vb", 0) == 0);
    CHILD_EXPECT(f, a.host_ifname.find_first_not_of("0123456789abcdef", 2) == std::string::npos);

    const auto in = inside.link("eth0");
    CHILD_EXPECT(f, in.has_value());
    if (in) {
      CHILD_EXPECT(f, in->kind == "veth");
      CHILD_EXPECT(f, in->mac == kMac);
      CHILD_EXPECT(f, (in->flags & IFF_UP) != 0);
      CHILD_EXPECT(f, in->mtu == 1400);
    }
    const auto out = find_link(a.host_ifname);
    CHILD_EXPECT(f, out.has_value());
    if (out) {
      CHILD_EXPECT(f, out->ifindex == a.host_ifindex);
      CHILD_EXPECT(f, out->kind == "veth");
      CHILD_EXPECT(f, out->master == br.ifindex);
      CHILD_EXPECT(f, out->up);
      CHILD_EXPECT(f, out->mtu == 1400);
    }
    // The pair points at each other across the two namespaces.
    CHILD_EXPECT(f, in && host.link(a.host_ifname)->peer_ifindex == in->ifindex);
    CHILD_EXPECT(f, in && in->peer_ifindex == a.host_ifindex);
    CHILD_EXPECT(f, !find_link("eth0").has_value());

    // A second interface with a chosen host name and the kernel's MAC.
    const Attached b = attach_veth(
        {.bridge = "bt-br0", .netns_fd = ns.fd, .ifname = "eth1", .host_ifname = "bt-h1"});
    CHILD_EXPECT(f, b.host_ifname == "bt-h1");
    CHILD_EXPECT(f, !b.mac.is_zero() && b.mac != kMac);
    CHILD_EXPECT(f, inside.link("eth1") && inside.link("eth1")->mac == b.mac);
    CHILD_EXPECT(f, find_link("bt-h1") && find_link("bt-h1")->master == br.ifindex);

    CHILD_EXPECT_NETLINK_ERROR(f, attach_veth({.bridge = "bt-br0", .netns_fd = ns.fd}),
                               "interface eth0 already exists in the target network namespace");
    CHILD_EXPECT_NETLINK_ERROR(
        f,
        attach_veth(
            {.bridge = "bt-br0", .netns_fd = ns.fd, .ifname = "eth2", .host_ifname = "bt-h1"}),
        "host interface bt-h1 already exists");
    CHILD_EXPECT(f, host.count_links_of_kind("veth") == 2);
    CHILD_EXPECT(f, inside.count_links_of_kind("veth") == 2);

    detach_veth("bt-br0", ns.fd, "eth0");
    CHILD_EXPECT(f, !inside.link("eth0").has_value());
    CHILD_EXPECT(f, !find_link(a.host_ifname).has_value());
    CHILD_EXPECT(f, inside.link("eth1").has_value());
    CHILD_EXPECT_NETLINK_ERROR(f, detach_veth("bt-br0", ns.fd, "eth0"),
                               "cannot detach eth0 from bridge bt-br0: there is no interface eth0");
    detach_veth("bt-br0", ns.fd, "eth1");
    CHILD_EXPECT(f, !find_link("bt-h1").has_value());
    CHILD_EXPECT(f, host.count_links_of_kind("veth") == 0);
    CHILD_EXPECT(f, inside.count_links_of_kind("veth") == 0);
  });
}

TEST(VethTest, AttachIntoTheCurrentNamespaceWorksToo) {
  run_in_new_netns([](Failures& f) {
    const LinkInfo br = ensure_bridge({.name = "bt-br0", .address = prefix(198, 18, 0, 1, 24)});
    const NetnsFd self(current_netns_fd());
    const Attached a = attach_veth({.bridge = "bt-br0", .netns_fd = self.fd, .ifname = "bt-in0"});
    const auto in = find_link("bt-in0");
    CHILD_EXPECT(f, in && in->up && in->master == 0 && in->mac == a.mac);
    CHILD_EXPECT(f, find_link(a.host_ifname) && find_link(a.host_ifname)->master == br.ifindex);
    // Seen from the other end, the pair is the wrong way round.
    CHILD_EXPECT_NETLINK_ERROR(f, detach_veth("bt-br0", self.fd, a.host_ifname),
                               "its peer bt-in0 is not a port of any bridge");
    detach_veth("bt-br0", self.fd, "bt-in0");
    CHILD_EXPECT(f, !find_link("bt-in0").has_value());
    CHILD_EXPECT(f, !find_link(a.host_ifname).has_value());

    // Both ends with one name in one namespace: the kernel refuses the
    // request and nothing is left behind.
    CHILD_EXPECT_NETLINK_ERROR(f,
                               attach_veth({.bridge = "bt-br0",
                                            .netns_fd = self.fd,
                                            .ifname = "bt-same",
                                            .host_ifname = "bt-same"}),
                               "cannot create veth pair bt-same / bt-same on bridge bt-br0");
    CHILD_EXPECT(f, !find_link("bt-same").has_value());
    RawNetlink raw;
    CHILD_EXPECT(f, raw.count_links_of_kind("veth") == 0);
  });
}

TEST(VethTest, AttachAndDetachRefuseWhatIsNotTheirs) {
  run_in_new_netns([](Failures& f) {
    ensure_bridge({.name = "bt-br0", .address = prefix(198, 18, 0, 1, 24)});
    ensure_bridge({.name = "bt-br1", .address = prefix(198, 18, 1, 1, 24)});
    const NetnsFd ns(new_netns_fd());
    RawNetlink host;
    RawNetlink inside(ns.fd);
    host.add_veth("bt-v0", "bt-v1");

    CHILD_EXPECT_NETLINK_ERROR(f, attach_veth({.bridge = "bt-nobr", .netns_fd = ns.fd}),
                               "bridge bt-nobr does not exist");
    CHILD_EXPECT_NETLINK_ERROR(f, attach_veth({.bridge = "bt-v0", .netns_fd = ns.fd}),
                               "interface bt-v0 is not a bridge (it is a veth interface)");
    CHILD_EXPECT_NETLINK_ERROR(f, attach_veth({.bridge = "bt-br0"}), "no network namespace given");
    const NetnsFd not_a_netns(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    CHILD_EXPECT_NETLINK_ERROR(f, attach_veth({.bridge = "bt-br0", .netns_fd = not_a_netns.fd}),
                               "cannot enter the network namespace of file descriptor");
    CHILD_EXPECT_NETLINK_ERROR(
        f,
        attach_veth(
            {.bridge = "bt-br0", .netns_fd = ns.fd, .mac = MacAddress({0x33, 0x33, 0, 0, 0, 1})}),
        "the MAC address for eth0 33:33:00:00:00:01 is a multicast address");
    CHILD_EXPECT_NETLINK_ERROR(
        f, attach_veth({.bridge = "bt-br0", .netns_fd = ns.fd, .ifname = "a-much-too-long-name"}),
        "interface name \"a-much-too-long-name\" is too long");
    CHILD_EXPECT(f, host.count_links_of_kind("veth") == 2);  // just bt-v0/bt-v1
    CHILD_EXPECT(f, inside.count_links_of_kind("veth") == 0);

    // On bt-br1, not bt-br0: detach through bt-br0 is refused, changes nothing.
    const Attached a = attach_veth({.bridge = "bt-br1", .netns_fd = ns.fd});
    CHILD_EXPECT_NETLINK_ERROR(f, detach_veth("bt-br0", ns.fd, "eth0"),
                               "cannot detach eth0 from bridge bt-br0: its peer " + a.host_ifname +
                                   " is a port of bt-br1");
    // Released from its bridge: a port of nothing.
    host.change(a.host_ifname, 0, 0);
    CHILD_EXPECT_NETLINK_ERROR(f, detach_veth("bt-br1", ns.fd, "eth0"),
                               "is not a port of any bridge");
    CHILD_EXPECT(f, inside.link("eth0").has_value());
    CHILD_EXPECT(f, find_link(a.host_ifname).has_value());

    CHILD_EXPECT_NETLINK_ERROR(f, detach_veth("bt-br0", ns.fd, "lo"),
                               "cannot detach lo from bridge bt-br0: it is a physical or untyped "
                               "interface, not a veth");
    CHILD_EXPECT_NETLINK_ERROR(f, detach_veth("bt-nobr", ns.fd, "eth0"),
                               "bridge bt-nobr does not exist");
    // A veth whose both ends live in the other namespace: its peer's
    // ifindex means nothing here, even where a host link has that number.
    inside.add_local_veth("bt-i0", "bt-i1");
    CHILD_EXPECT(f, inside.link("bt-i1").has_value());
    CHILD_EXPECT_NETLINK_ERROR(f, detach_veth("bt-br0", ns.fd, "bt-i0"),
                               "its veth peer is not in this namespace");
    CHILD_EXPECT(f, inside.link("bt-i0").has_value());
    // A pair from inside to here that is on no bridge.
    inside.add_veth("bt-i2", "bt-i3");  // the peer goes to this process's namespace
    CHILD_EXPECT(f, find_link("bt-i3").has_value());
    CHILD_EXPECT_NETLINK_ERROR(f, detach_veth("bt-br0", ns.fd, "bt-i2"),
                               "its peer bt-i3 is not a port of any bridge");
    // A host veth on the bridge is not inside the namespace at all.
    host.change("bt-v0", 0, find_link("bt-br0")->ifindex);
    CHILD_EXPECT_NETLINK_ERROR(f, detach_veth("bt-br0", ns.fd, "bt-v0"),
                               "there is no interface bt-v0 in that network namespace");
    CHILD_EXPECT(f, find_link("bt-v0").has_value());
  });
}

}  // namespace
}  // namespace berth::bridge
