// Modified EUI-64 interface identifiers (RFC 4291 §2.5.1, Appendix A): a
// link-local address made from a MAC holds that MAC, so a DHCPv6 server
// can name a client's hardware from its source address alone.
#pragma once

#include <optional>

#include "protocol/address.hpp"

namespace berth {

// fe80::/64 with the interface identifier made from `mac`: ff:fe in the
// middle, the universal/local bit inverted.
Ipv6Address link_local_from_mac(const MacAddress& mac);

// The MAC inside a link-local address whose interface identifier is a
// modified EUI-64 (fe80::/64, bytes 11 and 12 ff:fe); nullopt for any
// other address (global, stable-privacy, RFC 7217 random identifiers).
std::optional<MacAddress> mac_from_link_local(const Ipv6Address& address);

}  // namespace berth
