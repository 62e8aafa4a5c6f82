// [daemon] lease_file: the leases as dnsmasq writes its --dhcp-leasefile, so
// that readers of dnsmasq's file (`incus network list-leases`, LXD, scripts)
// keep working against berthd. Pure: leases in, the file's text out; the
// daemon (server/daemon_lease_file.cpp) decides when to write it and where.
//
// dnsmasq's lease.c writes, byte for byte (checked against files written by
// dnsmasq 2.90, tests/data/import/dnsmasq.real*.leases):
//
//   EXPIRY MAC IP HOSTNAME CLIENT-ID                 one line per DHCPv4 lease
//   duid SERVER-DUID                                 only when DHCPv6 is served
//   EXPIRY IAID IPV6 HOSTNAME CLIENT-DUID            one line per DHCPv6 address
//
// EXPIRY in decimal seconds since the epoch, 0 for an infinite lease; MAC,
// client id and DUIDs as lower-case hex bytes joined by ':'; '*' for no
// hostname and no client id; IAID in decimal. dnsmasq's temporary addresses
// ("T" before the IAID) and its "agent-info"/"vendorclass" lines have no
// counterpart in berth and are never written.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "leases/lease.hpp"
#include "protocol/bytes.hpp"

namespace berth::leases {

// The file's text for `leases` (either family, any bridge). Only leases
// bound as of `now` are written: dnsmasq's file holds no released, expired
// or declined ones. Lines keep the order of `leases` within each family;
// DHCPv4 lines come first. `server_duid` empty: no DHCPv6 is served, so no
// "duid" line and no DHCPv6 lines (as dnsmasq without a DHCPv6 range).
//
// import_dnsmasq_leases (leases/importers.hpp) reads the DHCPv4 lines back
// to the same leases; it skips the DHCPv6 ones.
std::string format_dnsmasq_leases(const std::vector<Lease>& leases, const Bytes& server_duid,
                                  int64_t now);

// Puts leases in the order berthd writes them: newest first (updated_at
// descending), as dnsmasq lists its newest lease first; then by bridge and
// address, so that the order is stable.
void sort_newest_first(std::vector<Lease>& leases);

}  // namespace berth::leases
