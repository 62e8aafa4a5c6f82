#include "leases/lease_table.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cctype>

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

void LeaseTable::index(const Lease& l) {
  const Ipv4Address ip = l.ip.v4();
  // A declined record quarantines an address (RFC 2131 §4.3.3); it is not
  // the lease of the client that declined it. Were it found as that client's
  // lease, the client's next ACK would erase it as its previous lease and end
  // the quarantine at once.
  if (l.state != LeaseState::declined) {
    by_mac_[l.mac] = ip;
    if (!l.client_id.empty()) by_client_id_[l.client_id] = ip;
  }
  by_expiry_.emplace(l.expires_at, ip.value());
  if (l.state == LeaseState::bound) bound_expiry_.emplace(l.expires_at, ip.value());
}

void LeaseTable::unindex(const Lease& l) {
  const Ipv4Address ip = l.ip.v4();
  if (auto it = by_mac_.find(l.mac); it != by_mac_.end() && it->second == ip) by_mac_.erase(it);
  if (!l.client_id.empty()) {
    if (auto it = by_client_id_.find(l.client_id); it != by_client_id_.end() && it->second == ip) {
      by_client_id_.erase(it);
    }
  }
  by_expiry_.erase({l.expires_at, ip.value()});
  bound_expiry_.erase({l.expires_at, ip.value()});
}

void LeaseTable::refresh_bit(Ipv4Address ip) {
  const bool used = by_ip_.contains(ip) || offers_.contains(ip) || reservation_by_ip_.contains(ip);
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
  for (const auto& [ip, lease] : by_ip_) known.push_back(ip);
  for (const auto& [ip, offer] : offers_) known.push_back(ip);
  for (const auto& [ip, index] : reservation_by_ip_) known.push_back(ip);
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

void LeaseTable::set_reservations(std::vector<Reservation> reservations) {
  std::vector<Ipv4Address> touched;
  touched.reserve(reservations_.size() + reservations.size());
  for (const Reservation& r : reservations_) touched.push_back(r.ip);
  reservations_ = std::move(reservations);
  reservation_by_ip_.clear();
  reservation_by_mac_.clear();
  reservation_by_client_id_.clear();
  reservation_by_hostname_.clear();
  for (size_t i = 0; i < reservations_.size(); ++i) {
    const Reservation& r = reservations_[i];
    reservation_by_ip_.emplace(r.ip, i);
    switch (r.match) {
      case MatchKind::mac:
        reservation_by_mac_.emplace(r.mac, i);
        break;
      case MatchKind::client_id:
        reservation_by_client_id_.emplace(r.client_id, i);
        break;
      case MatchKind::hostname:
        reservation_by_hostname_.emplace(lower(r.hostname_match), i);
        break;
    }
    touched.push_back(r.ip);
  }
  for (Ipv4Address ip : touched) refresh_bit(ip);
  drop_offers_against_reservations();
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
    const Reservation* here = reservation_at(ip);
    return here != nullptr && !client.matches(*here);
  });
  // Then the offers to clients reserved elsewhere, unless another client may
  // still hold the reserved address (no clock here: any bound or declined
  // record, any offer), which allocate() would then pass over too.
  sweep([&](Ipv4Address ip, const ClientKey& client) {
    const Reservation* mine = reservation_for(client);
    if (mine == nullptr || mine->ip == ip) return false;
    const Lease* l = at(mine->ip);
    if (l != nullptr && !client.matches(*l) &&
        (l->state == LeaseState::bound || l->state == LeaseState::declined)) {
      return false;
    }
    auto other = offers_.find(mine->ip);
    return other == offers_.end() || other->second.client.same_id(client);
  });
}

void LeaseTable::add_reservation(Reservation r) {
  const size_t i = reservations_.size();
  reservations_.push_back(std::move(r));
  const Reservation& added = reservations_.back();
  reservation_by_ip_.emplace(added.ip, i);
  switch (added.match) {
    case MatchKind::mac:
      reservation_by_mac_.emplace(added.mac, i);
      break;
    case MatchKind::client_id:
      reservation_by_client_id_.emplace(added.client_id, i);
      break;
    case MatchKind::hostname:
      reservation_by_hostname_.emplace(lower(added.hostname_match), i);
      break;
  }
  refresh_bit(added.ip);
  drop_offers_against_reservations();
}

const Reservation* LeaseTable::reservation_for(const ClientKey& client) const {
  if (!client.client_id.empty()) {
    if (auto it = reservation_by_client_id_.find(client.client_id);
        it != reservation_by_client_id_.end()) {
      return &reservations_[it->second];
    }
  }
  if (auto it = reservation_by_mac_.find(client.mac); it != reservation_by_mac_.end()) {
    return &reservations_[it->second];
  }
  if (!client.hostname.empty()) {
    if (auto it = reservation_by_hostname_.find(lower(client.hostname));
        it != reservation_by_hostname_.end()) {
      return &reservations_[it->second];
    }
  }
  return nullptr;
}

const Reservation* LeaseTable::reservation_at(Ipv4Address ip) const {
  auto it = reservation_by_ip_.find(ip);
  return it == reservation_by_ip_.end() ? nullptr : &reservations_[it->second];
}

std::optional<Lease> LeaseTable::put(Lease lease) {
  const Ipv4Address ip = lease.ip.v4();
  std::optional<Lease> previous;
  if (auto it = by_ip_.find(ip); it != by_ip_.end()) {
    unindex(it->second);
    previous = std::move(it->second);
    by_ip_.erase(it);
  }
  index(lease);
  by_ip_.emplace(ip, std::move(lease));
  refresh_bit(ip);
  return previous;
}

std::optional<Lease> LeaseTable::erase(Ipv4Address ip) {
  auto it = by_ip_.find(ip);
  if (it == by_ip_.end()) return std::nullopt;
  unindex(it->second);
  Lease l = std::move(it->second);
  by_ip_.erase(it);
  refresh_bit(ip);
  return l;
}

const Lease* LeaseTable::at(Ipv4Address ip) const {
  auto it = by_ip_.find(ip);
  return it == by_ip_.end() ? nullptr : &it->second;
}

const Lease* LeaseTable::find(const ClientKey& client) const {
  if (!client.client_id.empty()) {
    if (auto it = by_client_id_.find(client.client_id); it != by_client_id_.end()) {
      const Lease* l = at(it->second);
      if (l && client.matches(*l)) return l;
    }
  }
  if (auto it = by_mac_.find(client.mac); it != by_mac_.end()) {
    const Lease* l = at(it->second);
    if (l && client.matches(*l)) return l;
  }
  return nullptr;
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
  if (const Reservation* r = reservation_at(ip); r && !client.matches(*r)) return true;
  const Lease* l = at(ip);
  if (!l) return false;
  LeaseState s = l->state_at(now);
  if (s == LeaseState::declined) return l->expires_at > now;  // quarantine holds for everyone
  return s == LeaseState::bound && !client.matches(*l);
}

namespace {
uint32_t mac_hash(const MacAddress& mac) {
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
  if (const Reservation* r = reservation_for(client); r && !held_by_other(r->ip, client, now)) {
    return r->ip;
  }
  // A live offer to this client, while the client may still have it: an
  // offer of a reserved address made when the client sent the hostname the
  // reservation matches is not for the same client without that hostname.
  // Then its current or previous lease.
  if (auto offered = offered_to(client, now); offered && usable(*offered)) return offered;
  if (const Lease* l = find(client); l && usable(l->ip.v4())) return l->ip.v4();
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
    Ipv4Address hashed(p.first().value() + mac_hash(client.mac) % p.size());
    if (!p.test(hashed)) return hashed;
    if (auto free = p.find_clear(p.first())) return free;
  }
  // Everything has a record: take the longest-expired one that nobody holds.
  for (const auto& [expires_at, ip_value] : by_expiry_) {
    if (expires_at > now) break;
    Ipv4Address ip(ip_value);
    if (usable(ip)) return ip;
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
  while (!bound_expiry_.empty() && bound_expiry_.begin()->first <= now) {
    Ipv4Address ip(bound_expiry_.begin()->second);
    bound_expiry_.erase(bound_expiry_.begin());
    if (const Lease* l = at(ip)) expired.push_back(*l);
  }
  return expired;
}

LeaseTable::Counts LeaseTable::counts(int64_t now) const {
  Counts c;
  for (const auto& [ip, l] : by_ip_) {
    (void)ip;
    switch (l.state_at(now)) {
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
  for (const auto& [ip, l] : by_ip_) {
    (void)ip;
    out.push_back(l);
  }
  return out;
}

}  // namespace berth::leases
