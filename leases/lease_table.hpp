// The leases of one bridge in memory, with the indexes and the address
// allocator the DHCP decisions need. Owned by the DHCP thread; the store is
// the durable copy, this is the fast one.
//
// Compact (bench/startup: a /15 with 65,536 reservations and 50,000 leases):
// leases and reservations are records in vectors, indexed by FlatIndex (8
// bytes an entry), with host names, client identifiers and DNS names packed
// (PackedBytes) and what is rare (a reservation's options, IPv6 part, other
// match) beside them only when present. So Lease and Reservation objects are
// made on the way out: the lookups return them by value.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "leases/lease.hpp"
#include "leases/reservation.hpp"
#include "protocol/flat_index.hpp"
#include "protocol/packed_bytes.hpp"

namespace berth::leases {

// Who a client is: by client identifier (option 61) when it sends one,
// else by MAC (RFC 2131 §4.2).
struct ClientKey {
  MacAddress mac;
  Bytes client_id;
  std::string hostname;  // as sent (option 12), only to match hostname reservations

  bool matches(const Lease& l) const;
  bool matches(const Reservation& r) const;
  // The same client: hostname is a hint, not an identity.
  bool operator==(const ClientKey& o) const { return mac == o.mac && client_id == o.client_id; }
  // Identity bytes: the client identifier when present, else the MAC.
  Bytes id() const;
  // The same id(): whose offer is whose (offers are keyed by id()).
  bool same_id(const ClientKey& o) const {
    return client_id.empty() ? o.client_id.empty() && mac == o.mac : client_id == o.client_id;
  }
};

// Hashes byte strings (client identifiers): the per-client indexes are
// hash maps, so a /16 pool's lookups cost what a /24's do.
struct BytesHash {
  size_t operator()(const Bytes& b) const noexcept {
    return std::hash<std::string_view>{}(
        std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
  }
};

// One bit per address of a pool: set when the address has a record (a lease
// in any state, or a live offer). Finding a never-used address is a word
// scan, the same for a /24 as for a /16.
class AddressBitmap {
 public:
  AddressBitmap(Ipv4Address first, Ipv4Address last);
  bool contains(Ipv4Address a) const { return a >= first_ && a <= last_; }
  uint32_t size() const { return last_.value() - first_.value() + 1; }
  Ipv4Address first() const { return first_; }
  Ipv4Address last() const { return last_; }
  bool test(Ipv4Address a) const;
  void set(Ipv4Address a, bool value);
  // Lowest address whose bit is clear, from `from` on (wrapping once).
  std::optional<Ipv4Address> find_clear(Ipv4Address from) const;
  uint32_t count_set() const { return set_count_; }

 private:
  Ipv4Address first_;
  Ipv4Address last_;
  std::vector<uint64_t> words_;
  uint32_t set_count_ = 0;
  // No clear bit in any word below this one: a full pool's prefix is not
  // scanned again on every allocation.
  mutable uint32_t hint_word_ = 0;
};

// A dynamic pool beyond a bridge's first, or the first's restriction:
// `only_class` empty means any client may get its addresses.
struct PoolRange {
  Ipv4Address first;
  Ipv4Address last;  // inclusive
  std::string only_class;

  bool operator==(const PoolRange&) const = default;
};

struct Offer {
  ClientKey client;
  int64_t expires_at = 0;
};

class LeaseTable {
 public:
  LeaseTable(std::string bridge, Ipv4Address pool_first, Ipv4Address pool_last);

  const std::string& bridge() const { return bridge_; }
  // The first pool.
  const AddressBitmap& pool() const { return pool_; }

  // Several pools (`pool` as a list): restricts the first to a class and
  // adds the others. Pools never overlap (the config checks).
  void set_pools(std::string first_class, const std::vector<PoolRange>& more);
  // Whether `ip` is in a pool a client of `classes` may get addresses from.
  bool in_pool(Ipv4Address ip, std::span<const std::string> classes = {}) const;

  // Records a lease read from the store (or just committed); replaces what
  // was at its address. Returns what it replaced. The table is DHCPv4's:
  // the lease's address must be IPv4 (the caller filters by family).
  std::optional<Lease> put(Lease lease);
  // Forgets the lease at `ip`. Returns it.
  std::optional<Lease> erase(Ipv4Address ip);

  std::optional<Lease> at(Ipv4Address ip) const;
  // The client's lease on this bridge (the most recent, should it have
  // several). A declined record is a quarantine, never a client's lease.
  std::optional<Lease> find(const ClientKey& client) const;
  size_t lease_count() const { return by_ip_.size(); }
  const Offer* offer_at(Ipv4Address ip, int64_t now) const;
  // The live offer made to `client`, if any.
  std::optional<Ipv4Address> offered_to(const ClientKey& client, int64_t now) const;

  // True when `ip` is bound, offered or quarantined for anyone but `client`.
  bool held_by_other(Ipv4Address ip, const ClientKey& client, int64_t now) const;

  // Replaces the bridge's reservations (already validated by the caller).
  // Reserved addresses leave the dynamic pool, and offers they contradict
  // (of an address now reserved for another client, or to a client now
  // reserved elsewhere) are withdrawn.
  void set_reservations(std::vector<Reservation> reservations);
  // Adds one reservation (checked by the caller against those there): O(1)
  // but for a look at the live offers, as set_reservations does.
  void add_reservation(Reservation r);
  // The reservation for `client`: by client identifier, else MAC, else hostname.
  std::optional<Reservation> reservation_for(const ClientKey& client) const;
  std::optional<Reservation> reservation_at(Ipv4Address ip) const;
  // What the packet path needs of the client's reservation, read in place
  // (reservation_for copies the whole reservation): its address, and the
  // DHCP options it carries (empty when none, or no reservation).
  std::optional<Ipv4Address> reserved_address_for(const ClientKey& client) const;
  std::span<const dhcp4::ConfiguredOption> reserved_options_for(const ClientKey& client) const;
  bool reserved(Ipv4Address ip) const { return reservation_slot_at(ip) != FlatIndex::kNone; }
  // In the order set and added.
  std::vector<Reservation> reservations() const;
  size_t reservation_count() const { return reservations_.size(); }
  // The name, address and IPv6 address of each reservation, without making
  // Reservation objects (the DNS names of 65,536 reservations).
  template <class F>
  void for_each_reservation_name(F f) const {
    for (const ReservationRecord& r : reservations_) {
      f(r.name.text(), Ipv4Address(r.ip), r.extra ? r.extra->ipv6 : std::optional<Ipv6Address>());
    }
  }

  // Picks an address for `client` (RFC 2131 §4.3.1), in this order: its
  // reservation, unless another client still holds that address; its live
  // offer, if in the pool and not held by another; its current or previous address; the address it
  // asked for when it is in the pool and not allocated (not bound to, offered to or reserved for
  // another client, not quarantined), even if another client released it or
  // let it expire; a stable hash of its MAC into the pool; the lowest
  // never-used address; else the longest-expired lease of another client.
  // Released and expired addresses stay with their previous client only
  // against the last three steps. nullopt when the pool is exhausted.
  // With several pools, only those open to the client's `classes`: first
  // the pools restricted to one of them, then the unrestricted ones.
  std::optional<Ipv4Address> allocate(const ClientKey& client, std::optional<Ipv4Address> requested,
                                      int64_t now, std::span<const std::string> classes = {}) const;

  void put_offer(Ipv4Address ip, ClientKey client, int64_t expires_at);
  void drop_offer(Ipv4Address ip);
  void drop_offers_of(const ClientKey& client);

  // Forgets offers that timed out. Returns how many.
  size_t expire_offers(int64_t now);
  // Bound leases whose time ran out since the last call, from the expiry
  // index (no scan of the table).
  std::vector<Lease> expire_leases(int64_t now);

  struct Counts {
    size_t bound = 0, released = 0, expired = 0, declined = 0, offered = 0;
  };
  Counts counts(int64_t now) const;
  std::vector<Lease> leases() const;

 private:
  // A lease as the table keeps it (64 bytes). The bridge is the table's and
  // iaid 0, else they are in extra_ (a lease put by a caller that did not
  // filter: kept as given).
  struct LeaseRecord {
    int64_t expires_at = 0;
    int64_t updated_at = 0;
    PackedBytes hostname;
    PackedBytes client_id;
    uint32_t ip = 0;
    MacAddress mac;
    uint8_t state = 0;  // LeaseState
    uint8_t flags = 0;  // kLive, kBoundPending, kExtra
  };
  static constexpr uint8_t kLive = 1;          // the slot holds a lease
  static constexpr uint8_t kBoundPending = 2;  // bound, in bound_expiry_, not yet reported expired
  static constexpr uint8_t kExtra = 4;         // bridge or iaid in lease_extra_
  struct LeaseExtra {
    std::string bridge;
    uint32_t iaid = 0;
  };
  // What few reservations have, kept apart so that the others do without.
  struct ReservationExtra {
    std::string bridge;  // when not the table's
    bool other_bridge = false;
    Bytes client_id;
    std::string hostname_match;
    std::optional<Ipv6Address> ipv6;
    Bytes duid;
    std::vector<dhcp4::ConfiguredOption> options;
  };
  struct ReservationRecord {
    int64_t id = 0;
    uint32_t ip = 0;
    MacAddress mac;
    uint8_t match = 0;  // MatchKind
    bool from_config = false;
    PackedBytes name;
    std::unique_ptr<ReservationExtra> extra;
  };
  // An entry of an expiry heap; stale once its lease changed (checked when
  // read, and the heap rebuilt when stale entries outnumber the live).
  struct Expiry {
    int64_t at = 0;
    uint32_t ip = 0;
    bool operator>(const Expiry& o) const { return at != o.at ? at > o.at : ip > o.ip; }
  };

  static uint32_t ip_hash(uint32_t ip) { return flat_hash(ip); }
  static uint32_t mac_hash(const MacAddress& mac);
  static uint32_t bytes_hash(ByteView b);
  static uint32_t name_hash(std::string_view s);  // ASCII case-insensitive

  uint32_t slot_at(Ipv4Address ip) const;
  uint32_t reservation_slot_at(Ipv4Address ip) const;
  uint32_t reservation_slot_for(const ClientKey& client) const;
  Lease lease_of(uint32_t slot) const;
  Reservation reservation_of(const ReservationRecord& r) const;
  static bool matches(const ClientKey& client, const LeaseRecord& l);
  static bool matches(const ClientKey& client, const ReservationRecord& r);
  void index_lease(uint32_t slot);
  void unindex_lease(uint32_t slot);
  void index_reservation(uint32_t slot);
  void add_reservation_record(Reservation r);
  void push_expiry(std::vector<Expiry>& heap, Expiry e);
  void compact_expiry();
  void refresh_bit(Ipv4Address ip);
  void drop_offers_against_reservations();

  std::string bridge_;
  AddressBitmap pool_;
  std::string pool_class_;  // the class the first pool is restricted to; empty: none
  struct ExtraPool {
    AddressBitmap bits;
    std::string only_class;
  };
  std::vector<ExtraPool> more_pools_;
  std::vector<LeaseRecord> leases_;  // by slot; free slots are not kLive
  std::vector<uint32_t> free_slots_;
  std::unordered_map<uint32_t, LeaseExtra> lease_extra_;  // by address
  FlatIndex by_ip_;
  FlatIndex by_mac_;                  // not declined
  FlatIndex by_client_id_;            // not declined, with a client identifier
  std::vector<Expiry> by_expiry_;     // min-heap: every lease, for reclaiming
  std::vector<Expiry> bound_expiry_;  // min-heap: bound leases not yet seen expire
  std::vector<ReservationRecord> reservations_;
  FlatIndex reservation_by_ip_;
  FlatIndex reservation_by_mac_;
  FlatIndex reservation_by_client_id_;
  FlatIndex reservation_by_hostname_;
  std::unordered_map<Ipv4Address, Offer> offers_;
  std::unordered_map<Bytes, Ipv4Address, BytesHash> offer_by_client_;
  std::set<std::pair<int64_t, uint32_t>> offer_expiry_;
};

}  // namespace berth::leases
