// A static reservation (dnsmasq's dhcp-host): a client, identified by MAC,
// client identifier or the hostname it sends, always gets `ip` on `bridge`,
// and `name` resolves to it in DNS even before it has a lease. With `ipv6`
// the client also gets that address from DHCPv6 (stateful bridges), found
// by `duid` when set, else by its MAC; `name` has an AAAA record for it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/address.hpp"
#include "protocol/bytes.hpp"
#include "protocol/dhcp4/option_values.hpp"
#include "protocol/enum_names.hpp"

namespace berth::leases {

enum class MatchKind { mac, client_id, hostname };

// One spelling for every machine format: the database's match_kind (a CHECK
// constraint), the control API's "match", and the JSON and TOML key
// "client_id" beside it.
inline constexpr EnumNames<MatchKind, 3> kMatchKindNames{{{
    {MatchKind::mac, "mac"},
    {MatchKind::client_id, "client_id"},
    {MatchKind::hostname, "hostname"},
}}};
static_assert(kMatchKindNames.complete());

constexpr std::string_view to_string(MatchKind k) { return kMatchKindNames.name(k); }

// Also reads "client-id": berthd's control API said that until it took the
// database's name, and a newer berthctl must read an older berthd's answers.
constexpr std::optional<MatchKind> match_kind_from_string(std::string_view s) {
  if (s == "client-id") return MatchKind::client_id;
  return kMatchKindNames.value(s);
}

struct Reservation {
  int64_t id = 0;  // database row id; 0 until stored (config reservations keep 0)
  std::string bridge;
  MatchKind match = MatchKind::mac;
  MacAddress mac;              // when match == mac
  Bytes client_id;             // when match == client_id (option 61 bytes as sent)
  std::string hostname_match;  // when match == hostname (compared case-insensitively)
  Ipv4Address ip;
  std::optional<Ipv6Address> ipv6;  // inside the bridge's IPv6 prefix
  Bytes duid;                       // DHCPv6 client DUID; empty: match the MAC
  std::string name;                 // DNS name (a label); may be empty
  bool from_config = false;
  // DHCPv4 options sent to this client only ([[bridge.reservation.option]]).
  std::vector<dhcp4::ConfiguredOption> options;

  bool operator==(const Reservation&) const = default;
};

}  // namespace berth::leases
