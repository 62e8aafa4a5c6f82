// Which configured DHCPv4 options a reply carries: the bridge's typed keys
// (routes, search, ntp_servers), its options by code, those of the client
// classes the client falls in and those of its reservation. Pure: the reply
// is built from the request and the configuration only.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "leases/reservation.hpp"
#include "protocol/dhcp4/message.hpp"
#include "protocol/dhcp4/option_values.hpp"

namespace berth::dhcp {

// The names of the classes `request` falls in, in configuration order.
std::vector<std::string> client_classes(const dhcp4::BridgeOptions& options,
                                        const dhcp4::Message& request);

// Adds the configured options to `reply`. Precedence, for one code:
// reservation (`reserved`) > class (a later class over an earlier one) > the bridge's
// [[bridge.option]] > its typed keys > the built-in value already in
// `reply`. An option goes out when its code is in `wanted` (the client's
// option 55, or the built-in list when it sent none) or it is marked
// `always`. When classless routes are sent, the default route via the
// router (option 3 as it stands in `reply`, else `router`) is added to them
// (RFC 3442 §2: a client that gets option 121 ignores option 3).
void add_configured_options(const dhcp4::BridgeOptions& options, const dhcp4::Message& request,
                            ByteView wanted, std::span<const dhcp4::ConfiguredOption> reserved,
                            Ipv4Address router, dhcp4::OptionList& reply);

}  // namespace berth::dhcp
