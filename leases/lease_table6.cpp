#include "leases/lease_table6.hpp"

#include <algorithm>
#include <cassert>

namespace berth::leases {
namespace {

using U128 = unsigned __int128;

U128 to_u128(const Ipv6Address& a) {
  U128 v = 0;
  for (uint8_t b : a.to_bytes()) v = v << 8 | b;
  return v;
}

Ipv6Address from_u128(U128 v) {
  std::array<uint8_t, 16> b{};
  for (size_t i = 16; i-- > 0;) {
    b[i] = static_cast<uint8_t>(v);
    v >>= 8;
  }
  return Ipv6Address(b);
}

// FNV-1a over DUID and IAID: the same start in the pool for the same
// binding on every run and every build (std::hash promises neither).
uint64_t binding_hash(const BindingKey& key) {
  uint64_t h = 0xcbf29ce484222325ull;
  auto mix = [&](uint8_t b) {
    h ^= b;
    h *= 0x100000001b3ull;
  };
  for (uint8_t b : key.duid) mix(b);
  for (int shift = 24; shift >= 0; shift -= 8) mix(static_cast<uint8_t>(key.iaid >> shift));
  return h;
}

bool matches(const Reservation6& r, const Client6& c) {
  switch (r.match) {
    case MatchKind::client_id:
      return !r.duid.empty() && r.duid == c.key.duid;
    case MatchKind::mac:
      return c.mac && *c.mac == r.mac;
    case MatchKind::hostname:
      return false;
  }
  return false;
}

}  // namespace

LeaseTable6::LeaseTable6(std::string bridge, Ipv6Address pool_first, Ipv6Address pool_last)
    : bridge_(std::move(bridge)), first_(pool_first), last_(pool_last) {
  assert(first_ <= last_);
}

std::optional<Lease> LeaseTable6::put(Lease lease) {
  const Ipv6Address ip = lease.ip.v6();
  std::optional<Lease> before = erase(ip);
  if (lease.state != LeaseState::declined) by_key_[BindingKey::of(lease)] = ip;
  if (lease.state == LeaseState::bound) bound_expiry_.emplace(lease.expires_at, ip);
  by_ip_.emplace(ip, std::move(lease));
  return before;
}

std::optional<Lease> LeaseTable6::erase(Ipv6Address ip) {
  auto it = by_ip_.find(ip);
  if (it == by_ip_.end()) return std::nullopt;
  Lease l = std::move(it->second);
  by_ip_.erase(it);
  if (auto k = by_key_.find(BindingKey::of(l)); k != by_key_.end() && k->second == ip) {
    by_key_.erase(k);
  }
  bound_expiry_.erase({l.expires_at, ip});
  return l;
}

const Lease* LeaseTable6::at(const Ipv6Address& ip) const {
  auto it = by_ip_.find(ip);
  return it == by_ip_.end() ? nullptr : &it->second;
}

const Lease* LeaseTable6::find(const BindingKey& key) const {
  auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : at(it->second);
}

bool LeaseTable6::held_by_other(const Ipv6Address& ip, const Client6& client, int64_t now) const {
  if (const Reservation6* r = reservation_at(ip); r && !matches(*r, client)) return true;
  if (const Lease* l = at(ip)) {
    // A quarantine holds the address against everyone, the decliner too.
    if (l->state == LeaseState::declined && l->expires_at > now) return true;
    if (l->state_at(now) == LeaseState::bound && !(BindingKey::of(*l) == client.key)) return true;
  }
  if (auto o = offers_.find(ip); o != offers_.end() && o->second.expires_at > now) {
    if (!(o->second.key == client.key)) return true;
  }
  return false;
}

void LeaseTable6::set_reservations(std::vector<Reservation6> reservations) {
  reservations_ = std::move(reservations);
  reservation_by_ip_.clear();
  reservation_by_duid_.clear();
  reservation_by_mac_.clear();
  for (size_t i = 0; i < reservations_.size(); ++i) {
    const Reservation6& r = reservations_[i];
    reservation_by_ip_.emplace(r.ip, i);
    if (r.match == MatchKind::client_id) reservation_by_duid_.emplace(r.duid, i);
    if (r.match == MatchKind::mac) reservation_by_mac_.emplace(r.mac, i);
  }
  drop_offers_against_reservations();
}

void LeaseTable6::drop_offers_against_reservations() {
  // An offer of an address now reserved for someone else would be granted
  // by the client's REQUEST; withdrawn, the REQUEST gets another address.
  std::vector<Ipv6Address> stale;
  for (const auto& [ip, offer] : offers_) {
    const Reservation6* r = reservation_at(ip);
    if (r != nullptr && r->match != MatchKind::client_id) {
      stale.push_back(ip);  // the offer does not know the client's MAC
    } else if (r != nullptr && r->duid != offer.key.duid) {
      stale.push_back(ip);
    }
  }
  for (const Ipv6Address& ip : stale) drop_offer(ip);
}

const Reservation6* LeaseTable6::reservation_for(const Client6& client) const {
  if (auto it = reservation_by_duid_.find(client.key.duid); it != reservation_by_duid_.end()) {
    return &reservations_[it->second];
  }
  if (client.mac) {
    if (auto it = reservation_by_mac_.find(*client.mac); it != reservation_by_mac_.end()) {
      return &reservations_[it->second];
    }
  }
  return nullptr;
}

const Reservation6* LeaseTable6::reservation_at(const Ipv6Address& ip) const {
  auto it = reservation_by_ip_.find(ip);
  return it == reservation_by_ip_.end() ? nullptr : &reservations_[it->second];
}

bool LeaseTable6::reclaimable(const Ipv6Address& ip, const Client6& client, int64_t now) const {
  const Lease* l = at(ip);
  if (l == nullptr) return false;
  const LeaseState s = l->state_at(now);
  return (s == LeaseState::released || s == LeaseState::expired) && !held_by_other(ip, client, now);
}

std::optional<Ipv6Address> LeaseTable6::allocate(const Client6& client, int64_t now) const {
  const Reservation6* mine = reservation_for(client);
  if (mine && !held_by_other(mine->ip, client, now)) return mine->ip;
  // The binding's offer or address, while still its to have: in the pool
  // (a reserved address it no longer has a reservation for is not).
  auto usable = [&](const Ipv6Address& ip) {
    return in_pool(ip) && reservation_at(ip) == nullptr && !held_by_other(ip, client, now);
  };
  if (auto offered = offered_to(client.key, now); offered && usable(*offered)) return offered;
  if (const Lease* l = find(client.key); l && usable(l->ip.v6())) return l->ip.v6();

  // A probe from the binding's own spot in the pool. Addresses reserved
  // for anyone are skipped: a client with a reservation got it above.
  const U128 first = to_u128(first_);
  const U128 span = to_u128(last_) - first;  // size - 1; size may be 2^128
  const U128 size = span + 1;                // 0 when the pool is all of ::/0
  const U128 start = size == 0 ? binding_hash(client.key) : binding_hash(client.key) % size;
  const uint64_t probes =
      span >= kMaxProbes ? kMaxProbes : static_cast<uint64_t>(span) + 1;  // at most the pool
  std::optional<Ipv6Address> fallback;
  for (uint64_t i = 0; i < probes; ++i) {
    U128 offset = start + i;
    if (size != 0 && offset >= size) offset -= size;
    const Ipv6Address ip = from_u128(first + offset);
    if (reservation_at(ip) != nullptr) continue;
    const bool offered = offers_.contains(ip) && offers_.at(ip).expires_at > now &&
                         !(offers_.at(ip).key == client.key);
    if (!offered && at(ip) == nullptr) return ip;
    if (!fallback && reclaimable(ip, client, now)) fallback = ip;
  }
  return fallback;
}

void LeaseTable6::put_offer(const Ipv6Address& ip, const BindingKey& key, int64_t expires_at) {
  drop_offer(ip);
  drop_offers_of(key);
  offer_by_key_[key] = ip;
  offers_.emplace(ip, Offer{key, expires_at});
  offer_expiry_.emplace(expires_at, ip);
}

std::optional<Ipv6Address> LeaseTable6::offered_to(const BindingKey& key, int64_t now) const {
  auto it = offer_by_key_.find(key);
  if (it == offer_by_key_.end()) return std::nullopt;
  auto o = offers_.find(it->second);
  if (o == offers_.end() || o->second.expires_at <= now) return std::nullopt;
  return it->second;
}

void LeaseTable6::drop_offer(Ipv6Address ip) {
  auto it = offers_.find(ip);
  if (it == offers_.end()) return;
  offer_expiry_.erase({it->second.expires_at, ip});
  if (auto k = offer_by_key_.find(it->second.key); k != offer_by_key_.end() && k->second == ip) {
    offer_by_key_.erase(k);
  }
  offers_.erase(it);
}

void LeaseTable6::drop_offers_of(const BindingKey& key) {
  if (auto it = offer_by_key_.find(key); it != offer_by_key_.end()) drop_offer(it->second);
}

size_t LeaseTable6::expire_offers(int64_t now) {
  size_t n = 0;
  while (!offer_expiry_.empty() && offer_expiry_.begin()->first <= now) {
    drop_offer(offer_expiry_.begin()->second);
    ++n;
  }
  return n;
}

std::vector<Lease> LeaseTable6::expire_leases(int64_t now) {
  std::vector<Lease> out;
  while (!bound_expiry_.empty() && bound_expiry_.begin()->first <= now) {
    const Ipv6Address ip = bound_expiry_.begin()->second;
    bound_expiry_.erase(bound_expiry_.begin());
    if (const Lease* l = at(ip)) out.push_back(*l);
  }
  return out;
}

LeaseTable::Counts LeaseTable6::counts(int64_t now) const {
  LeaseTable::Counts c;
  for (const auto& [ip, l] : by_ip_) {
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
  c.offered = static_cast<size_t>(std::count_if(
      offers_.begin(), offers_.end(), [&](const auto& o) { return o.second.expires_at > now; }));
  return c;
}

std::vector<Lease> LeaseTable6::leases() const {
  std::vector<Lease> out;
  out.reserve(by_ip_.size());
  for (const auto& [ip, l] : by_ip_) out.push_back(l);
  std::sort(out.begin(), out.end(), [](const Lease& a, const Lease& b) { return a.ip < b.ip; });
  return out;
}

}  // namespace berth::leases
