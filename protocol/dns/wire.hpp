// Wire-format details the DNS name, parser and encoder share (RFC 1035 4.1,
// RFC 6891 6.1). Internal to protocol/dns.
#pragma once

#include <cstddef>
#include <cstdint>

#include "protocol/bytes.hpp"

namespace berth::dns::wire {

// The top two bits of a length byte: 00 a label, 11 a compression pointer.
constexpr uint8_t kLabelTypeMask = 0xC0;
constexpr uint8_t kPointer = 0xC0;
constexpr uint32_t kDnssecOkBit = 0x8000;  // in the OPT record's TTL (RFC 6891 6.1.4)

// Callers check that `at` + 2 (+ 4) bytes are there.
inline uint16_t u16_at(ByteView p, size_t at) {
  return static_cast<uint16_t>(p[at] << 8 | p[at + 1]);
}
inline uint32_t u32_at(ByteView p, size_t at) {
  return static_cast<uint32_t>(p[at]) << 24 | static_cast<uint32_t>(p[at + 1]) << 16 |
         static_cast<uint32_t>(p[at + 2]) << 8 | p[at + 3];
}

// Option TLVs (RFC 6891 6.1.2) must exactly fill the OPT rdata.
inline bool valid_options(ByteView opts) {
  size_t pos = 0;
  while (pos < opts.size()) {
    if (opts.size() - pos < 4) return false;
    const size_t len = u16_at(opts, pos + 2);
    if (len > opts.size() - pos - 4) return false;
    pos += 4 + len;
  }
  return true;
}

}  // namespace berth::dns::wire
