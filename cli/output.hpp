// berthctl's human output: aligned tables and one-line summaries of the
// control API's answers. Pure functions over the api types.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "api/types.hpp"

namespace berth::cli {

// Columns separated by two spaces, each as wide as its widest cell; the
// last column is not padded. Cells are printed as they are: callers pass
// text made safe with printable().
std::string format_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows);

// `s` with bytes outside printable ASCII as \xNN: a host name a client
// chose must not drive the terminal.
std::string printable(std::string_view s);

// Lines of text (an nftables listing) as they are, but other control bytes
// and bytes outside ASCII as \xNN; ends with a newline unless empty.
std::string printable_lines(std::string_view s);

// Local time "2025-01-01 10:00:00"; "never" for an infinite lease.
std::string format_time(int64_t utc_seconds);
// "3d 4h", "2h 5m", "7m 3s", "42s".
std::string format_duration(int64_t seconds);

std::string render_status(const api::Status& s);
std::string render_bridges(const api::BridgeList& l);
std::string render_leases(const api::LeaseList& l);
std::string render_reservations(const api::ReservationList& l);
std::string render_reload(const api::ReloadResult& r);
std::string render_forwards(const api::ForwardList& l);
// The wanted table, the kernel's, and whether they are "in sync", the
// kernel's "differs" or is "missing".
std::string render_firewall(const api::FirewallInfo& f);

// "00:16:3e:aa:bb:cc", "client-id 01:02:03", "hostname web".
std::string client_of(const api::ReservationInfo& r);
std::string client_of(const api::ReservationCreate& r);
// "reservation 7 on lxcbr0: 00:16:3e:aa:bb:cc -> 10.0.3.10 (web)"
std::string describe(const api::ReservationInfo& r);
// "lease 10.0.3.57 on lxcbr0 of 00:16:3e:aa:bb:cc (web)"
std::string describe(const api::LeaseInfo& l);
// "tcp *:8080 -> web:80", "udp 192.0.2.1:53 -> 10.0.3.5:53"
std::string forward_rule(const api::ForwardInfo& f);
// "forward 3 on berth0: tcp *:8080 -> web:80 (now 10.0.3.57)"
std::string describe(const api::ForwardInfo& f);

}  // namespace berth::cli
