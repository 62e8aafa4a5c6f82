// A byte string in 16 bytes: up to 15 bytes inline (host names, client
// identifiers, DNS labels are nearly always that short), else on the heap
// at its exact size. std::string and std::vector take 32 and 24 bytes and
// allocate past 15 and 0 bytes; a table of 100,000 records keeps two each.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

namespace berth {

class PackedBytes {
 public:
  PackedBytes() = default;
  explicit PackedBytes(std::span<const uint8_t> b) { set(b.data(), b.size()); }
  explicit PackedBytes(std::string_view s) { set(s.data(), s.size()); }
  PackedBytes(const PackedBytes& o) { set(o.data(), o.size()); }
  PackedBytes(PackedBytes&& o) noexcept : raw_(o.raw_) { o.raw_ = {}; }
  PackedBytes& operator=(const PackedBytes& o) {
    if (this != &o) {
      PackedBytes copy(o);
      *this = std::move(copy);
    }
    return *this;
  }
  PackedBytes& operator=(PackedBytes&& o) noexcept {
    if (this != &o) {
      release();
      raw_ = o.raw_;
      o.raw_ = {};
    }
    return *this;
  }
  ~PackedBytes() { release(); }

  size_t size() const {
    if (!on_heap()) return raw_[kTag];
    uint32_t n;
    std::memcpy(&n, raw_.data() + sizeof(char*), sizeof n);
    return n;
  }
  bool empty() const { return size() == 0; }
  const char* data() const {
    if (!on_heap()) return reinterpret_cast<const char*>(raw_.data());
    const char* p;
    std::memcpy(&p, raw_.data(), sizeof p);
    return p;
  }
  std::string_view text() const { return {data(), size()}; }
  // Read as text where a string_view is wanted (keys of StableStringMap).
  operator std::string_view() const { return text(); }  // NOLINT(google-explicit-constructor)
  std::span<const uint8_t> bytes() const {
    return {reinterpret_cast<const uint8_t*>(data()), size()};
  }
  std::string to_string() const { return std::string(text()); }

  bool operator==(const PackedBytes& o) const { return text() == o.text(); }

 private:
  static constexpr size_t kTag = 15;
  static constexpr size_t kInline = 15;
  static constexpr uint8_t kHeap = 0xff;

  bool on_heap() const { return raw_[kTag] == kHeap; }
  void set(const void* p, size_t n) {
    if (n <= kInline) {
      if (n > 0) std::memcpy(raw_.data(), p, n);
      raw_[kTag] = static_cast<uint8_t>(n);
      return;
    }
    char* heap = new char[n];
    std::memcpy(heap, p, n);
    const auto n32 = static_cast<uint32_t>(n);
    std::memcpy(raw_.data(), &heap, sizeof heap);
    std::memcpy(raw_.data() + sizeof heap, &n32, sizeof n32);
    raw_[kTag] = kHeap;
  }
  void release() {
    if (!on_heap()) return;
    char* p;
    std::memcpy(&p, raw_.data(), sizeof p);
    delete[] p;
    raw_ = {};
  }

  alignas(8) std::array<uint8_t, 16> raw_{};
};

static_assert(sizeof(PackedBytes) == 16);

}  // namespace berth
