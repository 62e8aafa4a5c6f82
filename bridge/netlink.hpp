// Bridges, links and addresses over rtnetlink (libnl-route-3). No shelling
// out to ip(8): every change is one netlink request whose error we can name.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "protocol/address.hpp"

namespace berth::bridge {

// What the kernel says about one interface right now.
struct LinkInfo {
  int ifindex = 0;
  MacAddress mac;
  uint32_t mtu = 0;
  bool up = false;                    // IFF_UP (administratively up)
  std::vector<Ipv4Prefix> addresses;  // IPv4 addresses, in kernel order
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
  bool create = true;  // create the bridge when it is missing
};

// Makes the bridge ready to serve: creates it (type bridge) when missing and
// spec.create is set, sets the MTU when given, adds spec.address with its
// broadcast when the bridge does not already carry it (other addresses are
// left alone), and brings the link up. Returns the link's state afterwards.
// Refuses an existing interface of that name that is not a bridge, and an
// existing copy of spec.address with another prefix length.
LinkInfo ensure_bridge(const BridgeSpec& spec);

// The link called `name`, or nullopt when there is none. Throws NetlinkError
// when netlink itself fails.
std::optional<LinkInfo> find_link(const std::string& name);

}  // namespace berth::bridge
