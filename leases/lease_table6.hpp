// The DHCPv6 bindings of one bridge in memory (RFC 8415 §12): one lease per
// (DUID, IAID) and address, live offers (ADVERTISE), quarantined addresses
// (DECLINE), reservations, and an allocator that gives a client the same
// address back. Owned by the DHCP thread; the store is the durable copy.
// Leases here have an IPv6 `ip`, the DUID as `client_id` and the IAID as
// `iaid`.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "leases/lease.hpp"
#include "leases/lease_table.hpp"
#include "leases/reservation.hpp"

namespace berth::leases {

// Who holds a binding: the client's DUID and the IA's IAID.
struct BindingKey {
  Bytes duid;
  uint32_t iaid = 0;

  static BindingKey of(const Lease& l) { return {l.client_id, l.iaid}; }
  bool operator==(const BindingKey&) const = default;
};

struct BindingKeyHash {
  size_t operator()(const BindingKey& k) const noexcept {
    return BytesHash{}(k.duid) * 31 + std::hash<uint32_t>{}(k.iaid);
  }
};

// A DHCPv6 reservation: a client, by DUID (MatchKind::client_id) or by
// MAC (MatchKind::mac; from its link-local address or its DUID), always
// gets `ip` in its first IA_NA, and `name` as its hostname. Hostname
// matching does not exist in DHCPv6 (a client names itself only in
// option 39, which it need not send); such a reservation never matches.
struct Reservation6 {
  MatchKind match = MatchKind::client_id;
  Bytes duid;
  MacAddress mac;
  Ipv6Address ip;
  std::string name;

  bool operator==(const Reservation6&) const = default;
};

// A client as the allocator sees it: the binding it asks for and the MAC,
// when one is known, for MAC reservations.
struct Client6 {
  BindingKey key;
  std::optional<MacAddress> mac;
};

class LeaseTable6 {
 public:
  // Precondition: pool_first <= pool_last.
  LeaseTable6(std::string bridge, Ipv6Address pool_first, Ipv6Address pool_last);

  const std::string& bridge() const { return bridge_; }
  Ipv6Address pool_first() const { return first_; }
  Ipv6Address pool_last() const { return last_; }
  bool in_pool(const Ipv6Address& ip) const { return ip >= first_ && ip <= last_; }

  // Records a lease (from the store, or just decided); replaces what was
  // at its address and returns it. The lease's address must be IPv6.
  std::optional<Lease> put(Lease lease);
  std::optional<Lease> erase(Ipv6Address ip);  // by value, as drop_offer

  const Lease* at(const Ipv6Address& ip) const;
  // The binding's lease, in any state but declined (a quarantine is no
  // one's binding).
  const Lease* find(const BindingKey& key) const;

  // True when `ip` is bound (not yet expired), offered (live) or
  // quarantined (declined, not yet expired) for another binding, or
  // reserved for another client.
  bool held_by_other(const Ipv6Address& ip, const Client6& client, int64_t now) const;

  // Replaces the reservations (validated by the caller: addresses in the
  // bridge's prefix, each address and each client once). Offers they
  // contradict are withdrawn.
  void set_reservations(std::vector<Reservation6> reservations);
  const std::vector<Reservation6>& reservations() const { return reservations_; }
  // The client's reservation: by DUID, else by MAC.
  const Reservation6* reservation_for(const Client6& client) const;
  const Reservation6* reservation_at(const Ipv6Address& ip) const;

  // Picks an address for the binding, in this order: the client's
  // reservation when no other binding holds it (the first IA that asks
  // gets it); the binding's live offer; the binding's current or previous
  // address while in the pool and not held by another; then a probe of
  // the pool from a hash of DUID and IAID (the same start for the same
  // binding every time), taking the first address with no record, or
  // failing that the first one whose lease expired or was released.
  // At most kMaxProbes addresses are probed: a pool fuller than that
  // suggests can report exhaustion with a few addresses still free.
  std::optional<Ipv6Address> allocate(const Client6& client, int64_t now) const;
  static constexpr uint64_t kMaxProbes = 65536;

  void put_offer(const Ipv6Address& ip, const BindingKey& key, int64_t expires_at);
  std::optional<Ipv6Address> offered_to(const BindingKey& key, int64_t now) const;
  // By value: callers pass addresses that live in the indexes it erases from.
  void drop_offer(Ipv6Address ip);
  void drop_offers_of(const BindingKey& key);
  // Forgets offers that timed out; returns how many.
  size_t expire_offers(int64_t now);
  // Bound leases whose time ran out since the last call (the record stays,
  // affine to its client until its address is needed).
  std::vector<Lease> expire_leases(int64_t now);

  LeaseTable::Counts counts(int64_t now) const;
  std::vector<Lease> leases() const;

 private:
  struct Offer {
    BindingKey key;
    int64_t expires_at = 0;
  };
  bool reclaimable(const Ipv6Address& ip, const Client6& client, int64_t now) const;
  void drop_offers_against_reservations();

  std::string bridge_;
  Ipv6Address first_;
  Ipv6Address last_;
  std::unordered_map<Ipv6Address, Lease> by_ip_;
  std::unordered_map<BindingKey, Ipv6Address, BindingKeyHash> by_key_;
  std::set<std::pair<int64_t, Ipv6Address>> bound_expiry_;
  std::unordered_map<Ipv6Address, Offer> offers_;
  std::unordered_map<BindingKey, Ipv6Address, BindingKeyHash> offer_by_key_;
  std::set<std::pair<int64_t, Ipv6Address>> offer_expiry_;
  std::vector<Reservation6> reservations_;
  std::unordered_map<Ipv6Address, size_t> reservation_by_ip_;
  std::unordered_map<Bytes, size_t, BytesHash> reservation_by_duid_;
  std::unordered_map<MacAddress, size_t> reservation_by_mac_;
};

}  // namespace berth::leases
