// A bridge's IPv6 side: IPv6 switched on for the bridge, the kernel told
// that this host is the link's router (it does not learn from RAs there),
// and the bridge's own address added without duplicate address detection,
// so the DNS server can bind it at once.
#include <linux/if_addr.h>
#include <netlink/errno.h>
#include <netlink/route/addr.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "bridge/libnl.hpp"
#include "bridge/netlink.hpp"

namespace berth::bridge::nl {

namespace {

std::optional<Ipv6Prefix> ipv6_prefix_of(const nl_addr* a, int length) {
  if (a == nullptr || nl_addr_get_len(a) != 16 || length < 0 || length > 128) return std::nullopt;
  return Ipv6Prefix{
      .address = Ipv6Address::from_bytes(ByteView(
          static_cast<const uint8_t*>(nl_addr_get_binary_addr(const_cast<nl_addr*>(a))), 16)),
      .length = static_cast<uint8_t>(length)};
}

void add_ipv6_address(nl_sock* sock, int ifindex, const std::string& name,
                      const Ipv6Prefix& address) {
  const std::string what = "add address " + address.to_string() + " to bridge " + name;
  for (const Ipv6Prefix& have : ipv6_addresses(sock, ifindex, name)) {
    if (have == address) return;
    if (have.address == address.address) {
      throw NetlinkError("cannot " + what + ": the bridge already has " + have.to_string() +
                         " (same address, different prefix length); remove it or change the "
                         "configured address");
    }
  }
  Addr addr(rtnl_addr_alloc());
  if (!addr) throw NetlinkError("cannot " + what + ": out of memory");
  rtnl_addr_set_ifindex(addr.get(), ifindex);
  rtnl_addr_set_family(addr.get(), AF_INET6);
  const auto& bytes = address.address.to_bytes();
  NlAddr local(nl_addr_build(AF_INET6, bytes.data(), bytes.size()));
  if (!local) throw NetlinkError("cannot " + what + ": out of memory");
  nl_addr_set_prefixlen(local.get(), address.length);
  if (int err = rtnl_addr_set_local(addr.get(), local.get()); err < 0) {
    throw NetlinkError("cannot " + what + ": " + describe(err));
  }
  rtnl_addr_set_prefixlen(addr.get(), address.length);
  // The router's own address: no DAD, so it is usable (bindable) at once
  // rather than tentative for a second or more.
  rtnl_addr_set_flags(addr.get(), IFA_F_NODAD);
  const int err = rtnl_addr_add(sock, addr.get(), 0);
  if (err == -NLE_EXIST) return;
  if (err < 0) throw NetlinkError("cannot " + what + ": " + describe(err));
}

}  // namespace

std::vector<Ipv6Prefix> ipv6_addresses(nl_sock* sock, int ifindex, const std::string& name) {
  nl_cache* raw = nullptr;
  const int err = rtnl_addr_alloc_cache(sock, &raw);
  Cache cache(raw);
  if (err < 0) {
    throw NetlinkError("cannot list the addresses of " + name + ": " + describe(err));
  }
  std::vector<Ipv6Prefix> out;
  for (nl_object* obj = nl_cache_get_first(cache.get()); obj != nullptr;
       obj = nl_cache_get_next(obj)) {
    auto* addr = reinterpret_cast<rtnl_addr*>(obj);
    if (rtnl_addr_get_family(addr) != AF_INET6) continue;
    if (ifindex != 0 && rtnl_addr_get_ifindex(addr) != ifindex) continue;
    if (auto p = ipv6_prefix_of(rtnl_addr_get_local(addr), rtnl_addr_get_prefixlen(addr))) {
      out.push_back(*p);
    }
  }
  return out;
}

void write_ipv6_conf(const std::string& link, std::string_view key, std::string_view value) {
  const std::string path = "/proc/sys/net/ipv6/conf/" + link + "/" + std::string(key);
  std::ofstream out(path);
  if (out) out << value << '\n';
  out.close();
  if (!out) {
    const int e = errno;
    std::string text = "cannot set " + path + " to " + std::string(value) + ": " +
                       (e != 0 ? std::strerror(e) : "write failed");
    if (e == ENOENT) text += " (is IPv6 disabled in this kernel or namespace?)";
    throw NetlinkError(text);
  }
}

void ensure_bridge_ipv6(nl_sock* sock, int ifindex, const std::string& name,
                        const Ipv6Prefix& address) {
  write_ipv6_conf(name, "disable_ipv6", "0");
  // berthd is the router of this link: the kernel must not configure the
  // bridge from advertisements (its own or a rogue one).
  write_ipv6_conf(name, "accept_ra", "0");
  write_ipv6_conf(name, "autoconf", "0");
  add_ipv6_address(sock, ifindex, name, address);
}

}  // namespace berth::bridge::nl
