// Bridges, links and addresses over rtnetlink (libnl-route-3). No shelling
// out to ip(8): every change is one netlink request whose error we can name.
// Bridges, links and uplinks are in netlink.cpp, veth pairs in veth.cpp,
// what the host uses and the auto subnet in host_networks.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/address.hpp"

namespace berth::bridge {

// What the kernel says about one interface right now.
struct LinkInfo {
  int ifindex = 0;
  std::string name;
  std::string kind;  // rtnetlink link kind: "bridge", "veth", ...; empty for physical links
  int master = 0;    // ifindex of the bridge (or bond) this link is a port of, 0 for none
  MacAddress mac;
  uint32_t mtu = 0;
  bool up = false;                         // IFF_UP (administratively up)
  std::vector<Ipv4Prefix> addresses;       // IPv4 addresses, in kernel order
  std::vector<Ipv6Prefix> ipv6_addresses;  // IPv6 ones, link-local included
};

// A netlink request failed or the host is not in a state we can work with.
// what() is a sentence meant for the user.
class NetlinkError : public std::runtime_error {
 public:
  using runtime_error::runtime_error;
};

struct BridgeSpec {
  std::string name;
  Ipv4Prefix address;  // the server's address on the bridge, e.g. 10.0.3.1/24
  std::optional<uint16_t> mtu;
  bool create = true;              // create the bridge when it is missing
  std::optional<MacAddress> mac;   // the bridge's own MAC, when configured
  std::optional<Ipv6Prefix> ipv6;  // the bridge's IPv6 address, e.g. fd42::1/64
};

// Makes the bridge ready to serve: creates it (type bridge) when missing and
// spec.create is set, sets the MTU and the MAC when given, adds spec.address with its
// broadcast when the bridge does not already carry it (other addresses are
// left alone), with spec.ipv6 switches IPv6 on for the bridge (router side:
// no accept_ra) and adds that address without DAD, and brings the link up. Returns the link's state
// afterwards. Refuses an existing interface of that name that is not a bridge, and an existing copy
// of spec.address with another prefix length.
LinkInfo ensure_bridge(const BridgeSpec& spec);

// The MAC ensure_bridge gives a bridge it creates without a configured one:
// unicast, locally administered, derived from /etc/machine-id and the name,
// so it is the same on every start and differs between hosts.
MacAddress persistent_mac(std::string_view bridge_name);

// The link called `name`, or nullopt when there is none. Throws NetlinkError
// when netlink itself fails.
std::optional<LinkInfo> find_link(const std::string& name);

// Removes the link called `name` from the current namespace (a bridge's
// ports are released, a veth takes its peer with it). A missing link is not
// an error: it is already gone.
void delete_link(const std::string& name);

// What the host uses already, for picking a subnet nobody else has: every
// IPv4 address on any link, and the destinations of all IPv4 routes in all
// tables except default routes (0.0.0.0/0). Sorted, without duplicates.
std::vector<Ipv4Prefix> host_ipv4_addresses();
std::vector<Ipv4Prefix> host_ipv4_routes();

// Names of the links that carry an IPv4 default route (in any table, on any
// nexthop of a multipath route). Sorted, without duplicates.
std::vector<std::string> default_route_interfaces();

// Picks a free 10.x.y.1/24 that overlaps none of `in_use`. The search walks
// the 65536 candidates 10.0.0.0/24 .. 10.255.255.0/24 in order, wrapping
// around, from a starting point given by a fixed hash (FNV-1a) of
// `bridge_name`: the same inputs always give the same answer, and two
// bridges start in different places. nullopt when every candidate overlaps.
std::optional<Ipv4Prefix> choose_auto_subnet(std::string_view bridge_name,
                                             const std::vector<Ipv4Prefix>& in_use);

// Enslaves `uplink` to `bridge` and brings it up (host-bridge mode). Throws
// NetlinkError with a sentence naming the interface if the bridge or the
// uplink is missing, if the uplink is itself a bridge or already a port of
// another bridge, or if it carries an IPv4 default route and !force (the
// host would lose its connectivity through it). Already enslaved to this
// bridge: only brings it up.
void enslave_uplink(const std::string& bridge, const std::string& uplink, bool force);

struct AttachSpec {
  std::string bridge;
  int netns_fd = -1;  // an open fd of the target network namespace (/run/netns/X, /proc/PID/ns/net)
  std::string ifname = "eth0";    // name inside the namespace
  std::optional<MacAddress> mac;  // the inside end's MAC; kernel's random one when unset
  std::string host_ifname;        // host end; empty: a generated, unused "vb" + 8 hex digits
};

struct Attached {
  std::string host_ifname;
  std::string ifname;
  MacAddress mac;  // of the inside end
  int host_ifindex = 0;
};

// Creates a veth pair whose one end is born inside the namespace `netns_fd`
// with the name spec.ifname (and spec.mac), the other in the current
// namespace as a port of spec.bridge; both get the bridge's MTU and are up.
// It is one RTM_NEWLINK request, so a failure leaves nothing behind; if the
// pair cannot be found afterwards it is removed again. Throws NetlinkError.
Attached attach_veth(const AttachSpec& spec);

// Removes the interface `ifname` inside the namespace `netns_fd`, which must
// be a veth whose peer lives in the current namespace as a port of `bridge`;
// the pair goes with it. Throws NetlinkError otherwise, changing nothing.
void detach_veth(const std::string& bridge, int netns_fd, const std::string& ifname);

}  // namespace berth::bridge
