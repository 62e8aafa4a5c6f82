// Checks and parsers for single config values, independent of TOML so they
// can be tested (and reused by the dnsmasq importer) on plain strings.
// Each "problem" function returns a human sentence when the value is bad and
// nothing when it is fine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/address.hpp"

namespace berth::config {

// An inclusive range of addresses, e.g. a DHCP pool.
struct AddressRange {
  Ipv4Address first;
  Ipv4Address last;

  constexpr bool contains(Ipv4Address a) const { return first <= a && a <= last; }
  std::string to_string() const;  // "10.0.3.2-10.0.3.254"
  constexpr bool operator==(const AddressRange&) const = default;
};

// RFC 2131 §3.3: 0xffffffff means an infinite lease.
inline constexpr uint32_t kInfiniteLease = 0xffffffffu;
// dnsmasq's lower bound; shorter leases make clients renew every minute.
inline constexpr uint32_t kMinLeaseTime = 120;
// Prefix lengths a bridge may have: /31 and /32 leave no pool, below /8 is a mistake.
inline constexpr uint8_t kMinPrefixLength = 8;
inline constexpr uint8_t kMaxPrefixLength = 30;
// RFC 791: every host must accept 576-byte datagrams.
inline constexpr uint16_t kMinMtu = 576;

// Lease time as dnsmasq writes it: seconds ("3600"), or a number with a unit
// s, m, h or d (either case, "45m", "12h"), or "infinite". Returns the number
// of seconds, saturating at UINT64_MAX for absurdly large numbers so the
// caller's range check rejects them; nothing when the text is not of that form.
std::optional<uint64_t> parse_lease_time(std::string_view text);

// "FIRST-LAST" with optional blanks around the '-' and at either end.
// Does not check that FIRST <= LAST; see pool_problem().
std::optional<AddressRange> parse_address_range(std::string_view text);

// Linux rules for an interface name (dev_valid_name): 1..15 bytes, not "."
// or "..", no '/', ':', NUL or whitespace.
std::optional<std::string> interface_name_problem(std::string_view name);

// A DNS domain: dot-separated labels of 1..63 letters, digits and '-', no
// label starting or ending with '-', at most 253 bytes in all.
std::optional<std::string> dns_domain_problem(std::string_view domain);

// A DNS name as a config value names it (`what`: "domain", "name", ...):
// like dns_domain_problem, one trailing dot allowed, and '_' allowed in
// labels when `allow_underscore` (SRV owners such as _http._tcp.web).
std::optional<std::string> dns_name_problem(std::string_view name, std::string_view what,
                                            bool allow_underscore);

// A single DNS label for a client's name ("web"): letters, digits, '-'.
std::optional<std::string> dns_label_problem(std::string_view label);

// An upstream DNS server: "198.18.1.1", "198.18.1.1:5353", "198.18.1.1#5353"
// (dnsmasq's form), "fd00::1", "[fd00::1]:5353".
struct Upstream {
  std::string address;  // numeric IPv4 or IPv6
  uint16_t port = 53;
  bool ipv6 = false;
  std::string to_string() const;  // "198.18.1.1:53", "[fd00::1]:53"
  bool operator==(const Upstream&) const = default;
};
std::optional<Upstream> parse_upstream(std::string_view text);

// A bridge address: prefix length 8..30 and a host address of its subnet
// (neither the network nor the broadcast address).
std::optional<std::string> bridge_address_problem(const Ipv4Prefix& address);

// A pool for a bridge at `address`: FIRST <= LAST, inside the subnet, and
// containing neither the network, the broadcast nor the bridge's own address.
std::optional<std::string> pool_problem(const Ipv4Prefix& address, const AddressRange& pool);

// The pool used when none is configured: the hosts of the subnet on the
// larger side of the bridge's own address (the upper side on a tie), so
// 10.0.3.1/24 gives 10.0.3.2-10.0.3.254. `address` must pass
// bridge_address_problem().
AddressRange default_pool(const Ipv4Prefix& address);

// Whether two subnets share any address.
constexpr bool subnets_overlap(const Ipv4Prefix& a, const Ipv4Prefix& b) {
  return a.contains(b.network()) || b.contains(a.network());
}

// Optimal string alignment distance (insertions, deletions, substitutions
// and transpositions of neighbours), used to suggest a key for a typo.
// Returns limit + 1 as soon as the distance is known to exceed `limit`.
size_t edit_distance(std::string_view a, std::string_view b, size_t limit);

// `text` quoted for an error message, with control and non-ASCII bytes as
// \xNN so a hostile file cannot put escape sequences on a terminal, and cut
// after `max` bytes.
std::string quoted(std::string_view text, size_t max = 64);

// `s` as a TOML basic string, quoted; control characters as \u00XX.
std::string toml_string(std::string_view s);

}  // namespace berth::config
