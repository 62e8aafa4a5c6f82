#include "leases/events.hpp"

#include <chrono>
#include <string>

namespace berth::leases {

std::optional<EventKind> lease_event_kind(const LeaseChange& change,
                                          const std::optional<PriorLease>& prior) {
  const Lease& l = change.lease;
  if (change.kind == LeaseChange::Kind::erase) {
    if (!prior) return std::nullopt;
    return EventKind::lease_forgotten;
  }
  switch (l.state) {
    case LeaseState::released:
      return EventKind::lease_released;
    case LeaseState::expired:
      return EventKind::lease_expired;
    case LeaseState::declined:
      return EventKind::lease_declined;
    case LeaseState::bound:
      break;
  }
  const bool same_client = prior && prior->mac == l.mac && prior->client_id == l.client_id;
  if (same_client && prior->state == LeaseState::bound && prior->expires_at > l.updated_at) {
    return EventKind::lease_renewed;
  }
  return EventKind::lease_bound;
}

Event lease_event(EventKind kind, const Lease& lease, int64_t time_ms) {
  // Compact JSON with sorted keys, as nlohmann::json::dump() would write it,
  // formatted by hand: one is made for every lease the writer stores. No
  // value needs escaping (a state name, hex digits and colons, integers).
  std::string details = "{";
  if (!lease.client_id.empty())
    details += "\"client_id\":\"" + to_hex_colon(lease.client_id) + "\",";
  details += "\"expires_at\":" + std::to_string(lease.expires_at) + ",";
  if (!lease.ip.is_v4()) details += "\"iaid\":" + std::to_string(lease.iaid) + ",";
  details += "\"state\":\"";
  details += to_string(lease.state);
  details += "\"}";
  return Event{.cursor = 0,
               .time_ms = time_ms,
               .kind = kind,
               .bridge = lease.bridge,
               .ip = lease.ip.to_string(),
               .mac = lease.mac.to_string(),
               .hostname = lease.hostname,
               .details = std::move(details)};
}

int64_t event_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace berth::leases
