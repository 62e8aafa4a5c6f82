// The DNS forwarder's answer cache, and the rewrite of an upstream response
// into a client's reply that the cache and the forwarder share.
//
// An upstream response is prepared once (PreparedResponse): its OPT record is
// removed and the byte offset of every TTL field is noted, so that answering
// a client is a memcpy of the stored bytes plus a few patches (ID, flags,
// the client's question, TTLs reduced by the entry's age, the client's OPT).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "protocol/bytes.hpp"
#include "protocol/dns/message.hpp"
#include "protocol/result.hpp"

namespace berth::dns {

// The longest a cached answer lives, whatever the upstream TTLs say.
constexpr uint32_t kDefaultMaxCacheTtl = 86400;
// The UDP payload size berthd announces in its OPT records (DNS flag day 2020).
constexpr uint16_t kEdnsUdpSize = 1232;

// An upstream response ready to be rewritten for clients.
struct PreparedResponse {
  std::vector<uint8_t> wire;          // the response re-encoded without OPT, TTLs capped
  size_t question_end = 0;            // offset just past the (single, uncompressed) question
  std::vector<uint16_t> ttl_offsets;  // offset of each record's TTL field in `wire`
  dns::Question question;             // as in the response
  uint8_t rcode = 0;                  // header rcode (low 4 bits)
  uint8_t extended_rcode = 0;         // upper 8 bits from the upstream OPT, 0 without one
  bool truncated = false;             // TC was set upstream
  // How long the answer may be cached (RFC 2308 for negative answers), capped
  // at max_ttl; 0 when it must not be cached (TC, an rcode other than
  // NOERROR/NXDOMAIN, a negative answer without SOA, a zero TTL).
  uint32_t cache_lifetime = 0;
};

// Parses an upstream response (parse_message must accept it, and it must be
// a response with exactly one question) and prepares it: the message is
// re-encoded without its OPT record (see the .cpp for why not copied), TTLs
// with the top bit set become 0 (RFC 2181 8), every TTL is capped at
// max_ttl, and for a negative answer at its lifetime.
Result<PreparedResponse> prepare_response(ByteView response, uint32_t max_ttl);

// Writes the reply to query `q` (wire bytes `query_packet`) from a prepared
// response whose TTLs have aged by `age_seconds`, in at most `limit` bytes:
// the stored header with the query's ID, RD and CD bits, RA=1 and AA=0; the
// question copied from the query; TTLs reduced by the age (not below 0); an
// OPT record (udp size 1232, DO copied) when the query had one. When that
// does not fit, only header, question and OPT with TC=1. nullopt when the
// query's question differs from the stored one, or when not even header,
// question and OPT fit in `limit`.
std::optional<size_t> write_client_reply(const PreparedResponse& response, uint32_t age_seconds,
                                         const dns::Query& q, ByteView query_packet,
                                         MutableByteView out, size_t limit);

struct CacheKey {
  dns::Name name;  // lowercased
  uint16_t type = 0;
  uint16_t klass = 1;
  bool dnssec_ok = false;                   // answers for DO=1 queries are kept apart
  static CacheKey of(const dns::Query& q);  // lowercases q.qname, takes DO from q.edns
  bool operator==(const CacheKey&) const;
};

struct CacheKeyHash {
  size_t operator()(const CacheKey&) const noexcept;
};

struct CacheStats {
  uint64_t hits = 0, misses = 0, stored = 0, evicted = 0, expired = 0;
  size_t entries = 0;
};

// Thread-safe: several DNS worker threads call answer() while the forwarder
// thread calls store(). Entries are split over shards by key hash, each
// shard with its own mutex, LRU list and share of the capacity.
class DnsCache {
 public:
  using Clock = std::chrono::steady_clock;

  explicit DnsCache(size_t capacity, uint32_t max_ttl = kDefaultMaxCacheTtl);  // 0: stores nothing
  ~DnsCache();
  DnsCache(const DnsCache&) = delete;
  DnsCache& operator=(const DnsCache&) = delete;

  // Stores an upstream response (wire bytes as received) for `key`. Stored
  // only when: parse_message succeeds, QR=1, TC=0, rcode NOERROR or NXDOMAIN
  // (and no extended rcode), the question equals the key (case-insensitive),
  // and the lifetime is > 0. Lifetime: positive answers: the lowest TTL in
  // answer+authority; negative answers (NXDOMAIN, or NOERROR without answer
  // records = NODATA): min(SOA TTL, SOA MINIMUM) of the authority SOA (RFC
  // 2308 5), not cached without one. Capped at max_ttl. The OPT record is
  // removed (each client's own EDNS state decides the reply's OPT). Replaces
  // an existing entry for the key; evicts the least recently used.
  bool store(const CacheKey& key, ByteView response, Clock::time_point now);

  // Writes the answer for `q` (wire bytes `query_packet`) into `out`, using at
  // most `limit` bytes, as write_client_reply does with the entry's age in
  // whole seconds. nullopt on a miss or an expired entry (which is removed);
  // an entry expires when its age reaches its lifetime.
  std::optional<size_t> answer(const CacheKey& key, const dns::Query& q, ByteView query_packet,
                               MutableByteView out, size_t limit, Clock::time_point now);

  void clear();
  CacheStats stats() const;
  size_t capacity() const { return capacity_; }

 private:
  struct Shard;
  Shard& shard_for(size_t hash) const;

  size_t capacity_;
  uint32_t max_ttl_;
  size_t shard_bits_ = 0;
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace berth::dns
