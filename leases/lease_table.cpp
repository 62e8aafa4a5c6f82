#include "leases/lease_table.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cctype>
#include <functional>

namespace berth::leases {

bool ClientKey::matches(const Lease& l) const {
  if (!client_id.empty() && !l.client_id.empty()) return client_id == l.client_id;
  return mac == l.mac;
}

namespace {
std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
}  // namespace

bool ClientKey::matches(const Reservation& r) const {
  switch (r.match) {
    case MatchKind::mac:
      return mac == r.mac;
    case MatchKind::client_id:
      return !client_id.empty() && client_id == r.client_id;
    case MatchKind::hostname:
      return !hostname.empty() && lower(hostname) == lower(r.hostname_match);
  }
  return false;
}

Bytes ClientKey::id() const {
  // A tag byte keeps a client identifier from ever equalling a MAC.
  ByteView body = client_id.empty() ? mac.view() : ByteView(client_id);
  Bytes out(body.size() + 1);
  out[0] = client_id.empty() ? 'm' : 'i';
  std::copy(body.begin(), body.end(), out.begin() + 1);
  return out;
}

AddressBitmap::AddressBitmap(Ipv4Address first, Ipv4Address last) : first_(first), last_(last) {
  assert(first <= last);
  words_.assign((size() + 63) / 64, 0);
}

bool AddressBitmap::test(Ipv4Address a) const {
  if (!contains(a)) return false;
  uint32_t i = a.value() - first_.value();
  return (words_[i / 64] >> (i % 64)) & 1u;
}

void AddressBitmap::set(Ipv4Address a, bool value) {
  if (!contains(a)) return;
  uint32_t i = a.value() - first_.value();
  uint64_t bit = uint64_t{1} << (i % 64);
  uint64_t& w = words_[i / 64];
  bool was = (w & bit) != 0;
  if (was == value) return;
  if (value) {
    w |= bit;
    ++set_count_;
  } else {
    w &= ~bit;
    --set_count_;
    hint_word_ = std::min(hint_word_, i / 64);
  }
}

std::optional<Ipv4Address> AddressBitmap::find_clear(Ipv4Address from) const {
  const uint32_t n = size();
  if (set_count_ >= n) return std::nullopt;
  uint32_t start = contains(from) ? from.value() - first_.value() : 0;
  const uint32_t hint_bit = hint_word_ * 64;
  // Two passes: [start, n) then [0, start); nothing below the hint is clear.
  for (int pass = 0; pass < 2; ++pass) {
    uint32_t lo = std::max(pass == 0 ? start : 0u, hint_bit);
    uint32_t hi = pass == 0 ? n : start;
    uint32_t i = lo;
    while (i < hi) {
      uint64_t w = ~words_[i / 64] >> (i % 64);  // clear bits as ones, from i on
      if (w == 0) {
        i = (i / 64 + 1) * 64;
        continue;
      }
      uint32_t found = i + static_cast<uint32_t>(std::countr_zero(w));
      if (found >= hi) break;
      if (lo == hint_bit) hint_word_ = found / 64;  // every word before it is full
      return Ipv4Address(first_.value() + found);
    }
    if (lo == hint_bit && hi == n) hint_word_ = (n + 63) / 64;
  }
  return std::nullopt;
}

LeaseTable::LeaseTable(std::string bridge, Ipv4Address pool_first, Ipv4Address pool_last)
    : bridge_(std::move(bridge)), pool_(pool_first, pool_last) {}

uint32_t LeaseTable::mac_hash(const MacAddress& mac) {
  uint64_t v = 0;
  for (uint8_t b : mac.bytes()) v = v << 8 | b;
  return flat_hash(v);
}

uint32_t LeaseTable::bytes_hash(ByteView b) {
  return flat_hash(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
}

uint32_t LeaseTable::name_hash(std::string_view s) { return flat_hash(std::string_view(lower(s))); }

namespace {
bool equal_ci(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}
bool same_bytes(ByteView a, ByteView b) { return std::ranges::equal(a, b); }

// Room for one more, growing by a quarter rather than doubling: these
// vectors hold a record per lease, and doubling leaves up to half unused.
template <class T>
void make_room(std::vector<T>& v) {
  if (v.size() == v.capacity()) v.reserve(v.capacity() + v.capacity() / 4 + 16);
}
}  // namespace

bool LeaseTable::matches(const ClientKey& client, const LeaseRecord& l) {
  if (!client.client_id.empty() && !l.client_id.empty()) {
    return same_bytes(client.client_id, l.client_id.bytes());
  }
  return client.mac == l.mac;
}

bool LeaseTable::matches(const ClientKey& client, const ReservationRecord& r) {
  switch (static_cast<MatchKind>(r.match)) {
    case MatchKind::mac:
      return client.mac == r.mac;
    case MatchKind::client_id:
      return !client.client_id.empty() && client.client_id == r.extra->client_id;
    case MatchKind::hostname:
      return !client.hostname.empty() && equal_ci(client.hostname, r.extra->hostname_match);
  }
  return false;
}

uint32_t LeaseTable::slot_at(Ipv4Address ip) const {
  return by_ip_.find(ip_hash(ip.value()),
                     [&](uint32_t slot) { return leases_[slot].ip == ip.value(); });
}

Lease LeaseTable::lease_of(uint32_t slot) const {
  const LeaseRecord& r = leases_[slot];
  Lease l{.bridge = bridge_,
          .ip = Ipv4Address(r.ip),
          .mac = r.mac,
          .client_id = Bytes(r.client_id.bytes().begin(), r.client_id.bytes().end()),
          .hostname = r.hostname.to_string(),
          .state = static_cast<LeaseState>(r.state),
          .expires_at = r.expires_at,
          .updated_at = r.updated_at};
  if (r.flags & kExtra) {
    const LeaseExtra& e = lease_extra_.at(r.ip);
    l.bridge = e.bridge;
    l.iaid = e.iaid;
  }
  return l;
}

void LeaseTable::index_lease(uint32_t slot) {
  LeaseRecord& l = leases_[slot];
  by_ip_.assign(ip_hash(l.ip), slot, [&](uint32_t s) { return leases_[s].ip == l.ip; });
  // A declined record quarantines an address (RFC 2131 §4.3.3); it is not
  // the lease of the client that declined it. Were it found as that client's
  // lease, the client's next ACK would erase it as its previous lease and end
  // the quarantine at once.
  if (static_cast<LeaseState>(l.state) != LeaseState::declined) {
    by_mac_.assign(mac_hash(l.mac), slot, [&](uint32_t s) { return leases_[s].mac == l.mac; });
    if (!l.client_id.empty()) {
      by_client_id_.assign(bytes_hash(l.client_id.bytes()), slot,
                           [&](uint32_t s) { return leases_[s].client_id == l.client_id; });
    }
  }
}

void LeaseTable::unindex_lease(uint32_t slot) {
  const LeaseRecord& l = leases_[slot];
  by_ip_.erase(ip_hash(l.ip), slot);
  // Only when the index still points here (a later lease of the same client
  // took it over otherwise).
  by_mac_.erase(mac_hash(l.mac), slot);
  if (!l.client_id.empty()) by_client_id_.erase(bytes_hash(l.client_id.bytes()), slot);
}

void LeaseTable::push_expiry(std::vector<Expiry>& heap, Expiry e) {
  make_room(heap);
  heap.push_back(e);
  std::push_heap(heap.begin(), heap.end(), std::greater<>{});
}

void LeaseTable::compact_expiry() {
  // Each renewal leaves a stale entry behind; once they outnumber the live
  // ones, the heaps are made again from the leases (amortised O(1) a put).
  const size_t live = by_ip_.size();
  if (by_expiry_.size() <= 2 * live + 1024 && bound_expiry_.size() <= 2 * live + 1024) return;
  by_expiry_.clear();
  bound_expiry_.clear();
  for (const LeaseRecord& l : leases_) {
    if (!(l.flags & kLive)) continue;
    by_expiry_.push_back({l.expires_at, l.ip});
    if (l.flags & kBoundPending) bound_expiry_.push_back({l.expires_at, l.ip});
  }
  std::make_heap(by_expiry_.begin(), by_expiry_.end(), std::greater<>{});
  std::make_heap(bound_expiry_.begin(), bound_expiry_.end(), std::greater<>{});
  by_expiry_.shrink_to_fit();
  bound_expiry_.shrink_to_fit();
}

void LeaseTable::refresh_bit(Ipv4Address ip) {
  const bool used = slot_at(ip) != FlatIndex::kNone || offers_.contains(ip) ||
                    reservation_slot_at(ip) != FlatIndex::kNone;
  if (pool_.contains(ip)) pool_.set(ip, used);
  for (ExtraPool& p : more_pools_) {
    if (p.bits.contains(ip)) p.bits.set(ip, used);
  }
}

void LeaseTable::set_pools(std::string first_class, const std::vector<PoolRange>& more) {
  pool_class_ = std::move(first_class);
  more_pools_.clear();
  for (const PoolRange& r : more) {
    more_pools_.push_back(
        ExtraPool{.bits = AddressBitmap(r.first, r.last), .only_class = r.only_class});
  }
  // Addresses already known (leases, offers, reservations) are used.
  std::vector<Ipv4Address> known;
  for (const LeaseRecord& l : leases_) {
    if (l.flags & kLive) known.emplace_back(l.ip);
  }
  for (const auto& [ip, offer] : offers_) known.push_back(ip);
  for (const ReservationRecord& r : reservations_) known.emplace_back(r.ip);
  for (Ipv4Address ip : known) refresh_bit(ip);
}

bool LeaseTable::in_pool(Ipv4Address ip, std::span<const std::string> classes) const {
  auto open = [&](const std::string& only) {
    return only.empty() || std::ranges::find(classes, only) != classes.end();
  };
  if (pool_.contains(ip)) return open(pool_class_);
  for (const ExtraPool& p : more_pools_) {
    if (p.bits.contains(ip)) return open(p.only_class);
  }
  return false;
}

void LeaseTable::index_reservation(uint32_t slot) {
  const ReservationRecord& r = reservations_[slot];
  // First come, first kept, as the caller checked there are no clashes.
  reservation_by_ip_.insert(ip_hash(r.ip), slot,
                            [&](uint32_t s) { return reservations_[s].ip == r.ip; });
  switch (static_cast<MatchKind>(r.match)) {
    case MatchKind::mac:
      reservation_by_mac_.insert(mac_hash(r.mac), slot, [&](uint32_t s) {
        return reservations_[s].match == r.match && reservations_[s].mac == r.mac;
      });
      break;
    case MatchKind::client_id:
      reservation_by_client_id_.insert(bytes_hash(r.extra->client_id), slot, [&](uint32_t s) {
        return reservations_[s].match == r.match &&
               reservations_[s].extra->client_id == r.extra->client_id;
      });
      break;
    case MatchKind::hostname:
      reservation_by_hostname_.insert(name_hash(r.extra->hostname_match), slot, [&](uint32_t s) {
        return reservations_[s].match == r.match &&
               equal_ci(reservations_[s].extra->hostname_match, r.extra->hostname_match);
      });
      break;
  }
}

void LeaseTable::set_reservations(std::vector<Reservation> reservations) {
  std::vector<Ipv4Address> touched;
  touched.reserve(reservations_.size() + reservations.size());
  for (const ReservationRecord& r : reservations_) touched.emplace_back(r.ip);
  reservations_.clear();
  reservations_.shrink_to_fit();
  reservation_by_ip_.clear();
  reservation_by_mac_.clear();
  reservation_by_client_id_.clear();
  reservation_by_hostname_.clear();
  reservations_.reserve(reservations.size());
  reservation_by_ip_.reserve(reservations.size());
  for (Reservation& r : reservations) {
    touched.push_back(r.ip);
    add_reservation_record(std::move(r));
  }
  for (Ipv4Address ip : touched) refresh_bit(ip);
  drop_offers_against_reservations();
}

void LeaseTable::add_reservation_record(Reservation r) {
  ReservationRecord rec{.id = r.id,
                        .ip = r.ip.value(),
                        .mac = r.mac,
                        .match = static_cast<uint8_t>(r.match),
                        .from_config = r.from_config,
                        .name = PackedBytes(std::string_view(r.name)),
                        .extra = nullptr};
  const bool other_bridge = r.bridge != bridge_;
  if (other_bridge || !r.client_id.empty() || !r.hostname_match.empty() || r.ipv6 ||
      !r.duid.empty() || !r.options.empty() || r.match != MatchKind::mac) {
    rec.extra = std::make_unique<ReservationExtra>(
        ReservationExtra{.bridge = other_bridge ? std::move(r.bridge) : std::string(),
                         .other_bridge = other_bridge,
                         .client_id = std::move(r.client_id),
                         .hostname_match = std::move(r.hostname_match),
                         .ipv6 = r.ipv6,
                         .duid = std::move(r.duid),
                         .options = std::move(r.options)});
  }
  reservations_.push_back(std::move(rec));
  index_reservation(static_cast<uint32_t>(reservations_.size() - 1));
}

Reservation LeaseTable::reservation_of(const ReservationRecord& r) const {
  Reservation out{.id = r.id,
                  .bridge = bridge_,
                  .match = static_cast<MatchKind>(r.match),
                  .mac = r.mac,
                  .ip = Ipv4Address(r.ip),
                  .name = r.name.to_string(),
                  .from_config = r.from_config};
  if (const ReservationExtra* e = r.extra.get()) {
    if (e->other_bridge) out.bridge = e->bridge;
    out.client_id = e->client_id;
    out.hostname_match = e->hostname_match;
    out.ipv6 = e->ipv6;
    out.duid = e->duid;
    out.options = e->options;
  }
  return out;
}

std::vector<Reservation> LeaseTable::reservations() const {
  std::vector<Reservation> out;
  out.reserve(reservations_.size());
  for (const ReservationRecord& r : reservations_) out.push_back(reservation_of(r));
  return out;
}

void LeaseTable::drop_offers_against_reservations() {
  // An offer made before a reservation changed may now promise an address
  // reserved for another client, or keep a client with a reservation away
  // from it: the client's REQUEST would be ACKed from the offer. Withdrawn,
  // the REQUEST is NAKed and the client's next DISCOVER gets the right one.
  std::vector<Ipv4Address> stale;
  auto sweep = [&](auto contradicts) {
    stale.clear();
    for (const auto& [ip, o] : offers_) {
      if (contradicts(ip, o.client)) stale.push_back(ip);
    }
    for (Ipv4Address ip : stale) drop_offer(ip);
  };
  // First the offers of addresses reserved for someone else, so that their
  // clients no longer hold what the second pass looks at.
  sweep([&](Ipv4Address ip, const ClientKey& client) {
    const uint32_t here = reservation_slot_at(ip);
    return here != FlatIndex::kNone && !matches(client, reservations_[here]);
  });
  // Then the offers to clients reserved elsewhere, unless another client may
  // still hold the reserved address (no clock here: any bound or declined
  // record, any offer), which allocate() would then pass over too.
  sweep([&](Ipv4Address ip, const ClientKey& client) {
    const uint32_t mine_slot = reservation_slot_for(client);
    if (mine_slot == FlatIndex::kNone) return false;
    const Ipv4Address mine(reservations_[mine_slot].ip);
    if (mine == ip) return false;
    if (const uint32_t l = slot_at(mine); l != FlatIndex::kNone) {
      const LeaseRecord& held = leases_[l];
      const auto state = static_cast<LeaseState>(held.state);
      if (!matches(client, held) && (state == LeaseState::bound || state == LeaseState::declined)) {
        return false;
      }
    }
    auto other = offers_.find(mine);
    return other == offers_.end() || other->second.client.same_id(client);
  });
  // Last the offers of addresses outside every pool that are no longer
  // reserved: made for a reservation since removed, they would be ACKed
  // from the offer (found by fuzz_dhcp4_service).
  sweep([&](Ipv4Address ip, const ClientKey&) {
    if (reservation_slot_at(ip) != FlatIndex::kNone || pool_.contains(ip)) return false;
    return std::ranges::none_of(more_pools_,
                                [&](const ExtraPool& p) { return p.bits.contains(ip); });
  });
}

void LeaseTable::add_reservation(Reservation r) {
  const Ipv4Address ip = r.ip;
  add_reservation_record(std::move(r));
  refresh_bit(ip);
  drop_offers_against_reservations();
}

uint32_t LeaseTable::reservation_slot_for(const ClientKey& client) const {
  if (!client.client_id.empty()) {
    const uint32_t s = reservation_by_client_id_.find(
        bytes_hash(client.client_id),
        [&](uint32_t i) { return reservations_[i].extra->client_id == client.client_id; });
    if (s != FlatIndex::kNone) return s;
  }
  const uint32_t s = reservation_by_mac_.find(
      mac_hash(client.mac), [&](uint32_t i) { return reservations_[i].mac == client.mac; });
  if (s != FlatIndex::kNone) return s;
  if (!client.hostname.empty()) {
    return reservation_by_hostname_.find(name_hash(client.hostname), [&](uint32_t i) {
      return equal_ci(reservations_[i].extra->hostname_match, client.hostname);
    });
  }
  return FlatIndex::kNone;
}

uint32_t LeaseTable::reservation_slot_at(Ipv4Address ip) const {
  return reservation_by_ip_.find(ip_hash(ip.value()),
                                 [&](uint32_t i) { return reservations_[i].ip == ip.value(); });
}

std::optional<Reservation> LeaseTable::reservation_for(const ClientKey& client) const {
  const uint32_t s = reservation_slot_for(client);
  if (s == FlatIndex::kNone) return std::nullopt;
  return reservation_of(reservations_[s]);
}

std::optional<Ipv4Address> LeaseTable::reserved_address_for(const ClientKey& client) const {
  const uint32_t s = reservation_slot_for(client);
  if (s == FlatIndex::kNone) return std::nullopt;
  return Ipv4Address(reservations_[s].ip);
}

std::span<const dhcp4::ConfiguredOption> LeaseTable::reserved_options_for(
    const ClientKey& client) const {
  const uint32_t s = reservation_slot_for(client);
  if (s == FlatIndex::kNone || !reservations_[s].extra) return {};
  return reservations_[s].extra->options;
}

std::optional<Reservation> LeaseTable::reservation_at(Ipv4Address ip) const {
  const uint32_t s = reservation_slot_at(ip);
  if (s == FlatIndex::kNone) return std::nullopt;
  return reservation_of(reservations_[s]);
}

std::optional<Lease> LeaseTable::put(Lease lease) {
  const Ipv4Address ip = lease.ip.v4();
  std::optional<Lease> previous;
  uint32_t slot = slot_at(ip);
  bool was_pending = false;
  int64_t was_expiry = 0;
  if (slot != FlatIndex::kNone) {
    previous = lease_of(slot);
    was_pending = (leases_[slot].flags & kBoundPending) != 0;
    was_expiry = leases_[slot].expires_at;
    unindex_lease(slot);
  } else if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<uint32_t>(leases_.size());
    make_room(leases_);
    leases_.emplace_back();
  }
  const bool extra = lease.bridge != bridge_ || lease.iaid != 0;
  if (extra) {
    lease_extra_[ip.value()] = LeaseExtra{.bridge = std::move(lease.bridge), .iaid = lease.iaid};
  } else {
    lease_extra_.erase(ip.value());
  }
  LeaseRecord& r = leases_[slot];
  r = LeaseRecord{.expires_at = lease.expires_at,
                  .updated_at = lease.updated_at,
                  .hostname = PackedBytes(std::string_view(lease.hostname)),
                  .client_id = PackedBytes(ByteView(lease.client_id)),
                  .ip = ip.value(),
                  .mac = lease.mac,
                  .state = static_cast<uint8_t>(lease.state),
                  .flags = static_cast<uint8_t>(kLive | (extra ? kExtra : 0))};
  index_lease(slot);
  if (!previous || previous->expires_at != lease.expires_at) {
    push_expiry(by_expiry_, {lease.expires_at, ip.value()});
  }
  if (lease.state == LeaseState::bound) {
    // Still in the heap from before when nothing it is ordered by changed.
    if (!(was_pending && was_expiry == lease.expires_at)) {
      push_expiry(bound_expiry_, {lease.expires_at, ip.value()});
    }
    r.flags |= kBoundPending;
  }
  compact_expiry();
  refresh_bit(ip);
  return previous;
}

std::optional<Lease> LeaseTable::erase(Ipv4Address ip) {
  const uint32_t slot = slot_at(ip);
  if (slot == FlatIndex::kNone) return std::nullopt;
  Lease l = lease_of(slot);
  unindex_lease(slot);
  lease_extra_.erase(ip.value());
  leases_[slot] = LeaseRecord{};
  free_slots_.push_back(slot);
  refresh_bit(ip);
  return l;
}

std::optional<Lease> LeaseTable::at(Ipv4Address ip) const {
  const uint32_t slot = slot_at(ip);
  if (slot == FlatIndex::kNone) return std::nullopt;
  return lease_of(slot);
}

std::optional<Lease> LeaseTable::find(const ClientKey& client) const {
  if (!client.client_id.empty()) {
    const uint32_t s = by_client_id_.find(bytes_hash(client.client_id), [&](uint32_t i) {
      return same_bytes(leases_[i].client_id.bytes(), client.client_id);
    });
    if (s != FlatIndex::kNone && matches(client, leases_[s])) return lease_of(s);
  }
  const uint32_t s =
      by_mac_.find(mac_hash(client.mac), [&](uint32_t i) { return leases_[i].mac == client.mac; });
  if (s != FlatIndex::kNone && matches(client, leases_[s])) return lease_of(s);
  return std::nullopt;
}

const Offer* LeaseTable::offer_at(Ipv4Address ip, int64_t now) const {
  auto it = offers_.find(ip);
  if (it == offers_.end() || it->second.expires_at <= now) return nullptr;
  return &it->second;
}

bool LeaseTable::held_by_other(Ipv4Address ip, const ClientKey& client, int64_t now) const {
  // Offers go by id(), as offered_to() finds them: clones that share a
  // client identifier share their offer.
  if (const Offer* o = offer_at(ip, now); o && !o->client.same_id(client)) return true;
  if (const uint32_t r = reservation_slot_at(ip);
      r != FlatIndex::kNone && !matches(client, reservations_[r])) {
    return true;
  }
  const uint32_t slot = slot_at(ip);
  if (slot == FlatIndex::kNone) return false;
  const LeaseRecord& l = leases_[slot];
  const auto state = static_cast<LeaseState>(l.state);
  LeaseState s = state == LeaseState::bound && l.expires_at <= now ? LeaseState::expired : state;
  if (s == LeaseState::declined) return l.expires_at > now;  // quarantine holds for everyone
  return s == LeaseState::bound && !matches(client, l);
}

namespace {
uint32_t stable_mac_hash(const MacAddress& mac) {
  uint32_t h = 2166136261u;  // FNV-1a: stable across builds and restarts
  for (uint8_t b : mac.bytes()) {
    h ^= b;
    h *= 16777619u;
  }
  return h;
}
}  // namespace

std::optional<Ipv4Address> LeaseTable::allocate(const ClientKey& client,
                                                std::optional<Ipv4Address> requested, int64_t now,
                                                std::span<const std::string> classes) const {
  auto usable = [&](Ipv4Address ip) {
    return in_pool(ip, classes) && !held_by_other(ip, client, now);
  };
  if (const uint32_t r = reservation_slot_for(client); r != FlatIndex::kNone) {
    const Ipv4Address ip(reservations_[r].ip);
    if (!held_by_other(ip, client, now)) return ip;
  }
  // A live offer to this client, while the client may still have it: an
  // offer of a reserved address made when the client sent the hostname the
  // reservation matches is not for the same client without that hostname.
  // Then its current or previous lease.
  if (auto offered = offered_to(client, now); offered && usable(*offered)) return offered;
  if (auto l = find(client); l && usable(l->ip.v4())) return l->ip.v4();
  // The address the client asked for, when it is not allocated (RFC 2131
  // §4.3.1): a released or expired lease of another client is free to give,
  // as dnsmasq does for a container re-created with a new MAC that asks for
  // its old address. Bound, offered, quarantined and reserved addresses are
  // held (held_by_other).
  if (requested && usable(*requested)) return requested;
  // Affinity orders only what follows, for clients that ask for nothing (or
  // for what they cannot have): a released or expired address stays with its
  // previous client while never-used addresses remain.
  // A stable spot for this MAC: a re-created container lands where it was.
  // The pools open to this client: those of its classes first.
  std::vector<std::pair<const AddressBitmap*, const std::string*>> pools;
  pools.emplace_back(&pool_, &pool_class_);
  for (const ExtraPool& p : more_pools_) pools.emplace_back(&p.bits, &p.only_class);
  std::stable_partition(pools.begin(), pools.end(),
                        [](const auto& p) { return !p.second->empty(); });
  for (const auto& [bits, only] : pools) {
    if (!only->empty() && std::ranges::find(classes, *only) == classes.end()) continue;
    const AddressBitmap& p = *bits;
    Ipv4Address hashed(p.first().value() + stable_mac_hash(client.mac) % p.size());
    if (!p.test(hashed)) return hashed;
    if (auto free = p.find_clear(p.first())) return free;
  }
  // Everything has a record: take the longest-expired one that nobody holds.
  // The heap is walked in order (best first: a small heap of the positions
  // whose parents were taken), so only the entries up to `now` are read.
  auto later = [&](uint32_t a, uint32_t b) { return by_expiry_[a] > by_expiry_[b]; };
  std::vector<uint32_t> frontier;
  if (!by_expiry_.empty()) frontier.push_back(0);
  while (!frontier.empty()) {
    std::pop_heap(frontier.begin(), frontier.end(), later);
    const uint32_t i = frontier.back();
    frontier.pop_back();
    const Expiry& e = by_expiry_[i];
    if (e.at > now) break;
    const uint32_t slot = slot_at(Ipv4Address(e.ip));
    // Stale entries (the lease changed or is gone) are passed over.
    if (slot != FlatIndex::kNone && leases_[slot].expires_at == e.at && usable(Ipv4Address(e.ip))) {
      return Ipv4Address(e.ip);
    }
    for (uint32_t child : {2 * i + 1, 2 * i + 2}) {
      if (child < by_expiry_.size()) {
        frontier.push_back(child);
        std::push_heap(frontier.begin(), frontier.end(), later);
      }
    }
  }
  return std::nullopt;
}

std::optional<Ipv4Address> LeaseTable::offered_to(const ClientKey& client, int64_t now) const {
  auto it = offer_by_client_.find(client.id());
  if (it == offer_by_client_.end()) return std::nullopt;
  if (!offer_at(it->second, now)) return std::nullopt;
  return it->second;
}

void LeaseTable::put_offer(Ipv4Address ip, ClientKey client, int64_t expires_at) {
  drop_offer(ip);
  Bytes id = client.id();
  if (auto it = offer_by_client_.find(id); it != offer_by_client_.end()) drop_offer(it->second);
  offer_by_client_[std::move(id)] = ip;
  offers_.emplace(ip, Offer{std::move(client), expires_at});
  offer_expiry_.emplace(expires_at, ip.value());
  refresh_bit(ip);
}

void LeaseTable::drop_offer(Ipv4Address ip) {
  auto it = offers_.find(ip);
  if (it == offers_.end()) return;
  offer_expiry_.erase({it->second.expires_at, ip.value()});
  if (auto c = offer_by_client_.find(it->second.client.id());
      c != offer_by_client_.end() && c->second == ip) {
    offer_by_client_.erase(c);
  }
  offers_.erase(it);
  refresh_bit(ip);
}

void LeaseTable::drop_offers_of(const ClientKey& client) {
  if (auto it = offer_by_client_.find(client.id()); it != offer_by_client_.end()) {
    drop_offer(it->second);
  }
}

size_t LeaseTable::expire_offers(int64_t now) {
  size_t n = 0;
  while (!offer_expiry_.empty() && offer_expiry_.begin()->first <= now) {
    Ipv4Address ip(offer_expiry_.begin()->second);
    drop_offer(ip);
    ++n;
  }
  return n;
}

std::vector<Lease> LeaseTable::expire_leases(int64_t now) {
  std::vector<Lease> expired;
  while (!bound_expiry_.empty() && bound_expiry_.front().at <= now) {
    std::pop_heap(bound_expiry_.begin(), bound_expiry_.end(), std::greater<>{});
    const Expiry e = bound_expiry_.back();
    bound_expiry_.pop_back();
    const uint32_t slot = slot_at(Ipv4Address(e.ip));
    if (slot == FlatIndex::kNone) continue;
    LeaseRecord& l = leases_[slot];
    // Once per bound lease: a stale entry (renewed, released, replaced or
    // reported already) is dropped.
    if (!(l.flags & kBoundPending) || l.expires_at != e.at ||
        static_cast<LeaseState>(l.state) != LeaseState::bound) {
      continue;
    }
    l.flags &= static_cast<uint8_t>(~kBoundPending);
    expired.push_back(lease_of(slot));
  }
  return expired;
}

LeaseTable::Counts LeaseTable::counts(int64_t now) const {
  Counts c;
  for (const LeaseRecord& r : leases_) {
    if (!(r.flags & kLive)) continue;
    const auto state = static_cast<LeaseState>(r.state);
    switch (state == LeaseState::bound && r.expires_at <= now ? LeaseState::expired : state) {
      case LeaseState::bound:
        ++c.bound;
        break;
      case LeaseState::released:
        ++c.released;
        break;
      case LeaseState::expired:
        ++c.expired;
        break;
      case LeaseState::declined:
        ++c.declined;
        break;
    }
  }
  for (const auto& [ip, o] : offers_) {
    (void)ip;
    if (o.expires_at > now) ++c.offered;
  }
  return c;
}

std::vector<Lease> LeaseTable::leases() const {
  std::vector<Lease> out;
  out.reserve(by_ip_.size());
  for (uint32_t slot = 0; slot < leases_.size(); ++slot) {
    if (leases_[slot].flags & kLive) out.push_back(lease_of(slot));
  }
  return out;
}

}  // namespace berth::leases
