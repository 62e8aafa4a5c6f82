// The reservations a bridge serves: those of the config file
// ([[bridge.reservation]]) and those added at run time (the database), merged
// into one list. The file's reservations come first and win a conflict (the
// same address, the same client or the same name), and each conflict is
// reported so the daemon can log it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "leases/lease_table6.hpp"
#include "leases/reservation.hpp"

namespace berth::dhcp {

// "mac 00:16:3e:..", "client-id 01:..", "hostname db": how r names its client.
std::string client_text(const leases::Reservation& r);
// What a reservation gives, for logs: "10.0.3.10 fd00::10 web" (the IPv6
// address and the name when it has them).
std::string reserved_text(const leases::Reservation& r);
// Whether two reservations name the same client (host names without case).
bool same_client(const leases::Reservation& a, const leases::Reservation& b);
// ASCII case-insensitive equality, for host names and DNS labels.
bool equal_ci(std::string_view a, std::string_view b);

// Why the IPv6 part of a reservation cannot be: a DUID without an IPv6
// address, or an IPv6 address with no way to find the DHCPv6 client (no
// DUID, and a client named by client id or host name, which DHCPv6 clients
// do not send).
std::optional<std::string> ipv6_identity_problem(const leases::Reservation& r);
// Why a reservation's IPv6 part cannot be served on a bridge with IPv6
// prefix `prefix` (none: the bridge has no IPv6): the identity problem
// above, an address outside the prefix, the subnet-router anycast address
// or the bridge's own address.
std::optional<std::string> ipv6_problem(const leases::Reservation& r,
                                        const std::optional<Ipv6Prefix>& prefix);
// The DHCPv6 reservation a reservation with `ipv6` makes: by DUID when it
// has one, else by MAC. Nothing without `ipv6` or a way to find the client.
std::optional<leases::Reservation6> reservation6_of(const leases::Reservation& r);

// A config reservation as the lease table holds it: from_config set, and a
// negative id (-1, -2, ... in file order across all bridges) so the control
// API can list it beside database rows, whose ids are positive.
leases::Reservation reservation_from_config(const std::string& bridge,
                                            const config::ReservationConfig& r, int64_t id);

// Every config reservation of every bridge, ids -1, -2, ... in file order.
std::vector<leases::Reservation> config_reservations(const config::Config& config);

struct MergedReservations {
  std::vector<leases::Reservation> kept;
  std::vector<std::string> ignored;  // one sentence per reservation left out
};

// Merges the reservations of one bridge: `from_config` first, then
// `from_database` (in id order) unless it clashes with one already kept.
MergedReservations merge_reservations(const std::vector<leases::Reservation>& from_config,
                                      const std::vector<leases::Reservation>& from_database);

}  // namespace berth::dhcp
