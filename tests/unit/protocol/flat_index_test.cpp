#include "protocol/flat_index.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <vector>

namespace berth {
namespace {

// The owner's records: slot -> key.
struct Records {
  std::vector<uint64_t> keys;
  FlatIndex index;

  uint32_t find(uint64_t key) const {
    return index.find(flat_hash(key), [&](uint32_t s) { return keys[s] == key; });
  }
  uint32_t add(uint64_t key) {
    keys.push_back(key);
    const auto slot = static_cast<uint32_t>(keys.size() - 1);
    return index.insert(flat_hash(key), slot, [&](uint32_t s) { return keys[s] == key; });
  }
};

TEST(FlatIndex, FindsWhatWasInsertedAndNothingElse) {
  Records r;
  EXPECT_EQ(r.find(7), FlatIndex::kNone);
  for (uint64_t k = 0; k < 1000; ++k) EXPECT_EQ(r.add(k * 3), k);
  EXPECT_EQ(r.index.size(), 1000u);
  for (uint64_t k = 0; k < 1000; ++k) {
    EXPECT_EQ(r.find(k * 3), k);
    EXPECT_EQ(r.find(k * 3 + 1), FlatIndex::kNone);
  }
  // At most 4/5 full after growing.
  EXPECT_LE(r.index.size() * 5, r.index.bucket_count() * 4);
}

TEST(FlatIndex, InsertKeepsTheFirstAssignReplaces) {
  Records r;
  r.add(42);                 // slot 0
  EXPECT_EQ(r.add(42), 0u);  // slot 1 not filed: the key has slot 0
  EXPECT_EQ(r.index.size(), 1u);
  EXPECT_EQ(r.find(42), 0u);
  const uint32_t was =
      r.index.assign(flat_hash(uint64_t{42}), 1, [&](uint32_t s) { return r.keys[s] == 42; });
  EXPECT_EQ(was, 0u);
  EXPECT_EQ(r.find(42), 1u);
  EXPECT_EQ(r.index.size(), 1u);
}

TEST(FlatIndex, EraseOnlyTheGivenSlot) {
  Records r;
  r.add(5);
  EXPECT_FALSE(r.index.erase(flat_hash(uint64_t{5}), 9));  // another slot: kept
  EXPECT_EQ(r.find(5), 0u);
  EXPECT_TRUE(r.index.erase(flat_hash(uint64_t{5}), 0));
  EXPECT_EQ(r.find(5), FlatIndex::kNone);
  EXPECT_EQ(r.index.size(), 0u);
}

// Every hash the same: one long probe run, so removal must shift the run
// back (a hole left in it would hide the entries behind).
TEST(FlatIndex, RemovalInACollidingRunKeepsTheRestReachable) {
  std::vector<uint64_t> keys;
  FlatIndex index;
  auto same = [&](uint64_t key) { return [&, key](uint32_t s) { return keys[s] == key; }; };
  for (uint64_t k = 0; k < 40; ++k) {
    keys.push_back(k);
    index.insert(7, static_cast<uint32_t>(k), same(k));
  }
  for (uint64_t k = 0; k < 40; k += 2) ASSERT_TRUE(index.erase(7, static_cast<uint32_t>(k)));
  for (uint64_t k = 0; k < 40; ++k) {
    EXPECT_EQ(index.find(7, same(k)), k % 2 ? k : FlatIndex::kNone) << k;
  }
}

// Random inserts and removals against std::map, wrapping around the end
// of the bucket array included (a small table, many hashes).
TEST(FlatIndex, AgreesWithStdMapUnderChurn) {
  std::mt19937 rng(1);
  std::vector<uint64_t> keys;
  std::vector<uint32_t> free;
  std::map<uint64_t, uint32_t> model;
  FlatIndex index;
  for (int step = 0; step < 20000; ++step) {
    const uint64_t key = rng() % 300;
    auto same = [&](uint32_t s) { return keys[s] == key; };
    auto it = model.find(key);
    if (it == model.end()) {
      uint32_t slot;
      if (!free.empty()) {
        slot = free.back();
        free.pop_back();
        keys[slot] = key;
      } else {
        slot = static_cast<uint32_t>(keys.size());
        keys.push_back(key);
      }
      ASSERT_EQ(index.insert(flat_hash(key), slot, same), slot);
      model[key] = slot;
    } else {
      ASSERT_TRUE(index.erase(flat_hash(key), it->second));
      keys[it->second] = UINT64_MAX;
      free.push_back(it->second);
      model.erase(it);
    }
    ASSERT_EQ(index.size(), model.size());
  }
  for (uint64_t key = 0; key < 300; ++key) {
    auto it = model.find(key);
    EXPECT_EQ(index.find(flat_hash(key), [&](uint32_t s) { return keys[s] == key; }),
              it == model.end() ? FlatIndex::kNone : it->second);
  }
  size_t seen = 0;
  index.for_each([&](uint32_t) { ++seen; });
  EXPECT_EQ(seen, model.size());
}

TEST(FlatHash, SpreadsNearbyKeysOverLowBits) {
  // Consecutive addresses must not share buckets: their hashes' low 16 bits
  // differ nearly always.
  std::vector<bool> used(1 << 16);
  size_t collisions = 0;
  for (uint32_t ip = 0xC6120000; ip < 0xC6120000 + 10000; ++ip) {
    const uint32_t b = flat_hash(uint64_t{ip}) & 0xffff;
    collisions += used[b];
    used[b] = true;
  }
  EXPECT_LT(collisions, 1500u);  // a random spread gives about 700
  EXPECT_NE(flat_hash(std::string_view("ab")), flat_hash(std::string_view("ba")));
}

}  // namespace
}  // namespace berth
