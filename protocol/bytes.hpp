// Bounds-checked reading and writing of network-order bytes (STYLE 5).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace berth {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;
using MutableByteView = std::span<uint8_t>;

// Reads big-endian fields from a view. Every read checks the remaining
// length first; after a failed read ok() is false and the reader stays put.
class ByteReader {
 public:
  explicit ByteReader(ByteView data) : data_(data) {}

  size_t remaining() const { return data_.size() - pos_; }
  size_t position() const { return pos_; }
  bool ok() const { return ok_; }

  bool u8(uint8_t& out) {
    if (!need(1)) return false;
    out = data_[pos_++];
    return true;
  }
  bool u16(uint16_t& out) {
    if (!need(2)) return false;
    out = static_cast<uint16_t>(data_[pos_] << 8 | data_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool u32(uint32_t& out) {
    if (!need(4)) return false;
    out = static_cast<uint32_t>(data_[pos_]) << 24 | static_cast<uint32_t>(data_[pos_ + 1]) << 16 |
          static_cast<uint32_t>(data_[pos_ + 2]) << 8 | static_cast<uint32_t>(data_[pos_ + 3]);
    pos_ += 4;
    return true;
  }
  bool bytes(size_t n, ByteView& out) {
    if (!need(n)) return false;
    out = data_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  bool skip(size_t n) {
    if (!need(n)) return false;
    pos_ += n;
    return true;
  }
  ByteView rest() const { return data_.subspan(pos_); }

 private:
  bool need(size_t n) {
    if (!ok_ || n > remaining()) {
      ok_ = false;
      return false;
    }
    return true;
  }
  ByteView data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// Writes big-endian fields into a caller's buffer; once a write does not
// fit, ok() is false and nothing more is written.
class ByteWriter {
 public:
  explicit ByteWriter(MutableByteView out) : out_(out) {}

  size_t size() const { return pos_; }
  size_t remaining() const { return out_.size() - pos_; }
  bool ok() const { return ok_; }
  MutableByteView written() const { return out_.first(pos_); }

  bool u8(uint8_t v) {
    if (!need(1)) return false;
    out_[pos_++] = v;
    return true;
  }
  bool u16(uint16_t v) {
    if (!need(2)) return false;
    out_[pos_++] = static_cast<uint8_t>(v >> 8);
    out_[pos_++] = static_cast<uint8_t>(v);
    return true;
  }
  bool u32(uint32_t v) {
    if (!need(4)) return false;
    for (int shift = 24; shift >= 0; shift -= 8) out_[pos_++] = static_cast<uint8_t>(v >> shift);
    return true;
  }
  bool bytes(ByteView v) {
    if (!need(v.size())) return false;
    if (!v.empty()) std::memcpy(out_.data() + pos_, v.data(), v.size());
    pos_ += v.size();
    return true;
  }
  bool zeros(size_t n) {
    if (!need(n)) return false;
    std::memset(out_.data() + pos_, 0, n);
    pos_ += n;
    return true;
  }
  // Overwrites two bytes already written (checksums, lengths).
  void patch_u16(size_t at, uint16_t v) {
    out_[at] = static_cast<uint8_t>(v >> 8);
    out_[at + 1] = static_cast<uint8_t>(v);
  }

 private:
  bool need(size_t n) {
    if (!ok_ || n > remaining()) {
      ok_ = false;
      return false;
    }
    return true;
  }
  MutableByteView out_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace berth
