// Importers of the lease and host files of dnsmasq, LXD and libvirt, so that
// existing containers keep their addresses across a move to berth. Pure
// functions over text: the CLI (berthctl import, issue 5) reads the files
// and sends the result to the daemon.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "leases/lease.hpp"
#include "leases/reservation.hpp"

namespace berth::leases {

// expires_at given to a lease its source calls infinite (dnsmasq's expiry 0,
// a libvirt entry without "expiry-time"): far beyond any real clock, yet
// small enough that adding a lease time to it cannot overflow.
inline constexpr int64_t kInfiniteExpiry = INT64_MAX / 2;

// Rules shared by every importer:
// - a host name must be one DNS label (letters, digits, '-', at most 63, not
//   starting or ending with '-'); a bad one is a problem, and the lease or
//   reservation is imported without a name when it has another key (MAC,
//   client id), skipped when the name was its only key;
// - within one import, the first lease or reservation with a given address
//   wins; a later one with the same address, MAC (or client id, or
//   host-name key) is a problem and is skipped;
// - lease timestamps: updated_at is `now`.

// One line that could not be imported, and why. Imports never stop at a bad
// line: they import what they can and report the rest.
struct ImportProblem {
  std::string source;  // file name (or "<text>")
  uint32_t line = 0;   // 1-based; 0 when not line-based (JSON)
  std::string message;
};

struct ImportResult {
  std::vector<Lease> leases;
  std::vector<Reservation> reservations;
  std::vector<ImportProblem> problems;
};

// dnsmasq's lease file (/var/lib/misc/dnsmasq.<bridge>.leases): lines
// "EXPIRY MAC IP HOSTNAME CLIENT-ID", '*' for none, expiry 0 = infinite
// (kInfiniteExpiry), client id as hex with ':'.
// DHCPv6 lines (after a "duid" line) are skipped. Leases are given `bridge`
// and state bound (expired when EXPIRY <= now).
ImportResult import_dnsmasq_leases(std::string_view text, const std::string& bridge, int64_t now,
                                   const std::string& source = "<text>");

// dnsmasq dhcp-host entries, either "dhcp-host=..." lines from a dnsmasq.conf
// (other lines ignored) or bare lines from a --dhcp-hostsfile:
// [HWADDR][,id:CLIENT-ID|id:*][,set:TAG][,tag:TAG][,IPADDR][,HOSTNAME][,LEASETIME][,ignore]
// Entries without an IPv4 address, with "ignore", or for IPv6 are reported
// as problems and skipped. The text is read as a dnsmasq.conf when any line
// is "key=value", else as a hosts file. One reservation per MAC (dnsmasq
// allows several for one address) plus one for the client id; an entry with
// neither is a host-name reservation. "id:01:02:03" is hex, "id:text" and
// id:"quoted text" are the bytes of the text; wildcard MACs ('*') and
// non-Ethernet hardware types are problems; lease times are ignored.
ImportResult import_dnsmasq_hosts(std::string_view text, const std::string& bridge,
                                  const std::string& source = "<text>");

// LXD/Incus keep one dnsmasq hosts file per instance in a directory
// (.../networks/<bridge>/dnsmasq.hosts/<instance>); each holds one dhcp-host
// line. Reads every regular file in `dir`, in name order, as a hosts file;
// a problem names the file as its source. An instance file without an IPv4
// address ("00:16:3e:ab:cd:ef,c1") is a problem.
ImportResult import_lxd_hosts_dir(const std::filesystem::path& dir, const std::string& bridge);

// libvirt's <bridge>.status file: a JSON array of objects with "ip-address",
// "mac-address", "hostname", "client-id", "expiry-time". libvirt leaves
// "expiry-time" out for an infinite lease. Problems carry line 0 and name the
// entry ("entry 3: ..."); IPv6 entries are problems.
ImportResult import_libvirt_status(std::string_view json, const std::string& bridge, int64_t now,
                                   const std::string& source = "<text>");

}  // namespace berth::leases
