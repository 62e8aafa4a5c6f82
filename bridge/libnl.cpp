#include "bridge/libnl.hpp"

#include <net/if.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <sys/socket.h>

#include <array>
#include <cctype>
#include <cstring>

namespace berth::bridge::nl {

std::string describe(int nl_error) {
  std::string text = nl_geterror(nl_error);
  const int code = nl_error < 0 ? -nl_error : nl_error;
  if (code == NLE_PERM || code == NLE_NOACCESS) text += " (are you root?)";
  return text;
}

void check_interface_name(const std::string& name, const std::string& role) {
  if (name.empty()) throw NetlinkError("a " + role + " must not be empty");
  if (name.size() >= IFNAMSIZ) {
    throw NetlinkError(role + " \"" + name + "\" is too long: Linux allows at most " +
                       std::to_string(IFNAMSIZ - 1) + " characters");
  }
  if (name == "." || name == "..") {
    throw NetlinkError("\"" + name + "\" is not a valid interface name");
  }
  for (char c : name) {
    if (c == '/' || c == ':' || c == '\0' || std::isspace(static_cast<unsigned char>(c))) {
      throw NetlinkError(role + " \"" + name +
                         "\" is not a valid interface name (no '/', ':' or spaces)");
    }
  }
}

void check_unicast_mac(const MacAddress& mac, const std::string& what) {
  if (mac.is_zero()) throw NetlinkError(what + " must not be 00:00:00:00:00:00");
  if ((mac.bytes()[0] & 0x01) != 0) {
    throw NetlinkError(what + " " + mac.to_string() +
                       " is a multicast address (the lowest bit of the first byte is set)");
  }
}

Socket open_socket() {
  Socket sock(nl_socket_alloc());
  if (!sock) throw NetlinkError("cannot allocate a netlink socket: out of memory");
  if (int err = nl_connect(sock.get(), NETLINK_ROUTE); err < 0) {
    throw NetlinkError("cannot open a route netlink socket: " + describe(err));
  }
  return sock;
}

Link get_link(nl_sock* sock, const std::string& name) {
  rtnl_link* raw = nullptr;
  const int err = rtnl_link_get_kernel(sock, 0, name.c_str(), &raw);
  Link link(raw);
  if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) return nullptr;
  if (err < 0) throw NetlinkError("cannot look up interface " + name + ": " + describe(err));
  if (!link) throw NetlinkError("cannot look up interface " + name + ": empty netlink answer");
  return link;
}

Link get_link(nl_sock* sock, int ifindex) {
  rtnl_link* raw = nullptr;
  const int err = rtnl_link_get_kernel(sock, ifindex, nullptr, &raw);
  Link link(raw);
  if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) return nullptr;
  if (err < 0) {
    throw NetlinkError("cannot look up interface #" + std::to_string(ifindex) + ": " +
                       describe(err));
  }
  return link;
}

std::string link_kind(rtnl_link* link) {
  const char* type = rtnl_link_get_type(link);
  return type != nullptr ? std::string(type) : std::string();
}

std::string link_name(rtnl_link* link) {
  const char* name = rtnl_link_get_name(link);
  return name != nullptr ? std::string(name) : std::string();
}

std::string describe_kind(rtnl_link* link) {
  const std::string kind = link_kind(link);
  return kind.empty() ? "a physical or untyped interface" : "a " + kind + " interface";
}

std::optional<Ipv4Prefix> ipv4_prefix_of(const nl_addr* a, int length) {
  if (a == nullptr || nl_addr_get_family(a) != AF_INET || length < 0 || length > 32) {
    return std::nullopt;
  }
  if (nl_addr_get_len(a) != 4) {
    // A route to 0.0.0.0/0 carries no destination bytes at all.
    if (length == 0) return Ipv4Prefix{};
    return std::nullopt;
  }
  std::array<uint8_t, 4> bytes{};
  std::memcpy(bytes.data(), nl_addr_get_binary_addr(a), bytes.size());
  return Ipv4Prefix{.address = Ipv4Address::from_bytes(ByteView(bytes)),
                    .length = static_cast<uint8_t>(length)};
}

std::vector<Ipv4Prefix> ipv4_addresses(nl_sock* sock, int ifindex, const std::string& name) {
  nl_cache* raw = nullptr;
  const int err = rtnl_addr_alloc_cache(sock, &raw);
  Cache cache(raw);
  if (err < 0) {
    throw NetlinkError("cannot list the addresses of " + name + ": " + describe(err));
  }
  std::vector<Ipv4Prefix> out;
  for (nl_object* obj = nl_cache_get_first(cache.get()); obj != nullptr;
       obj = nl_cache_get_next(obj)) {
    // Objects in a route/addr cache are rtnl_addr (libnl's documented usage).
    auto* addr = reinterpret_cast<rtnl_addr*>(obj);
    if (rtnl_addr_get_family(addr) != AF_INET) continue;
    if (ifindex != 0 && rtnl_addr_get_ifindex(addr) != ifindex) continue;
    const nl_addr* local = rtnl_addr_get_local(addr);
    if (local == nullptr || nl_addr_get_len(local) != 4) continue;
    if (auto p = ipv4_prefix_of(local, rtnl_addr_get_prefixlen(addr))) out.push_back(*p);
  }
  return out;
}

LinkInfo link_info(nl_sock* sock, rtnl_link* link, const std::string& name) {
  LinkInfo info;
  info.ifindex = rtnl_link_get_ifindex(link);
  info.name = link_name(link);
  info.kind = link_kind(link);
  info.master = rtnl_link_get_master(link);
  info.mtu = rtnl_link_get_mtu(link);
  info.up = (rtnl_link_get_flags(link) & IFF_UP) != 0;
  if (const nl_addr* mac = rtnl_link_get_addr(link); mac != nullptr && nl_addr_get_len(mac) == 6) {
    std::array<uint8_t, 6> bytes{};
    std::memcpy(bytes.data(), nl_addr_get_binary_addr(mac), bytes.size());
    info.mac = MacAddress(bytes);
  }
  info.addresses = ipv4_addresses(sock, info.ifindex, name);
  info.ipv6_addresses = ipv6_addresses(sock, info.ifindex, name);
  return info;
}

NlAddr mac_nl_addr(const MacAddress& mac) {
  NlAddr out(nl_addr_build(AF_LLC, mac.bytes().data(), mac.bytes().size()));
  if (!out) throw NetlinkError("cannot build MAC address " + mac.to_string() + ": out of memory");
  return out;
}

MacAddress mac_of(rtnl_link* link) {
  const nl_addr* mac = rtnl_link_get_addr(link);
  if (mac == nullptr || nl_addr_get_len(mac) != 6) return MacAddress();
  return MacAddress::from_bytes(
      ByteView(static_cast<const uint8_t*>(nl_addr_get_binary_addr(mac)), 6));
}

void change_link(nl_sock* sock, rtnl_link* link, rtnl_link* changes, const std::string& what) {
  if (int err = rtnl_link_change(sock, link, changes, 0); err < 0) {
    throw NetlinkError("cannot " + what + ": " + describe(err));
  }
}

void bring_up(nl_sock* sock, rtnl_link* link, const std::string& name) {
  if ((rtnl_link_get_flags(link) & IFF_UP) != 0) return;
  Link changes(rtnl_link_alloc());
  if (!changes) throw NetlinkError("cannot change " + name + ": out of memory");
  rtnl_link_set_flags(changes.get(), IFF_UP);
  change_link(sock, link, changes.get(), "bring " + name + " up");
}

Link require_bridge(nl_sock* sock, const std::string& name) {
  check_interface_name(name);
  Link link = get_link(sock, name);
  if (!link) throw NetlinkError("bridge " + name + " does not exist");
  if (link_kind(link.get()) != "bridge") {
    throw NetlinkError("interface " + name + " is not a bridge (it is " +
                       describe_kind(link.get()) + ")");
  }
  return link;
}

void delete_link_object(nl_sock* sock, rtnl_link* link, const std::string& name) {
  const int err = rtnl_link_delete(sock, link);
  if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) return;
  if (err < 0) throw NetlinkError("cannot delete interface " + name + ": " + describe(err));
}

}  // namespace berth::bridge::nl
