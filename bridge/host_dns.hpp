// What berthd tells the host's D-Bus services about its bridges, worked out
// without any I/O: the systemd-resolved registration of a bridge (its DNS
// servers, its domain and reverse zones as routing-only domains) and the
// changes that bring what is registered to what is wanted. bridge/host_dbus
// does the talking.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "protocol/address.hpp"

namespace berth::bridge {

// A served bridge as the host should see it.
struct LinkDns {
  int ifindex = 0;
  std::string name;                // the interface (firewalld binds names)
  Ipv4Prefix address;              // the bridge's address and subnet; DNS answers there
  std::optional<Ipv6Prefix> ipv6;  // its IPv6 address and prefix, when DNS answers there too
  std::string domain;              // the bridge's DNS domain ("berth")
  uint16_t dns_port = 53;
  bool dns = true;  // false: berthd answers no DNS ([dns] enabled = false): nothing for resolved
  bool operator==(const LinkDns&) const = default;
};

// One DNS server as org.freedesktop.resolve1 takes it: (family, address bytes).
struct ResolvedServer {
  int family = 0;  // AF_INET or AF_INET6
  std::vector<uint8_t> address;
  uint16_t port = 53;
  bool operator==(const ResolvedServer&) const = default;
};

// The settings of one link in systemd-resolved: SetLinkDNS (SetLinkDNSEx
// when a port is not 53), SetLinkDomains with every domain routing-only,
// SetLinkDefaultRoute(false) so that only these names go to the bridge.
struct ResolvedLink {
  int ifindex = 0;
  std::vector<ResolvedServer> servers;
  std::vector<std::string> domains;  // all routing-only ("~domain")
  bool operator==(const ResolvedLink&) const = default;
};

// At most this many in-addr.arpa zones for one subnet; a wider subnet not on
// an octet boundary gets the zone of the octet boundary above it instead.
inline constexpr size_t kMaxReverseZones = 64;

// The in-addr.arpa zones that cover `subnet` (RFC 1035 §3.5): one zone for a
// prefix on an octet boundary ("3.0.10.in-addr.arpa" for 10.0.3.0/24,
// "0.10.in-addr.arpa" for a /16), the /24 that holds a longer prefix (a /28
// lies inside one /24: its PTR names are all in that zone), and every /24
// (or /16, /8) the prefix covers when it is not on a boundary: a /22 is
// four /24 zones. Bounded by kMaxReverseZones.
std::vector<std::string> reverse_zones(const Ipv4Prefix& subnet);

// The ip6.arpa zones that cover `prefix` (RFC 3596 §2.5): one zone of
// length/4 nibbles when the length is a multiple of 4 (a /64: 16 nibbles),
// else each zone one nibble longer that the prefix covers (a /62: four /64
// zones). Nibbles are lower-case hex, lowest first.
std::vector<std::string> reverse_zones(const Ipv6Prefix& prefix);

// The registration that makes the host send `link`'s domain and reverse
// zones, and only those, to the bridge's DNS server(s).
ResolvedLink resolved_link_of(const LinkDns& link);

// What to do to get from `registered` (by ifindex) to `wanted`.
struct ResolvedPlan {
  std::vector<ResolvedLink> set;  // new or changed
  std::vector<int> revert;        // registered, no longer wanted (RevertLink)
  bool operator==(const ResolvedPlan&) const = default;
};
ResolvedPlan plan_resolved(const std::map<int, ResolvedLink>& registered,
                           const std::vector<ResolvedLink>& wanted);

// firewalld: what to do about each served bridge's interface. `known`
// holds every interface berth has looked at in firewalld, true when berth
// itself bound it to the trusted zone (false: it was in another zone
// already, and berth left it there).
struct InterfacePlan {
  std::vector<std::string> check;   // wanted, not looked at yet: bind it unless it has a zone
  std::vector<std::string> remove;  // berth bound it and no longer serves it: unbind
  std::vector<std::string> forget;  // not berth's, no longer served: drop from `known`
  bool operator==(const InterfacePlan&) const = default;
};
InterfacePlan plan_interfaces(const std::map<std::string, bool>& known,
                              const std::vector<std::string>& wanted);

}  // namespace berth::bridge
