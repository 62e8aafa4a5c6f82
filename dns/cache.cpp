#include "dns/cache.hpp"

#include <algorithm>
#include <cstring>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace berth::dns {
namespace {

constexpr size_t kMaxMessageSize = 65535;  // TTL offsets are kept as uint16_t
constexpr size_t kRecordFixedSize = 10;    // type, class, ttl, rdlength
constexpr size_t kOptSize = 11;            // root owner, type, class, ttl, rdlength 0
constexpr uint32_t kTtlTopBit = 0x80000000u;

// Header flag bits in bytes 2 and 3.
constexpr uint8_t kFlagAa = 0x04;
constexpr uint8_t kFlagTc = 0x02;
constexpr uint8_t kFlagRd = 0x01;
constexpr uint8_t kFlagRa = 0x80;
constexpr uint8_t kFlagZ = 0x40;
constexpr uint8_t kFlagCd = 0x10;

// Each shard keeps at least this many entries, so small caches are one
// shard with an exact LRU order.
constexpr size_t kMinEntriesPerShard = 64;
constexpr size_t kMaxShardBits = 4;

uint16_t get_u16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t get_u32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}
void put_u16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void put_u32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

// RFC 2181 8: a TTL with the top bit set is read as zero.
uint32_t sane_ttl(uint32_t ttl) { return (ttl & kTtlTopBit) != 0 ? 0 : ttl; }

// The offset just past the name at `pos`, without following pointers;
// `compressed` is set when the name ends in a pointer.
std::optional<size_t> skip_name(ByteView p, size_t pos, bool& compressed) {
  compressed = false;
  while (pos < p.size()) {
    const uint8_t c = p[pos];
    if (c == 0) return pos + 1;
    if ((c & 0xC0) == 0xC0) {
      if (p.size() - pos < 2) return std::nullopt;
      compressed = true;
      return pos + 2;
    }
    if ((c & 0xC0) != 0 || size_t{c} + 1 > p.size() - pos) return std::nullopt;
    pos += 1 + c;
  }
  return std::nullopt;
}

// RFC 6891 6.1.3: an OPT record with the root owner and no options.
void write_opt(uint8_t* at, uint8_t extended_rcode, bool dnssec_ok) {
  at[0] = 0;
  put_u16(at + 1, dns::type::OPT);
  put_u16(at + 3, kEdnsUdpSize);
  at[5] = extended_rcode;
  at[6] = 0;  // version
  at[7] = dnssec_ok ? 0x80 : 0;
  at[8] = 0;
  put_u16(at + 9, 0);
}

uint64_t mix64(uint64_t h) {
  // The splitmix64 finaliser: spreads every input bit over the output.
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 31;
  return h;
}

}  // namespace

// ---- Preparing and rewriting responses ----

Result<PreparedResponse> prepare_response(ByteView response, uint32_t max_ttl) {
  if (response.size() > kMaxMessageSize) {
    return make_error(Errc::malformed, "response over 65535 bytes");
  }
  auto parsed = dns::parse_message(response);
  if (!parsed) return parsed.error();
  dns::Message& m = *parsed;
  if (!m.header.qr) return make_error(Errc::malformed, "QR not set in a response");
  if (m.questions.size() != 1) return make_error(Errc::unsupported, "not exactly one question");

  PreparedResponse out;
  out.question = m.questions[0];
  out.rcode = m.header.rcode;
  out.truncated = m.header.tc;
  out.extended_rcode = m.edns ? m.edns->extended_rcode : 0;

  // Lifetime (RFC 2308 5 for negative answers).
  std::optional<uint32_t> lifetime;
  uint32_t ttl_cap = max_ttl;
  const bool cacheable_rcode =
      m.header.rcode == dns::rcode::NOERROR || m.header.rcode == dns::rcode::NXDOMAIN;
  if (cacheable_rcode && (m.header.rcode == dns::rcode::NXDOMAIN || m.answers.empty())) {
    for (const dns::Record& r : m.authority) {
      const auto* soa = std::get_if<dns::Soa>(&r.rdata);
      if (r.type != dns::type::SOA || soa == nullptr) continue;
      lifetime = std::min(sane_ttl(r.ttl), sane_ttl(soa->minimum));
      break;
    }
    if (lifetime) {
      // A CNAME chain ending in NXDOMAIN: the chain's records bound it too.
      for (const dns::Record& r : m.answers) lifetime = std::min(*lifetime, sane_ttl(r.ttl));
      // RFC 2308 5 and RFC 9077: the negative answer's records say no more
      // than its lifetime.
      ttl_cap = std::min(ttl_cap, *lifetime);
    }
  } else {
    lifetime = dns::min_ttl(m);
  }
  const bool cacheable = cacheable_rcode && !m.header.tc && out.extended_rcode == 0 &&
                         m.header.opcode == dns::opcode::QUERY;
  if (cacheable && lifetime) out.cache_lifetime = std::min(*lifetime, max_ttl);

  for (auto* section : {&m.answers, &m.authority, &m.additional}) {
    for (dns::Record& r : *section) r.ttl = std::min(sane_ttl(r.ttl), ttl_cap);
  }
  // Re-encoded rather than copied: upstream's compression may let a name
  // run on into the bytes of a later field (a pointer back into a label,
  // whose labels then run forward), which TTL patching, the client's
  // question or leaving out the OPT record would change. The encoder's
  // pointers only ever land on whole names it wrote. The OPT record goes:
  // each client's own EDNS state decides the reply's.
  m.edns.reset();
  auto buffer = std::make_unique_for_overwrite<uint8_t[]>(kMaxMessageSize);
  auto encoded =
      dns::encode_message(m, MutableByteView(buffer.get(), kMaxMessageSize), kMaxMessageSize);
  if (!encoded) return encoded.error();
  if (encoded->truncated) return make_error(Errc::no_space, "response over 65535 bytes");
  out.wire.assign(buffer.get(), buffer.get() + encoded->size);
  const ByteView wire(out.wire);

  // The question must be written out in full, so the client's copy (same
  // length, names equal ignoring case) can replace it byte for byte.
  bool compressed = false;
  auto question_name_end = skip_name(wire, dns::kHeaderSize, compressed);
  if (!question_name_end || compressed) {
    return make_error(Errc::unsupported, "compressed question name");
  }
  out.question_end = *question_name_end + 4;

  // Note where each TTL is, for answer() to patch without parsing.
  const size_t records = m.answers.size() + m.authority.size() + m.additional.size();
  size_t pos = out.question_end;
  out.ttl_offsets.reserve(records);
  for (size_t i = 0; i < records; ++i) {
    auto owner_end = skip_name(wire, pos, compressed);
    if (!owner_end || wire.size() - *owner_end < kRecordFixedSize) {
      return make_error(Errc::truncated, "record past end");
    }
    const size_t rdlength = get_u16(wire.data() + *owner_end + 8);
    if (rdlength > wire.size() - *owner_end - kRecordFixedSize) {
      return make_error(Errc::truncated, "rdata past end");
    }
    out.ttl_offsets.push_back(static_cast<uint16_t>(*owner_end + 4));
    pos = *owner_end + kRecordFixedSize + rdlength;
  }
  if (pos != wire.size()) return make_error(Errc::malformed, "encoded records do not fill it");
  return out;
}

std::optional<size_t> write_client_reply(const PreparedResponse& r, uint32_t age_seconds,
                                         const dns::Query& q, ByteView query_packet,
                                         MutableByteView out, size_t limit) {
  limit = std::min(limit, out.size());
  const size_t question_size = r.question_end - dns::kHeaderSize;
  if (q.question_end < dns::kHeaderSize || q.question_end > query_packet.size() ||
      q.question_end - dns::kHeaderSize != question_size || q.qtype != r.question.type ||
      q.qclass != r.question.klass || !q.qname.equals_ci(r.question.name)) {
    return std::nullopt;
  }
  const size_t opt_size = q.edns ? kOptSize : 0;
  if (r.question_end + opt_size > limit) return std::nullopt;
  const bool fits = r.wire.size() + opt_size <= limit;

  uint8_t* o = out.data();
  std::memcpy(o, r.wire.data(), fits ? r.wire.size() : dns::kHeaderSize);
  std::memcpy(o + dns::kHeaderSize, query_packet.data() + dns::kHeaderSize, question_size);
  put_u16(o, q.header.id);
  const uint8_t tc = fits ? static_cast<uint8_t>(o[2] & kFlagTc) : kFlagTc;
  o[2] = static_cast<uint8_t>((o[2] & ~(kFlagAa | kFlagTc | kFlagRd)) | tc |
                              (q.header.rd ? kFlagRd : 0));
  // RFC 4035 3.2.2: CD is copied from the query.
  o[3] = static_cast<uint8_t>((o[3] & ~(kFlagZ | kFlagCd)) | kFlagRa | (q.header.cd ? kFlagCd : 0));

  size_t pos = 0;
  uint16_t arcount = 0;
  if (fits) {
    for (uint16_t at : r.ttl_offsets) {
      const uint32_t ttl = get_u32(r.wire.data() + at);
      put_u32(o + at, ttl > age_seconds ? ttl - age_seconds : 0);
    }
    pos = r.wire.size();
    arcount = get_u16(o + 10);
  } else {
    std::memset(o + 6, 0, 6);  // answer, authority, additional counts
    pos = r.question_end;
  }
  if (q.edns) {
    write_opt(o + pos, r.extended_rcode, q.edns->dnssec_ok);
    pos += kOptSize;
    ++arcount;
  }
  put_u16(o + 10, arcount);
  return pos;
}

// ---- Keys ----

CacheKey CacheKey::of(const dns::Query& q) {
  CacheKey k;
  k.name = q.qname.lowercased();
  k.type = q.qtype;
  k.klass = q.qclass;
  k.dnssec_ok = q.edns && q.edns->dnssec_ok;
  return k;
}

bool CacheKey::operator==(const CacheKey& o) const {
  return type == o.type && klass == o.klass && dnssec_ok == o.dnssec_ok && name == o.name;
}

size_t CacheKeyHash::operator()(const CacheKey& k) const noexcept {
  const uint64_t fields = uint64_t{k.type} << 17 | uint64_t{k.klass} << 1 | (k.dnssec_ok ? 1 : 0);
  return static_cast<size_t>(mix64(k.name.hash_ci() ^ fields * 0x9e3779b97f4a7c15ull));
}

// ---- The cache ----

namespace {

struct Entry {
  CacheKey key;
  size_t hash = 0;
  PreparedResponse response;
  DnsCache::Clock::time_point stored_at;
  DnsCache::Clock::time_point expires_at;
};

// The index points at keys inside the LRU list's nodes, which never move;
// the hash is computed once per call and kept with the key.
struct KeyRef {
  const CacheKey* key;
  size_t hash;
};
struct KeyRefHash {
  size_t operator()(const KeyRef& k) const noexcept { return k.hash; }
};
struct KeyRefEqual {
  bool operator()(const KeyRef& a, const KeyRef& b) const noexcept { return *a.key == *b.key; }
};

}  // namespace

struct DnsCache::Shard {
  mutable std::mutex mu;
  size_t capacity = 0;
  std::list<Entry> lru;  // most recently used first
  std::unordered_map<KeyRef, std::list<Entry>::iterator, KeyRefHash, KeyRefEqual> index;
  uint64_t hits = 0, misses = 0, stored = 0, evicted = 0, expired = 0;
};

DnsCache::DnsCache(size_t capacity, uint32_t max_ttl) : capacity_(capacity), max_ttl_(max_ttl) {
  while (shard_bits_ < kMaxShardBits && (capacity >> (shard_bits_ + 1)) >= kMinEntriesPerShard) {
    ++shard_bits_;
  }
  const size_t n = size_t{1} << shard_bits_;
  shards_ = std::make_unique<Shard[]>(n);
  for (size_t i = 0; i < n; ++i) {
    shards_[i].capacity = capacity / n + (i < capacity % n ? 1 : 0);
    shards_[i].index.reserve(shards_[i].capacity);
  }
}

DnsCache::~DnsCache() = default;

DnsCache::Shard& DnsCache::shard_for(size_t hash) const {
  if (shard_bits_ == 0) return shards_[0];
  // The top bits pick the shard; the map's buckets use the low ones.
  return shards_[static_cast<uint64_t>(hash) >> (64 - shard_bits_)];
}

bool DnsCache::store(const CacheKey& key, ByteView response, Clock::time_point now) {
  if (capacity_ == 0) return false;
  auto prepared = prepare_response(response, max_ttl_);
  if (!prepared || prepared->cache_lifetime == 0) return false;
  const dns::Question& question = prepared->question;
  if (question.type != key.type || question.klass != key.klass ||
      !question.name.equals_ci(key.name)) {
    return false;
  }

  // Built outside the lock, spliced in under it; whatever leaves the cache is
  // spliced into `removed` and freed after the lock is released.
  std::list<Entry> fresh;
  const size_t hash = CacheKeyHash{}(key);
  const auto lifetime = std::chrono::seconds(prepared->cache_lifetime);
  fresh.push_back(Entry{key, hash, std::move(*prepared), now, now + lifetime});
  std::list<Entry> removed;

  Shard& s = shard_for(hash);
  std::lock_guard lock(s.mu);
  if (auto it = s.index.find(KeyRef{&key, hash}); it != s.index.end()) {
    const auto node = it->second;
    s.index.erase(it);
    removed.splice(removed.end(), s.lru, node);
  }
  s.lru.splice(s.lru.begin(), fresh);
  s.index.emplace(KeyRef{&s.lru.front().key, hash}, s.lru.begin());
  ++s.stored;
  while (s.lru.size() > s.capacity) {
    const auto last = std::prev(s.lru.end());
    s.index.erase(KeyRef{&last->key, last->hash});
    removed.splice(removed.end(), s.lru, last);
    ++s.evicted;
  }
  return true;
}

std::optional<size_t> DnsCache::answer(const CacheKey& key, const dns::Query& q,
                                       ByteView query_packet, MutableByteView out, size_t limit,
                                       Clock::time_point now) {
  const size_t hash = CacheKeyHash{}(key);
  Shard& s = shard_for(hash);
  std::list<Entry> removed;  // freed after the lock is released
  std::lock_guard lock(s.mu);
  const auto it = s.index.find(KeyRef{&key, hash});
  if (it == s.index.end()) {
    ++s.misses;
    return std::nullopt;
  }
  const auto node = it->second;
  if (now >= node->expires_at) {
    s.index.erase(it);
    removed.splice(removed.end(), s.lru, node);
    ++s.expired;
    ++s.misses;
    return std::nullopt;
  }
  const auto age = now > node->stored_at
                       ? std::chrono::duration_cast<std::chrono::seconds>(now - node->stored_at)
                       : std::chrono::seconds(0);
  // The age is below the lifetime, which fits in 32 bits.
  auto size = write_client_reply(node->response, static_cast<uint32_t>(age.count()), q,
                                 query_packet, out, limit);
  if (!size) {
    ++s.misses;
    return std::nullopt;
  }
  s.lru.splice(s.lru.begin(), s.lru, node);
  ++s.hits;
  return size;
}

void DnsCache::clear() {
  const size_t n = size_t{1} << shard_bits_;
  for (size_t i = 0; i < n; ++i) {
    std::list<Entry> removed;
    Shard& s = shards_[i];
    std::lock_guard lock(s.mu);
    s.index.clear();
    removed.splice(removed.end(), s.lru);
  }
}

CacheStats DnsCache::stats() const {
  CacheStats total;
  const size_t n = size_t{1} << shard_bits_;
  for (size_t i = 0; i < n; ++i) {
    const Shard& s = shards_[i];
    std::lock_guard lock(s.mu);
    total.hits += s.hits;
    total.misses += s.misses;
    total.stored += s.stored;
    total.evicted += s.evicted;
    total.expired += s.expired;
    total.entries += s.lru.size();
  }
  return total;
}

}  // namespace berth::dns
