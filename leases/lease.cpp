#include "leases/lease.hpp"

#include "leases/reservation.hpp"

namespace berth::leases {

std::string_view to_string(LeaseState s) {
  switch (s) {
    case LeaseState::bound:
      return "bound";
    case LeaseState::released:
      return "released";
    case LeaseState::expired:
      return "expired";
    case LeaseState::declined:
      return "declined";
  }
  return "unknown";
}

std::optional<LeaseState> lease_state_from_string(std::string_view s) {
  for (LeaseState st :
       {LeaseState::bound, LeaseState::released, LeaseState::expired, LeaseState::declined}) {
    if (to_string(st) == s) return st;
  }
  return std::nullopt;
}

std::string_view to_string(MatchKind k) {
  switch (k) {
    case MatchKind::mac:
      return "mac";
    case MatchKind::client_id:
      return "client_id";
    case MatchKind::hostname:
      return "hostname";
  }
  return "unknown";
}

std::optional<MatchKind> match_kind_from_string(std::string_view s) {
  for (MatchKind k : {MatchKind::mac, MatchKind::client_id, MatchKind::hostname}) {
    if (to_string(k) == s) return k;
  }
  return std::nullopt;
}

}  // namespace berth::leases
