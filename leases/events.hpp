// Lease events (issue 14): what changed in the store, one row each in the
// events table, written in the same transaction as the change itself so a
// crash keeps both or neither. A cursor (the row id, never reused) orders
// them; GET /v1/events hands them out after a cursor.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "leases/lease.hpp"
#include "protocol/enum_names.hpp"

namespace berth::leases {

enum class EventKind {
  lease_bound,      // a client got an address it did not hold (new, or after release/expiry)
  lease_renewed,    // the same client extended a bound lease on the same address
  lease_released,   // DHCPRELEASE
  lease_expired,    // a bound lease ran out
  lease_forgotten,  // removed: API `lease forget`, a reservation took it, the client moved
  lease_declined,   // DHCPDECLINE: the address is quarantined
  reservation_added,
  reservation_changed,
  reservation_removed,
  forward_added,
  forward_removed,
  // Never stored: the first line a reader gets when events after its
  // cursor were already pruned (see docs/api.md).
  gap,
};

inline constexpr EnumNames<EventKind, 12> kEventKindNames{{{
    {EventKind::lease_bound, "lease_bound"},
    {EventKind::lease_renewed, "lease_renewed"},
    {EventKind::lease_released, "lease_released"},
    {EventKind::lease_expired, "lease_expired"},
    {EventKind::lease_forgotten, "lease_forgotten"},
    {EventKind::lease_declined, "lease_declined"},
    {EventKind::reservation_added, "reservation_added"},
    {EventKind::reservation_changed, "reservation_changed"},
    {EventKind::reservation_removed, "reservation_removed"},
    {EventKind::forward_added, "forward_added"},
    {EventKind::forward_removed, "forward_removed"},
    {EventKind::gap, "gap"},
}}};
static_assert(kEventKindNames.complete());

constexpr std::string_view to_string(EventKind k) { return kEventKindNames.name(k); }
constexpr std::optional<EventKind> event_kind_from_string(std::string_view s) {
  return kEventKindNames.value(s);
}

struct Event {
  int64_t cursor = 0;   // 0 until stored
  int64_t time_ms = 0;  // UTC milliseconds since the epoch
  EventKind kind = EventKind::lease_bound;
  std::string bridge;
  std::string ip;  // empty when the event has no address
  std::string mac;
  std::string hostname;
  std::string details = "{}";  // a JSON object

  bool operator==(const Event&) const = default;
};

// What the store held at a lease's address before a change.
struct PriorLease {
  MacAddress mac;
  Bytes client_id;
  std::string hostname;
  LeaseState state = LeaseState::bound;
  int64_t expires_at = 0;
};

// The event a lease change makes, given what was stored at its address;
// nullopt when it makes none (erasing an address nothing held). A bound
// upsert renews when the same client (MAC and client id) held the address
// bound and unexpired as of the change's updated_at; otherwise it binds.
std::optional<EventKind> lease_event_kind(const LeaseChange& change,
                                          const std::optional<PriorLease>& prior);

// The event of a lease change (cursor 0, time `time_ms`), details holding
// the lease's state, expiry, client id and, for DHCPv6, IAID.
Event lease_event(EventKind kind, const Lease& lease, int64_t time_ms);

// Milliseconds since the epoch, now.
int64_t event_clock_ms();

}  // namespace berth::leases
