// Helpers the bridge/ netlink tests share: prefixes, a namespace fd that
// closes itself, and raw libnl access for setting up and inspecting a
// namespace independently of the code under test.
#pragma once

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
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "bridge/netlink.hpp"

namespace berth::test {

inline Ipv4Prefix prefix(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint8_t length) {
  const std::array<uint8_t, 4> bytes{a, b, c, d};
  return Ipv4Prefix{.address = Ipv4Address::from_bytes(ByteView(bytes)), .length = length};
}

inline bool has_address(const bridge::LinkInfo& info, const Ipv4Prefix& p) {
  return std::count(info.addresses.begin(), info.addresses.end(), p) == 1;
}

// A locally administered unicast MAC the tests configure.
inline const MacAddress kMac({0x02, 0x42, 0xc6, 0x12, 0x00, 0x07});

// Closes a namespace fd when the test body ends.
struct NetnsFd {
  int fd;
  explicit NetnsFd(int f) : fd(f) {}
  ~NetnsFd() { ::close(fd); }
  NetnsFd(const NetnsFd&) = delete;
  NetnsFd& operator=(const NetnsFd&) = delete;
};

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

}  // namespace berth::test
