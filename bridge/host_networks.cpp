// What the host uses already (addresses, routes, default-route interfaces),
// and the choice of a free subnet for address = "auto".
#include <net/if.h>
#include <netlink/cache.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>

#include "bridge/libnl.hpp"
#include "bridge/netlink.hpp"

namespace berth::bridge {

using namespace nl;

namespace {

Cache link_cache(nl_sock* sock) {
  nl_cache* raw = nullptr;
  const int err = rtnl_link_alloc_cache(sock, AF_UNSPEC, &raw);
  Cache cache(raw);
  if (err < 0) throw NetlinkError("cannot list the network interfaces: " + describe(err));
  return cache;
}

Cache route_cache(nl_sock* sock) {
  nl_cache* raw = nullptr;
  const int err = rtnl_route_alloc_cache(sock, AF_INET, 0, &raw);
  Cache cache(raw);
  if (err < 0) throw NetlinkError("cannot list the IPv4 routes: " + describe(err));
  return cache;
}

void sort_unique(std::vector<Ipv4Prefix>& v) {
  std::sort(v.begin(), v.end(), [](const Ipv4Prefix& a, const Ipv4Prefix& b) {
    return a.address != b.address ? a.address < b.address : a.length < b.length;
  });
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

}  // namespace

std::vector<Ipv4Prefix> host_ipv4_addresses() {
  Socket sock = open_socket();
  std::vector<Ipv4Prefix> out = ipv4_addresses(sock.get(), 0, "the host");
  sort_unique(out);
  return out;
}

std::vector<Ipv4Prefix> host_ipv4_routes() {
  Socket sock = open_socket();
  Cache cache = route_cache(sock.get());
  std::vector<Ipv4Prefix> out;
  for (nl_object* obj = nl_cache_get_first(cache.get()); obj != nullptr;
       obj = nl_cache_get_next(obj)) {
    auto* route = reinterpret_cast<rtnl_route*>(obj);  // a route cache holds rtnl_route
    if (rtnl_route_get_family(route) != AF_INET) continue;
    const nl_addr* dst = rtnl_route_get_dst(route);
    if (dst == nullptr) continue;
    const auto p = ipv4_prefix_of(dst, static_cast<int>(nl_addr_get_prefixlen(dst)));
    if (!p || p->length == 0) continue;
    out.push_back(Ipv4Prefix{.address = p->network(), .length = p->length});
  }
  sort_unique(out);
  return out;
}

std::vector<std::string> default_route_interfaces() {
  Socket sock = open_socket();
  Cache routes = route_cache(sock.get());
  Cache links = link_cache(sock.get());
  std::vector<std::string> out;
  for (nl_object* obj = nl_cache_get_first(routes.get()); obj != nullptr;
       obj = nl_cache_get_next(obj)) {
    auto* route = reinterpret_cast<rtnl_route*>(obj);
    if (rtnl_route_get_family(route) != AF_INET) continue;
    const nl_addr* dst = rtnl_route_get_dst(route);
    if (dst != nullptr && nl_addr_get_prefixlen(dst) != 0) continue;
    const int hops = rtnl_route_get_nnexthops(route);
    for (int i = 0; i < hops; ++i) {
      rtnl_nexthop* hop = rtnl_route_nexthop_n(route, i);
      if (hop == nullptr) continue;
      const int ifindex = rtnl_route_nh_get_ifindex(hop);
      if (ifindex <= 0) continue;
      std::array<char, IFNAMSIZ> name{};
      if (rtnl_link_i2name(links.get(), ifindex, name.data(), name.size()) == nullptr) continue;
      out.emplace_back(name.data());
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::optional<Ipv4Prefix> choose_auto_subnet(std::string_view bridge_name,
                                             const std::vector<Ipv4Prefix>& in_use) {
  // FNV-1a, 32 bits: fixed across compilers and runs, unlike std::hash.
  uint32_t hash = 2166136261u;
  for (char c : bridge_name) {
    hash ^= static_cast<uint8_t>(c);
    hash *= 16777619u;
  }
  const uint32_t start = (hash ^ (hash >> 16)) & 0xffffu;
  auto overlaps = [](const Ipv4Prefix& a, const Ipv4Prefix& b) {
    const uint8_t length = std::min<uint8_t>(std::min<uint8_t>(a.length, b.length), 32);
    const Ipv4Prefix shorter{.address = a.address, .length = length};
    return shorter.contains(b.address);
  };
  for (uint32_t i = 0; i < 0x10000u; ++i) {
    const uint32_t xy = (start + i) & 0xffffu;
    const Ipv4Prefix candidate{.address = Ipv4Address(0x0a000000u | xy << 8 | 1u), .length = 24};
    const bool taken = std::any_of(in_use.begin(), in_use.end(),
                                   [&](const Ipv4Prefix& p) { return overlaps(candidate, p); });
    if (!taken) return candidate;
  }
  return std::nullopt;
}

}  // namespace berth::bridge
