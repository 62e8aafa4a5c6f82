// What the rtnetlink files of bridge/ share: owned libnl objects, sockets,
// link lookups and the sentences their errors become. Internal to bridge/.
#pragma once

#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/socket.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/netlink.hpp"

namespace berth::bridge::nl {

// libnl objects are reference counted C objects; each owner holds one
// reference and drops it through the matching put/free call.
struct SocketFree {
  void operator()(nl_sock* s) const { nl_socket_free(s); }
};
struct LinkPut {
  void operator()(rtnl_link* l) const { rtnl_link_put(l); }
};
struct AddrPut {
  void operator()(rtnl_addr* a) const { rtnl_addr_put(a); }
};
struct NlAddrPut {
  void operator()(nl_addr* a) const { nl_addr_put(a); }
};
struct CacheFree {
  void operator()(nl_cache* c) const { nl_cache_free(c); }
};
using Socket = std::unique_ptr<nl_sock, SocketFree>;
using Link = std::unique_ptr<rtnl_link, LinkPut>;
using Addr = std::unique_ptr<rtnl_addr, AddrPut>;
using NlAddr = std::unique_ptr<nl_addr, NlAddrPut>;
using Cache = std::unique_ptr<nl_cache, CacheFree>;

// libnl returns negative NLE_* codes; nl_geterror() names them.
std::string describe(int nl_error);

// Linux's own rule for interface names (dev_valid_name in net/core/dev.c).
// `role` says what the name is for in the messages ("bridge name", ...).
void check_interface_name(const std::string& name, const std::string& role = "bridge name");

// The kernel refuses these for an Ethernet device (is_valid_ether_addr);
// saying so up front names the setting instead of EADDRNOTAVAIL.
void check_unicast_mac(const MacAddress& mac, const std::string& what);

// A route netlink socket in the current namespace.
Socket open_socket();

// The kernel's current view of the link, or null when there is no such link.
Link get_link(nl_sock* sock, const std::string& name);
Link get_link(nl_sock* sock, int ifindex);

std::string link_kind(rtnl_link* link);  // "bridge", "veth", ...; empty for physical links
std::string link_name(rtnl_link* link);
// "a veth interface", "a physical or untyped interface": for messages.
std::string describe_kind(rtnl_link* link);

// An IPv4 address or route destination of libnl as a prefix; nullopt for
// another family or a bad length.
std::optional<Ipv4Prefix> ipv4_prefix_of(const nl_addr* a, int length);

// IPv4 addresses of link `ifindex`, or of every link when ifindex is 0.
// `name` names the link in errors.
std::vector<Ipv4Prefix> ipv4_addresses(nl_sock* sock, int ifindex, const std::string& name);
// The same for IPv6 (link-local addresses included); netlink_ipv6.cpp.
std::vector<Ipv6Prefix> ipv6_addresses(nl_sock* sock, int ifindex, const std::string& name);
// Writes /proc/sys/net/ipv6/conf/<link>/<key>; throws NetlinkError.
void write_ipv6_conf(const std::string& link, std::string_view key, std::string_view value);
// Switches IPv6 on for the bridge, keeps the kernel from taking router
// advertisements on it, and adds `address` (without DAD) unless it is there.
void ensure_bridge_ipv6(nl_sock* sock, int ifindex, const std::string& name,
                        const Ipv6Prefix& address);

LinkInfo link_info(nl_sock* sock, rtnl_link* link, const std::string& name);

NlAddr mac_nl_addr(const MacAddress& mac);
MacAddress mac_of(rtnl_link* link);  // all zero when the link has no Ethernet address

// rtnl_link_change(); `what` completes "cannot ..." in the error.
void change_link(nl_sock* sock, rtnl_link* link, rtnl_link* changes, const std::string& what);
// Sets IFF_UP unless it is set already; `name` names the link in errors.
void bring_up(nl_sock* sock, rtnl_link* link, const std::string& name);

// The bridge `name` in the current namespace; throws when it is missing or
// is not a bridge.
Link require_bridge(nl_sock* sock, const std::string& name);

// Deletes `link`; one that is gone already is not an error.
void delete_link_object(nl_sock* sock, rtnl_link* link, const std::string& name);

}  // namespace berth::bridge::nl
