#include "leases/lease.hpp"

namespace berth::leases {

std::string_view to_string(LeaseState s) {
  switch (s) {
    case LeaseState::bound: return "bound";
    case LeaseState::released: return "released";
    case LeaseState::expired: return "expired";
    case LeaseState::declined: return "declined";
  }
  return "unknown";
}

std::optional<LeaseState> lease_state_from_string(std::string_view s) {
  for (LeaseState st : {LeaseState::bound, LeaseState::released, LeaseState::expired,
                        LeaseState::declined}) {
    if (to_string(st) == s) return st;
  }
  return std::nullopt;
}

}  // namespace berth::leases
