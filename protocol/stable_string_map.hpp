// A map from strings to values whose entries never move (references stay
// valid as entries are added, as with std::unordered_map) in a fraction of
// its memory: entries side by side in a std::deque, keys packed (16 bytes,
// inline up to 15), found through a FlatIndex. No removal: it is for tables
// built once (the DNS snapshot).
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include "protocol/flat_index.hpp"
#include "protocol/packed_bytes.hpp"

namespace berth {

template <class V>
class StableStringMap {
 public:
  using value_type = std::pair<const PackedBytes, V>;
  using iterator = typename std::deque<value_type>::iterator;
  using const_iterator = typename std::deque<value_type>::const_iterator;

  iterator begin() { return items_.begin(); }
  iterator end() { return items_.end(); }
  const_iterator begin() const { return items_.begin(); }
  const_iterator end() const { return items_.end(); }
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  void reserve(size_t n) { index_.reserve(n); }

  iterator find(std::string_view key) {
    const uint32_t slot = slot_of(key);
    return slot == FlatIndex::kNone ? end() : begin() + slot;
  }
  const_iterator find(std::string_view key) const {
    const uint32_t slot = slot_of(key);
    return slot == FlatIndex::kNone ? end() : begin() + slot;
  }
  size_t count(std::string_view key) const { return slot_of(key) == FlatIndex::kNone ? 0 : 1; }

  // As std::unordered_map::try_emplace: the value is made only when `key`
  // is new.
  template <class... Args>
  std::pair<iterator, bool> try_emplace(std::string_view key, Args&&... args) {
    const uint32_t hash = flat_hash(key);
    const auto next = static_cast<uint32_t>(items_.size());
    const uint32_t slot =
        index_.insert(hash, next, [&](uint32_t s) { return items_[s].first.text() == key; });
    if (slot != next) return {begin() + slot, false};
    items_.emplace_back(std::piecewise_construct, std::forward_as_tuple(key),
                        std::forward_as_tuple(std::forward<Args>(args)...));
    return {begin() + next, true};
  }
  std::pair<iterator, bool> emplace(std::string_view key, V value) {
    return try_emplace(key, std::move(value));
  }

 private:
  uint32_t slot_of(std::string_view key) const {
    return index_.find(flat_hash(key), [&](uint32_t s) { return items_[s].first.text() == key; });
  }

  std::deque<value_type> items_;
  FlatIndex index_;
};

}  // namespace berth
