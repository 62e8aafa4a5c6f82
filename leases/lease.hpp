// A lease as berth stores it: one row per (bridge, address).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/address.hpp"
#include "protocol/bytes.hpp"
#include "protocol/enum_names.hpp"

namespace berth::leases {

enum class LeaseState {
  bound,     // acknowledged to the client, valid until expires_at
  released,  // the client gave it back; stays affine to that client until the pool needs it
  expired,   // was bound, expires_at passed; affine like released
  declined,  // the client saw the address in use (DHCPDECLINE); quarantined until expires_at
};

// The names of the database, the control API and the metrics.
inline constexpr EnumNames<LeaseState, 4> kLeaseStateNames{{{
    {LeaseState::bound, "bound"},
    {LeaseState::released, "released"},
    {LeaseState::expired, "expired"},
    {LeaseState::declined, "declined"},
}}};
static_assert(kLeaseStateNames.complete());

constexpr std::string_view to_string(LeaseState s) { return kLeaseStateNames.name(s); }
constexpr std::optional<LeaseState> lease_state_from_string(std::string_view s) {
  return kLeaseStateNames.value(s);
}

// A DHCPv4 lease, or a DHCPv6 binding of one address (IA_NA): the family
// of `ip` says which. For DHCPv6, `client_id` holds the client's DUID, and
// the DUID with `iaid` names the binding; `mac` is the client's link-layer
// address when known (RFC 6939), else zero.
struct Lease {
  std::string bridge;
  IpAddress ip;
  MacAddress mac;
  Bytes client_id;  // DHCPv4: option 61 as sent, empty when the client sent none
  std::string hostname;
  LeaseState state = LeaseState::bound;
  int64_t expires_at = 0;  // UTC seconds
  int64_t updated_at = 0;  // UTC seconds
  uint32_t iaid = 0;       // DHCPv6 identity association; 0 for DHCPv4

  // State as of `now`: a bound lease past its expiry is expired.
  LeaseState state_at(int64_t now) const {
    return state == LeaseState::bound && expires_at <= now ? LeaseState::expired : state;
  }
  bool operator==(const Lease&) const = default;
};

// One change to the store. A commit is a list of them, applied atomically.
struct LeaseChange {
  enum class Kind { upsert, erase };
  Kind kind = Kind::upsert;
  Lease lease;  // for erase, only bridge and ip matter

  static LeaseChange upsert(Lease l) { return {Kind::upsert, std::move(l)}; }
  static LeaseChange erase(Lease l) { return {Kind::erase, std::move(l)}; }
};

}  // namespace berth::leases
