// bridge/netlink against the real kernel. Each test that touches links runs
// in a child in a fresh network namespace (tests/unit/bridge/netns_child.hpp),
// so nothing is ever created in the host's namespace. Needs root, skips
// otherwise. choose_auto_subnet is pure and tested without a kernel.
#include "bridge/netlink.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/unit/bridge/netns_child.hpp"

namespace berth::bridge {
namespace {

using test::current_netns_fd;
using test::Failures;
using test::new_netns_fd;
using test::run_in_new_netns;

Ipv4Prefix prefix(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint8_t length) {
  const std::array<uint8_t, 4> bytes{a, b, c, d};
  return Ipv4Prefix{.address = Ipv4Address::from_bytes(ByteView(bytes)), .length = length};
}

bool has_address(const LinkInfo& info, const Ipv4Prefix& p) {
  return std::count(info.addresses.begin(), info.addresses.end(), p) == 1;
}

// Raw libnl access for setting up and inspecting the child's namespace
// independently of the code under test.
struct RawNetlink {
  nl_sock* sock = nullptr;
  RawNetlink() { connect(); }
  // A socket in the namespace `netns_fd`: a short-lived thread enters it and
  // opens the socket, which stays in that namespace afterwards.
  explicit RawNetlink(int netns_fd) {
    std::thread([&] {
      if (::setns(netns_fd, CLONE_NEWNET) == 0) connect_quietly();
    }).join();
    if (sock == nullptr) throw std::runtime_error("test cannot open a netlink socket there");
  }
  ~RawNetlink() { nl_socket_free(sock); }
  void connect() {
    connect_quietly();
    if (sock == nullptr) throw std::runtime_error("test cannot open a netlink socket");
  }
  void connect_quietly() {
    sock = nl_socket_alloc();
    if (sock != nullptr && nl_connect(sock, NETLINK_ROUTE) < 0) {
      nl_socket_free(sock);
      sock = nullptr;
    }
  }
  RawNetlink(const RawNetlink&) = delete;
  RawNetlink& operator=(const RawNetlink&) = delete;

  void add_veth(const std::string& name, const std::string& peer) {
    if (int err = rtnl_link_veth_add(sock, name.c_str(), peer.c_str(), ::getpid()); err < 0) {
      throw std::runtime_error(std::string("test cannot add veth: ") + nl_geterror(err));
    }
  }
  // Both ends in this socket's namespace.
  void add_local_veth(const std::string& name, const std::string& peer) {
    rtnl_link* veth = rtnl_link_veth_alloc();
    rtnl_link_set_name(veth, name.c_str());
    rtnl_link* other = rtnl_link_veth_get_peer(veth);
    rtnl_link_set_name(other, peer.c_str());
    rtnl_link_put(other);
    const int err = rtnl_link_add(sock, veth, NLM_F_CREATE | NLM_F_EXCL);
    rtnl_link_veth_release(veth);
    if (err < 0) throw std::runtime_error(std::string("test cannot add veth: ") + nl_geterror(err));
  }
  void add_bridge(const std::string& name) {
    if (int err = rtnl_link_bridge_add(sock, name.c_str()); err < 0) {
      throw std::runtime_error(std::string("test cannot add bridge: ") + nl_geterror(err));
    }
  }
  // The broadcast address the kernel stores next to `p` on `ifindex`, as a
  // host-order integer; 0 when the address has none or is missing.
  uint32_t broadcast_of(int ifindex, const Ipv4Prefix& p) {
    nl_cache* cache = nullptr;
    if (int err = rtnl_addr_alloc_cache(sock, &cache); err < 0) {
      throw std::runtime_error(std::string("test cannot list addresses: ") + nl_geterror(err));
    }
    uint32_t result = 0;
    for (nl_object* obj = nl_cache_get_first(cache); obj; obj = nl_cache_get_next(obj)) {
      auto* addr = reinterpret_cast<rtnl_addr*>(obj);
      if (rtnl_addr_get_family(addr) != AF_INET || rtnl_addr_get_ifindex(addr) != ifindex) continue;
      const nl_addr* local = rtnl_addr_get_local(addr);
      std::array<uint8_t, 4> bytes{};
      std::memcpy(bytes.data(), nl_addr_get_binary_addr(local), 4);
      if (Ipv4Address::from_bytes(ByteView(bytes)) != p.address) continue;
      if (const nl_addr* brd = rtnl_addr_get_broadcast(addr); brd && nl_addr_get_len(brd) == 4) {
        std::memcpy(bytes.data(), nl_addr_get_binary_addr(brd), 4);
        result = Ipv4Address::from_bytes(ByteView(bytes)).value();
      }
    }
    nl_cache_free(cache);
    return result;
  }

  // What the kernel reports about a link, read without the code under test.
  struct Seen {
    int ifindex = 0;
    std::string kind;
    unsigned flags = 0;
    MacAddress mac;
    uint32_t mtu = 0;
    int master = 0;
    int peer_ifindex = 0;  // IFLA_LINK
  };
  std::optional<Seen> link(const std::string& name) {
    rtnl_link* l = nullptr;
    const int err = rtnl_link_get_kernel(sock, 0, name.c_str(), &l);
    if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) return std::nullopt;
    if (err < 0) throw std::runtime_error(std::string("test cannot get link: ") + nl_geterror(err));
    Seen seen;
    seen.ifindex = rtnl_link_get_ifindex(l);
    if (const char* type = rtnl_link_get_type(l)) seen.kind = type;
    seen.flags = rtnl_link_get_flags(l);
    if (const nl_addr* a = rtnl_link_get_addr(l); a && nl_addr_get_len(a) == 6) {
      seen.mac = MacAddress::from_bytes(
          ByteView(static_cast<const uint8_t*>(nl_addr_get_binary_addr(a)), 6));
    }
    seen.mtu = rtnl_link_get_mtu(l);
    seen.master = rtnl_link_get_master(l);
    seen.peer_ifindex = rtnl_link_get_link(l);
    rtnl_link_put(l);
    return seen;
  }
  int ifindex(const std::string& name) {
    const auto seen = link(name);
    if (!seen) throw std::runtime_error("test: no link " + name);
    return seen->ifindex;
  }
  size_t count_links_of_kind(const std::string& kind) {
    nl_cache* cache = nullptr;
    if (int err = rtnl_link_alloc_cache(sock, AF_UNSPEC, &cache); err < 0) {
      throw std::runtime_error(std::string("test cannot list links: ") + nl_geterror(err));
    }
    size_t n = 0;
    for (nl_object* obj = nl_cache_get_first(cache); obj; obj = nl_cache_get_next(obj)) {
      const char* type = rtnl_link_get_type(reinterpret_cast<rtnl_link*>(obj));
      if (type != nullptr && kind == type) ++n;
    }
    nl_cache_free(cache);
    return n;
  }
  void change(const std::string& name, unsigned up_flag, std::optional<int> master) {
    rtnl_link* changes = rtnl_link_alloc();
    rtnl_link* l = nullptr;
    if (int err = rtnl_link_get_kernel(sock, 0, name.c_str(), &l); err < 0) {
      rtnl_link_put(changes);
      throw std::runtime_error(std::string("test cannot get link: ") + nl_geterror(err));
    }
    if (up_flag != 0) rtnl_link_set_flags(changes, up_flag);
    if (master) rtnl_link_set_master(changes, *master);
    const int err = rtnl_link_change(sock, l, changes, 0);
    rtnl_link_put(l);
    rtnl_link_put(changes);
    if (err < 0)
      throw std::runtime_error(std::string("test cannot change link: ") + nl_geterror(err));
  }
  void set_up(const std::string& name) { change(name, IFF_UP, std::nullopt); }
  static nl_addr* ipv4(const Ipv4Prefix& p) {
    const auto bytes = p.address.to_bytes();
    nl_addr* a = nl_addr_build(AF_INET, bytes.data(), bytes.size());
    nl_addr_set_prefixlen(a, p.length);
    return a;
  }
  void address(const std::string& name, const Ipv4Prefix& p, bool add) {
    rtnl_addr* addr = rtnl_addr_alloc();
    rtnl_addr_set_ifindex(addr, ifindex(name));
    rtnl_addr_set_family(addr, AF_INET);
    nl_addr* local = ipv4(p);
    rtnl_addr_set_local(addr, local);
    nl_addr_put(local);
    rtnl_addr_set_prefixlen(addr, p.length);
    const int err = add ? rtnl_addr_add(sock, addr, 0) : rtnl_addr_delete(sock, addr, 0);
    rtnl_addr_put(addr);
    if (err < 0)
      throw std::runtime_error(std::string("test cannot change address: ") + nl_geterror(err));
  }
  void add_route(const Ipv4Prefix& dst, const std::string& dev, uint32_t table) {
    rtnl_route* route = rtnl_route_alloc();
    rtnl_route_set_family(route, AF_INET);
    rtnl_route_set_table(route, table);
    rtnl_route_set_scope(route, RT_SCOPE_LINK);
    nl_addr* d = ipv4(dst);
    rtnl_route_set_dst(route, d);
    nl_addr_put(d);
    rtnl_nexthop* hop = rtnl_route_nh_alloc();
    rtnl_route_nh_set_ifindex(hop, ifindex(dev));
    rtnl_route_add_nexthop(route, hop);  // the route owns the nexthop now
    const int err = rtnl_route_add(sock, route, NLM_F_CREATE | NLM_F_EXCL);
    rtnl_route_put(route);
    if (err < 0)
      throw std::runtime_error(std::string("test cannot add route: ") + nl_geterror(err));
  }
};

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

// Closes a namespace fd when the test body ends.
struct Fd {
  int fd;
  explicit Fd(int f) : fd(f) {}
  ~Fd() { ::close(fd); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

const MacAddress kMac({0x02, 0x42, 0xc6, 0x12, 0x00, 0x07});

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

TEST(NetlinkTest, AttachVethPutsOneEndInsideAndOneOnTheBridge) {
  run_in_new_netns([](Failures& f) {
    const LinkInfo br =
        ensure_bridge({.name = "bt-br0", .address = prefix(198, 18, 0, 1, 24), .mtu = 1400});
    const Fd ns(new_netns_fd());
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

TEST(NetlinkTest, AttachIntoTheCurrentNamespaceWorksToo) {
  run_in_new_netns([](Failures& f) {
    const LinkInfo br = ensure_bridge({.name = "bt-br0", .address = prefix(198, 18, 0, 1, 24)});
    const Fd self(current_netns_fd());
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

TEST(NetlinkTest, AttachAndDetachRefuseWhatIsNotTheirs) {
  run_in_new_netns([](Failures& f) {
    ensure_bridge({.name = "bt-br0", .address = prefix(198, 18, 0, 1, 24)});
    ensure_bridge({.name = "bt-br1", .address = prefix(198, 18, 1, 1, 24)});
    const Fd ns(new_netns_fd());
    RawNetlink host;
    RawNetlink inside(ns.fd);
    host.add_veth("bt-v0", "bt-v1");

    CHILD_EXPECT_NETLINK_ERROR(f, attach_veth({.bridge = "bt-nobr", .netns_fd = ns.fd}),
                               "bridge bt-nobr does not exist");
    CHILD_EXPECT_NETLINK_ERROR(f, attach_veth({.bridge = "bt-v0", .netns_fd = ns.fd}),
                               "interface bt-v0 is not a bridge (it is a veth interface)");
    CHILD_EXPECT_NETLINK_ERROR(f, attach_veth({.bridge = "bt-br0"}), "no network namespace given");
    const Fd not_a_netns(::open("/dev/null", O_RDONLY | O_CLOEXEC));
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

TEST(NetlinkTest, HostAddressesRoutesAndDefaultRouteInterfaces) {
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
