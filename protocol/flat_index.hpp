// A compact hash index over the records of a table its owner keeps (a
// vector of records, each at a slot number): 8 bytes a bucket, the key's
// hash and the slot. The key itself is not stored; the owner's `same(slot)`
// says whether the record at a slot has the key looked for. Open
// addressing with linear probing, removal by backward shift (no
// tombstones), at most 4/5 full. A node-based std::unordered_map costs
// about 50 bytes an entry more (a node per entry, a bucket pointer), which
// a lease table of a /15 or a DNS snapshot of 100,000 names pays in full.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace berth {

class FlatIndex {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  size_t size() const { return size_; }
  size_t bucket_count() const { return buckets_.size(); }
  void clear() {
    buckets_.clear();
    buckets_.shrink_to_fit();
    size_ = 0;
  }
  // Room for `n` entries without a rehash.
  void reserve(size_t n) {
    if (n * 5 > buckets_.size() * 4) rehash(std::bit_ceil(n * 5 / 4 + 1));
  }

  // The slot whose record `same` accepts, kNone when none.
  template <class Same>
  uint32_t find(uint32_t hash, Same same) const {
    if (buckets_.empty()) return kNone;
    const size_t mask = buckets_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      const Bucket& b = buckets_[i];
      if (b.slot == kNone) return kNone;
      if (b.hash == hash && same(b.slot)) return b.slot;
    }
  }

  // Adds `slot` under `hash` unless a record `same` accepts is there
  // already (std::unordered_map::emplace). Returns the slot the key has.
  template <class Same>
  uint32_t insert(uint32_t hash, uint32_t slot, Same same) {
    Bucket* b = locate(hash, same);
    if (b->slot != kNone) return b->slot;
    *b = Bucket{hash, slot};
    ++size_;
    return slot;
  }

  // Points the key at `slot`, replacing the record `same` accepts if any
  // (std::unordered_map::operator[]). Returns the replaced slot, or kNone.
  template <class Same>
  uint32_t assign(uint32_t hash, uint32_t slot, Same same) {
    Bucket* b = locate(hash, same);
    const uint32_t was = b->slot;
    if (was == kNone) ++size_;
    *b = Bucket{hash, slot};
    return was;
  }

  // Removes the entry of `slot` filed under `hash`. False when there is none.
  bool erase(uint32_t hash, uint32_t slot) {
    if (buckets_.empty()) return false;
    const size_t mask = buckets_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      if (buckets_[i].slot == kNone) return false;
      if (buckets_[i].hash == hash && buckets_[i].slot == slot) {
        remove_at(i);
        return true;
      }
    }
  }

  // Every slot filed, in bucket order.
  template <class F>
  void for_each(F f) const {
    for (const Bucket& b : buckets_) {
      if (b.slot != kNone) f(b.slot);
    }
  }

 private:
  struct Bucket {
    uint32_t hash = 0;
    uint32_t slot = kNone;
  };

  // The bucket of the record `same` accepts, else the free one where it
  // would go (after growing, so there is one).
  template <class Same>
  Bucket* locate(uint32_t hash, Same same) {
    if ((size_ + 1) * 5 > buckets_.size() * 4) rehash(std::max<size_t>(16, buckets_.size() * 2));
    const size_t mask = buckets_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      Bucket& b = buckets_[i];
      if (b.slot == kNone || (b.hash == hash && same(b.slot))) return &b;
    }
  }

  void remove_at(size_t hole) {
    const size_t mask = buckets_.size() - 1;
    // Backward shift: move up each later entry of the run whose home is not
    // between the hole and itself, so every entry stays reachable.
    for (size_t j = (hole + 1) & mask; buckets_[j].slot != kNone; j = (j + 1) & mask) {
      const size_t home = buckets_[j].hash & mask;
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        buckets_[hole] = buckets_[j];
        hole = j;
      }
    }
    buckets_[hole] = Bucket{};
    --size_;
  }

  void rehash(size_t count) {
    std::vector<Bucket> old(count);
    old.swap(buckets_);
    const size_t mask = buckets_.size() - 1;
    for (const Bucket& b : old) {
      if (b.slot == kNone) continue;
      size_t i = b.hash & mask;
      while (buckets_[i].slot != kNone) i = (i + 1) & mask;
      buckets_[i] = b;
    }
  }

  std::vector<Bucket> buckets_;
  size_t size_ = 0;
};

// 32-bit hashes for FlatIndex: the low bits pick the bucket, so every input
// bit must reach them (murmur3's finalizer).
inline uint32_t flat_hash(uint64_t v) {
  v ^= v >> 33;
  v *= 0xff51afd7ed558ccdULL;
  v ^= v >> 33;
  v *= 0xc4ceb9fe1a85ec53ULL;
  v ^= v >> 33;
  return static_cast<uint32_t>(v);
}

inline uint32_t flat_hash(std::string_view s) {
  uint64_t h = 14695981039346656037ULL;  // FNV-1a, then mixed
  for (char c : s) {
    h ^= static_cast<uint8_t>(c);
    h *= 1099511628211ULL;
  }
  return flat_hash(h);
}

}  // namespace berth
